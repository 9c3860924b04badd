import type { Command } from 'commander';
import { loadMigrations, type StatusEntry, type StatusReport, status } from '../../migrate/index.js';
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

/** What to do about what the report found, one `hint:` line each (none when all is applied). */
export function statusHints(report: StatusReport): string[] {
  const hints: string[] = [];
  if (report.edited > 0)
    hints.push(
      'hint: edited = changed after it was applied, so databases that applied it differ from the file: ' +
        'restore it (e.g. git checkout -- <file>) and put the change in a new migration (chatdb new); ' +
        'or, where nobody else applied it, restore it, roll it back (chatdb down), then edit and apply it',
    );
  if (report.missing > 0)
    hints.push(
      'hint: missing = applied, but its file is gone from the migrations directory: restore it from ' +
        'version control (chatdb down needs its down section), or check --dir / CHATDB_MIGRATIONS_DIR',
    );
  if (report.pending > 0)
    hints.push('hint: chatdb up applies the pending migrations (chatdb up --dry-run lists them)');
  return hints;
}

/** The human text of `chatdb status`: where, one line per migration, the counts, then hints. */
export function statusText(report: StatusReport, target: string, migrationsDir: string): string {
  const lines = [`database:   ${target}`, `migrations: ${migrationsDir}`];
  for (const e of report.entries) lines.push(describe(e));
  lines.push(
    `${report.applied} applied, ${report.pending} pending, ${report.edited} edited, ${report.missing} missing`,
    ...statusHints(report),
  );
  return lines.join('\n');
}

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
      out.result(statusText(report, target, config.migrationsDir), {
        database: target,
        migrationsDir: config.migrationsDir,
        ...report,
      });
      if (report.pending > 0 || report.edited > 0) process.exitCode = 1;
    });
}
