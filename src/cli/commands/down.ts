import { type Command, Option } from 'commander';
import { directMigrationsUrl } from '../../config.js';
import { down, loadMigrations } from '../../migrate/index.js';
import { configOf, output, withMigrationDb } from '../context.js';
import { interruptible } from '../interrupt.js';
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
              return down(db, {
                dir: config.migrationsDir,
                migrations,
                log: out.progress,
                warn: out.warn,
                signal,
                ...(opts.steps === undefined ? {} : { steps: opts.steps }),
                ...(opts.to === undefined ? {} : { to: opts.to }),
              });
            },
            out,
          ),
        { json: out.json },
      );
      const n = result.steps.length;
      out.result(n === 0 ? 'nothing to roll back' : `${n} migration(s) rolled back`, result);
    });
}
