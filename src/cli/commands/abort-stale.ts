import { type Command, InvalidArgumentError } from 'commander';
import { createChatDb } from '../../store/chatdb.js';
import { configOf, output, withServingDb } from '../context.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `10m`, `2h`, `1d`, `500ms` -> milliseconds. */
export function parseAge(value: string): number {
  const m = /^(\d{1,12})(ms|s|m|h|d)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('give a duration such as 90s, 10m, 2h or 1d.');
  const ms = Number(m[1]) * (UNITS[m[2] as string] as number);
  if (ms > 100 * 365 * 86_400_000) throw new InvalidArgumentError('give at most 100 years (36500d).');
  return ms;
}

/** `chatdb abort-stale --older-than 10m`: mark replies left streaming (a killed process) aborted. */
export function register(program: Command): void {
  program
    .command('abort-stale')
    .description('mark replies that have been streaming for longer than --older-than as aborted')
    .requiredOption('--older-than <duration>', 'age since the last save: 90s, 10m, 2h, 1d', parseAge)
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText(
      'after',
      '\nA reply stays "streaming" when the process writing it died; run this from cron (or after a\n' +
        'restart) with an age longer than your longest reply, e.g. chatdb abort-stale --older-than 10m',
    )
    .action(async (opts: { olderThan: number }, cmd: Command) => {
      const config = configOf(cmd);
      const out = output(cmd);
      const aborted = await withServingDb(
        config,
        (db) => createChatDb(db, { logger: out.warn }).messages.abortStale({ olderThanMs: opts.olderThan }),
        out,
      );
      out.result(`${aborted} streaming repl${aborted === 1 ? 'y' : 'ies'} marked aborted`, { aborted });
    });
}
