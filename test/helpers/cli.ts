import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { openPglite } from '../../src/db/pglite.js';
import { createScratchUrl, onRealPostgres, pgliteTemplate } from './db.js';

/** The CLI's entry point in the source tree. */
export const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
/** tsx's loader by absolute URL: the CLI runs in temporary directories with no node_modules. */
export const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The parent's environment without the database variables (the child gets only what it is given), plus `env`. */
export function childEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const {
    DATABASE_URL: _a,
    TEST_DATABASE_URL: _b,
    DATABASE_URL_UNPOOLED: _c,
    DIRECT_URL: _d,
    CHATDB_MIGRATIONS_DIR: _e,
    CHATDB_DATA_DIR: _f,
    ...base
  } = process.env;
  return { ...base, ...env };
}

/** Starts the chatdb CLI from source in `cwd`; database variables are unset unless given in `env`. */
export function spawnChatdb(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Keeps everything a child writes: `stdout()` and `stderr()` read what has come so far. */
export function collectOutput(child: { stdout: Readable; stderr: Readable }): {
  stdout(): string;
  stderr(): string;
} {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return { stdout: () => stdout, stderr: () => stderr };
}

/** Runs the chatdb CLI from source in `cwd` (as `spawnChatdb`) and resolves once it has exited. */
export function chatdb(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawnChatdb(args, cwd, env);
    const out = collectOutput(child);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: out.stdout(), stderr: out.stderr() }));
  });
}

/** A new empty temporary directory. */
export const tempDir = (prefix = 'chatdb-cli-'): string => mkdtempSync(join(tmpdir(), prefix));

export interface CliDatabase {
  /** Arguments that point the CLI at this database. */
  readonly args: readonly string[];
  drop(): Promise<void>;
}

/**
 * An empty database for CLI runs that must share state between processes: a scratch database on
 * the test server, or an embedded data directory seeded from the blank PGlite template (faster than
 * the initdb the CLI would run in a new directory).
 */
export async function cliDatabase(): Promise<CliDatabase> {
  if (onRealPostgres) {
    const scratch = await createScratchUrl();
    return { args: ['--database-url', scratch.directUrl], drop: scratch.drop };
  }
  const dir = join(tempDir('chatdb-data-'), 'db');
  const db = await openPglite(dir, { loadDataDir: await pgliteTemplate('none') });
  await db.close();
  return { args: ['--data-dir', dir], drop: async () => undefined };
}
