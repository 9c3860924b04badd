import type { Command } from 'commander';
import { loadMigrations, type StatusEntry, status } from '../../migrate/index.js';
import { configOf, output, withMigrationDb } from '../context.js';

const describe = (e: StatusEntry): string => {
  const notes = [
    e.outOfOrder ? 'older than the newest applied' : '',
    e.unverified ? 'applied by another tool' : '',
  ]
    .filter(Boolean)
    .join('; ');
  const when = e.appliedAt ? e.appliedAt.toISOString() : '';
  return `  ${e.state.padEnd(8)} ${e.file ?? `${e.version} (no file)`}  ${when}${notes ? `  (${notes})` : ''}`.trimEnd();
};

/** `chatdb status`: compare the migration files with the database; exit 1 when pending or edited. */
export function register(program: Command): void {
  program
    .command('status')
    .description(
      'list applied, pending, edited and missing migrations (exit 1 when any is pending or edited)',
    )
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText(
      'after',
      '\nStates: applied; pending (not applied yet); edited (applied, the file changed since); missing\n' +
        '(applied, the file is gone). Gate a deploy on it: chatdb status || exit 1',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const config = configOf(cmd);
      const out = output(cmd);
      const migrations = loadMigrations(config.migrationsDir);
      const { report, target } = await withMigrationDb(
        config,
        async (db) => ({
          report: await status(db, { dir: config.migrationsDir, migrations }),
          target: db.target,
        }),
        out,
      );
      const lines = [`database:   ${target}`, `migrations: ${config.migrationsDir}`];
      for (const e of report.entries) lines.push(describe(e));
      lines.push(
        `${report.applied} applied, ${report.pending} pending, ${report.edited} edited, ${report.missing} missing`,
      );
      out.result(lines.join('\n'), { database: target, migrationsDir: config.migrationsDir, ...report });
      if (report.pending > 0 || report.edited > 0) process.exitCode = 1;
    });
}
