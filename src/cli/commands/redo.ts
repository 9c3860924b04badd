import type { Command } from 'commander';
import { directMigrationsUrl } from '../../config.js';
import { loadMigrations, redo } from '../../migrate/index.js';
import { configOf, output, withMigrationDb } from '../context.js';
import { interruptible } from '../interrupt.js';

/** `chatdb redo`: roll back the last applied migration and apply it again. */
export function register(program: Command): void {
  program
    .command('redo')
    .description('roll back the last applied migration and apply it again (tests its down section)')
    .option('--json', 'print the result as JSON on stdout (progress goes to stderr)')
    .action(async (_opts: unknown, cmd: Command) => {
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
              return redo(db, {
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
      out.result(`redone: ${result.steps.at(-1)?.file ?? ''}`, result);
    });
}
