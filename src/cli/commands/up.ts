import type { Command } from 'commander';
import { up } from '../../migrate/index.js';
import { runMigrationCommand } from '../interrupt.js';
import { migrationVersion } from '../options.js';

interface UpFlags {
  to?: string;
  dryRun?: boolean;
  strict?: boolean;
  allowIrreversible?: boolean;
}

/** `chatdb up`: apply pending migrations. */
export function register(program: Command): void {
  program
    .command('up')
    .description('apply pending migrations, oldest first, each in its own transaction')
    .option('--to <version>', 'stop after this version (e.g. 20260101120000)', migrationVersion)
    .option('--dry-run', 'list what would be applied; change nothing')
    .option('--strict', 'refuse a pending migration older than the newest applied one (default: warn)')
    .option('--allow-irreversible', 'also apply migrations that have no down section')
    .option('--json', 'print the result as JSON on stdout (progress goes to stderr)')
    .action(async (opts: UpFlags, cmd: Command) => {
      const { result, out } = await runMigrationCommand(cmd, (db, base) =>
        up(db, {
          ...base,
          ...(opts.to === undefined ? {} : { to: opts.to }),
          dryRun: opts.dryRun === true,
          strict: opts.strict === true,
          allowIrreversible: opts.allowIrreversible === true,
        }),
      );
      const n = result.steps.length;
      const human =
        n === 0
          ? 'nothing to apply: up to date'
          : result.dryRun
            ? `${n} migration(s) would be applied (dry run: nothing changed)`
            : `${n} migration(s) applied`;
      out.result(human, result);
    });
}
