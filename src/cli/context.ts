import type { Command } from 'commander';
import { type Config, loadConfig } from '../config.js';
import { type Database, openDatabase } from '../db/index.js';
import { embeddedExtensions } from '../safety/pglite-extensions.js';

/** Options every command accepts (declared on the program). */
export interface GlobalFlags {
  databaseUrl?: string;
  dir?: string;
  dataDir?: string;
  json?: boolean;
}

/** The resolved config for a command, from its flags and the environment. */
export const configOf = (cmd: Command): Config => {
  const o = cmd.optsWithGlobals<GlobalFlags>();
  return loadConfig(process.env, { databaseUrl: o.databaseUrl, dir: o.dir, dataDir: o.dataDir });
};

/** The JSON document printed on stdout for a failure with --json, so a script parsing stdout gets one. */
export const jsonError = (code: string, message: string): string =>
  `${JSON.stringify({ error: { code, message } }, null, 2)}\n`;

/** True when the command (or the program) got --json. */
export const wantsJson = (cmd: Command): boolean => cmd.optsWithGlobals<GlobalFlags>().json === true;

export interface Output {
  readonly json: boolean;
  /** A progress line: stdout, or stderr with --json. */
  progress(line: string): void;
  /** A warning: always stderr, prefixed `chatdb: `. */
  warn(line: string): void;
  /** The command's result: the human text, or with --json only the JSON document on stdout. */
  result(human: string, data: unknown): void;
}

/**
 * Where a command writes: human lines go to stdout; with --json, progress goes to stderr and only
 * the final JSON document to stdout, so `chatdb status --json | jq` works.
 */
export const output = (cmd: Command): Output => {
  const json = wantsJson(cmd);
  return {
    json,
    progress: (line) => (json ? process.stderr : process.stdout).write(`${line}\n`),
    warn: (line) => process.stderr.write(`chatdb: ${line}\n`),
    result: (human, data) => {
      if (json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      else if (human) process.stdout.write(`${human}\n`);
    },
  };
};

/**
 * Opens the migrations database (the direct URL when one is configured), runs fn, closes it.
 * Connection retries are reported on stderr as they happen, one line each; when every attempt
 * failed, the adapter's one-line error says how many there were.
 */
export const withMigrationDb = <T>(
  config: Config,
  fn: (db: Database) => Promise<T>,
  out?: Pick<Output, 'warn'>,
): Promise<T> => withDb(config.migrationsUrl, config, fn, out);

/** Opens the serving database (DATABASE_URL, pooled or not), runs fn, closes it, as withMigrationDb. */
export const withServingDb = <T>(
  config: Config,
  fn: (db: Database) => Promise<T>,
  out?: Pick<Output, 'warn'>,
): Promise<T> => withDb(config.databaseUrl, config, fn, out);

async function withDb<T>(
  url: string | undefined,
  config: Config,
  fn: (db: Database) => Promise<T>,
  out: Pick<Output, 'warn'> = { warn: (line) => process.stderr.write(`chatdb: ${line}\n`) },
): Promise<T> {
  const db = await openDatabase({
    url,
    dataDir: config.dataDir,
    logger: out.warn,
    pgliteExtensions: () => embeddedExtensions(config.migrationsDir),
  });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
