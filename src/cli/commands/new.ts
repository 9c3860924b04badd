import { relative } from 'node:path';
import type { Command } from 'commander';
import { newMigration } from '../../migrate/index.js';
import { configOf, output } from '../context.js';

/** `chatdb new <name...>`: create an empty migration file and print its path. */
export function register(program: Command): void {
  program
    .command('new')
    .description(
      'create <migrations dir>/<UTC timestamp>_<name>.sql, its up and down sections holding only timeout lines',
    )
    .argument('<name...>', 'what the migration does, e.g. add user timezone (quotes optional)')
    .option('--json', 'print the result as JSON')
    .action((words: string[], _opts: unknown, cmd: Command) => {
      const config = configOf(cmd);
      const path = newMigration(config.migrationsDir, words.join(' '));
      const shown = relative(process.cwd(), path);
      output(cmd).result(shown.startsWith('..') ? path : shown, { path });
    });
}
