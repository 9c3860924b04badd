import type { Command } from 'commander';
import { RETENTION_DAYS_RANGE } from '../../defaults.js';
import { createChatDb } from '../../store/chatdb.js';
import { MAX_PURGE_BATCH } from '../../store/purge.js';
import type { PurgeResult } from '../../store/types-lifecycle.js';
import { configOf, output, withServingDb } from '../context.js';
import { RUN_SIGNALS } from '../interrupt.js';
import { wholeNumber } from '../options.js';

interface PurgeFlags {
  trashedDays?: number;
  idleDays?: number;
  guestIdleDays?: number;
  batchSize?: number;
  dryRun?: boolean;
}

/** `trashedSessions` -> `trashed sessions`. */
const label = (name: string): string => name.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);

/** One line of what a run did (or, dry, would do). */
export function describePurge(r: PurgeResult): string {
  const verb = r.dryRun ? 'would be deleted' : 'deleted';
  const parts = Object.entries(r.counts).map(([name, n]) => `${n} ${label(name)}`);
  const what = parts.length ? parts.join(', ') : 'nothing';
  return r.dryRun ? `purge (dry run): ${what} ${verb}` : `purge: ${what} ${verb} in ${r.batches} batch(es)`;
}

/**
 * Runs `fn` with an AbortSignal that fires on the first SIGINT, SIGTERM or SIGHUP (the purge then
 * stops after its running batch); a second signal ends the process at once: the running batch is
 * one statement, which the server rolls back when the connection closes.
 */
async function stoppable<T>(
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<{ result: T; signal?: NodeJS.Signals }> {
  const abort = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received) {
      process.stderr.write(`chatdb: interrupted (${signal}): the running batch is rolled back\n`);
      for (const s of RUN_SIGNALS) process.off(s, onSignal);
      process.kill(process.pid, signal);
      return;
    }
    received = signal;
    process.stderr.write(`chatdb: ${signal}: stopping after the running batch ...\n`);
    abort.abort();
  };
  for (const s of RUN_SIGNALS) process.on(s, onSignal);
  try {
    const result = await fn(abort.signal);
    return received ? { result, signal: received } : { result };
  } finally {
    for (const s of RUN_SIGNALS) process.off(s, onSignal);
  }
}

/** `chatdb purge`: delete the trash past retention and, with --idle-days / --guest-idle-days, idle sessions / guests. */
export function register(program: Command): void {
  program
    .command('purge')
    .description(
      'delete trashed sessions past retention; with --idle-days / --guest-idle-days, idle sessions / guests',
    )
    .option(
      '--trashed-days <n>',
      'delete sessions trashed at least this many days ago (default: CHATDB_TRASH_RETENTION_DAYS, else 30)',
      wholeNumber(0, RETENTION_DAYS_RANGE.max),
    )
    .option(
      '--idle-days <n>',
      'also delete sessions not changed for this many days, trashed or not (default: off)',
      wholeNumber(RETENTION_DAYS_RANGE.min, RETENTION_DAYS_RANGE.max),
    )
    .option(
      '--guest-idle-days <n>',
      'also delete guest accounts idle this many days, with their sessions (default: off)',
      wholeNumber(RETENTION_DAYS_RANGE.min, RETENTION_DAYS_RANGE.max),
    )
    .option(
      '--batch-size <n>',
      'sessions deleted per transaction (default 500)',
      wholeNumber(1, MAX_PURGE_BATCH),
    )
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText(
      'after',
      '\nEach batch is its own short transaction and skips rows another run or a writer holds, so two\n' +
        'runs do not fight and a stopped run loses nothing: run it again. A progress line per batch goes\n' +
        'to stderr; Ctrl-C stops after the running batch and says what was done (exit 130).\n' +
        'Example (cron, nightly): chatdb purge --idle-days 365 --guest-idle-days 30',
    )
    .action(async (opts: PurgeFlags, cmd: Command) => {
      const config = configOf(cmd);
      const out = output(cmd);
      const run = await withServingDb(
        config,
        (db) => {
          const chat = createChatDb(db, { logger: out.warn, trashRetentionDays: config.trashRetentionDays });
          return stoppable((signal) =>
            chat.purge({
              ...(opts.trashedDays === undefined ? {} : { trashedOlderThanDays: opts.trashedDays }),
              ...(opts.idleDays === undefined ? {} : { idleSessionsOlderThanDays: opts.idleDays }),
              ...(opts.guestIdleDays === undefined ? {} : { idleGuestsOlderThanDays: opts.guestIdleDays }),
              ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
              dryRun: opts.dryRun === true,
              signal,
              onProgress: (p) =>
                process.stderr.write(
                  opts.dryRun
                    ? `${label(p.target)}: ${p.total} would be deleted\n`
                    : `${label(p.target)}: batch ${p.batch}, ${p.deleted} deleted (${p.total} so far)\n`,
                ),
            }),
          );
        },
        out,
      );
      const { result, signal } = run;
      out.result(describePurge(result), result);
      if (result.interrupted && signal) {
        process.stderr.write(
          `chatdb: interrupted (${signal}): ${describePurge(result)}; the rest is left: run chatdb purge again\n`,
        );
        // Our handlers are gone: the default action ends the process as killed by the signal.
        process.kill(process.pid, signal);
      }
    });
}
