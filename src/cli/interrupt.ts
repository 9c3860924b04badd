import { isChatDbError } from '../errors.js';
import { jsonError } from './context.js';

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
