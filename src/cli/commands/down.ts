import { type Command, Option } from 'commander';
import { down } from '../../migrate/index.js';
import { runMigrationCommand } from '../interrupt.js';
import { migrationVersionOrZero, wholeNumber } from '../options.js';

/** `chatdb down [--steps N | --to VERSION]`: roll back applied migrations. */
export function register(program: Command): void {
  program
    .command('down')
    .description('roll back applied migrations, newest first (default: the last one)')
    .addOption(
      new Option('--steps <n>', 'how many migrations to roll back').argParser(wholeNumber(1)).conflicts('to'),
    )
    .option(
      '--to <version>',
      'roll back every migration newer than this version (0: all)',
      migrationVersionOrZero,
    )
    .option('--json', 'print the result as JSON on stdout (progress goes to stderr)')
    .action(async (opts: { steps?: number; to?: string }, cmd: Command) => {
      const { result, out } = await runMigrationCommand(cmd, (db, base) =>
        down(db, {
          ...base,
          ...(opts.steps === undefined ? {} : { steps: opts.steps }),
          ...(opts.to === undefined ? {} : { to: opts.to }),
        }),
      );
      const n = result.steps.length;
      out.result(n === 0 ? 'nothing to roll back' : `${n} migration(s) rolled back`, result);
    });
}
