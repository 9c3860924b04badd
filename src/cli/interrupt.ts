import type { Command } from 'commander';
import { directMigrationsUrl } from '../config.js';
import type { Database } from '../db/index.js';
import { isChatDbError } from '../errors.js';
import { loadMigrations, type MigrateOptions } from '../migrate/index.js';
import { configOf, jsonError, type Output, output, withMigrationDb } from './context.js';

/** Signals that stop a migration run cleanly (see `interruptible`). */
export const RUN_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const never = new Promise<never>(() => undefined);

/**
 * Runs `fn` (a migration run, including opening and closing its database) with an AbortSignal that
 * fires on SIGINT, SIGTERM or SIGHUP. The run then cancels its statement, rolls back, releases its
 * locks and closes the database; this prints one `chatdb: interrupted (SIGINT): …` line saying what
 * happened and ends the process by the signal (exit status 130 for SIGINT), as `verify` does.
 * A second signal ends the process at once, saying what may still be running. With `json`, the
 * line is also printed on stdout as `{"error":{"code":"migration_interrupted","message"}}`.
 */
export async function interruptible<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  options: { readonly json?: boolean } = {},
): Promise<T> {
  const abort = new AbortController();
  let received: NodeJS.Signals | undefined;
  const remove = (): void => {
    for (const s of RUN_SIGNALS) process.off(s, onSignal);
  };
  const exit = (signal: NodeJS.Signals, line: string): void => {
    remove();
    process.stderr.write(`chatdb: interrupted (${signal}): ${line}\n`);
    if (options.json)
      process.stdout.write(jsonError('migration_interrupted', `interrupted (${signal}): ${line}`));
    // Our handlers are gone: the default action ends the process as killed by the signal.
    process.kill(process.pid, signal);
  };
  function onSignal(signal: NodeJS.Signals): void {
    if (received) {
      exit(
        signal,
        'stopped without waiting for the roll-back: a statement may still run on the server until ' +
          'its connection closes (see pg_stat_activity); chatdb status shows what is applied',
      );
      return;
    }
    received = signal;
    process.stderr.write(
      `chatdb: ${signal}: stopping the run (the running migration is cancelled and rolled back) ...\n`,
    );
    abort.abort();
  }
  for (const s of RUN_SIGNALS) process.on(s, onSignal);
  try {
    const result = await fn(abort.signal);
    remove();
    return result;
  } catch (e) {
    if (!received) {
      remove();
      throw e;
    }
    const what = isChatDbError(e, 'migration_interrupted')
      ? e.message
      : `the run stopped: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
    exit(received, `${what}; locks released, database closed`);
    return never;
  }
}

/**
 * What `init`, `up`, `down` and `redo` share: the config, a pooler URL refused before connecting, the files
 * parsed before opening the database, the migrations database opened and closed, the run made
 * interruptible. `run` gets the database and the options every run takes (dir, files, log, warn,
 * signal).
 */
export async function runMigrationCommand<T>(
  cmd: Command,
  run: (db: Database, options: MigrateOptions) => Promise<T>,
): Promise<{ result: T; out: Output }> {
  const config = configOf(cmd);
  directMigrationsUrl(config); // a pooler URL stops here, before connecting
  const out = output(cmd);
  const migrations = loadMigrations(config.migrationsDir);
  const result = await interruptible(
    (signal) =>
      withMigrationDb(
        config,
        (db) => {
          out.progress(`database: ${db.target}`);
          return run(db, {
            dir: config.migrationsDir,
            migrations,
            log: out.progress,
            warn: out.warn,
            signal,
          });
        },
        out,
      ),
    { json: out.json },
  );
  return { result, out };
}
