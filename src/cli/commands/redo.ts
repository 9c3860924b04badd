import type { Command } from 'commander';
import { redo } from '../../migrate/index.js';
import { runMigrationCommand } from '../interrupt.js';

/** `chatdb redo`: roll back the last applied migration and apply it again. */
export function register(program: Command): void {
  program
    .command('redo')
    .description('roll back the last applied migration and apply it again (tests its down section)')
    .option('--json', 'print the result as JSON on stdout (progress goes to stderr)')
    .action(async (_opts: unknown, cmd: Command) => {
      const { result, out } = await runMigrationCommand(cmd, (db, base) => redo(db, base));
      out.result(`redone: ${result.steps.at(-1)?.file ?? ''}`, result);
    });
}
