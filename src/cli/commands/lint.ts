import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../../config.js';
import { openDatabase } from '../../db/index.js';
import { ChatDbError } from '../../errors.js';
import { type AppliedMigration, readHistory } from '../../migrate/index.js';
import { requireMigrationsDir } from '../../safety/migrations-dir.js';
import { configOf, output } from '../context.js';
import { pgVersion } from '../options.js';

interface LintFlags {
  pending?: boolean;
  pgVersion?: string;
  requireSquawk?: boolean;
}

/**
 * The applied migrations, when a database is configured and answers; otherwise why not. The
 * embedded database counts only when its directory exists (lint must not create one).
 */
async function historyFor(config: Config): Promise<{ history?: AppliedMigration[]; note?: string }> {
  if (config.migrationsUrl === undefined && !existsSync(config.dataDir))
    return { history: [], note: `no embedded database in ${config.dataDir}` };
  try {
    const db = await openDatabase({
      url: config.migrationsUrl,
      dataDir: config.dataDir,
      connectRetries: 1,
      logger: () => undefined,
    });
    try {
      return { history: await readHistory(db) };
    } finally {
      await db.close();
    }
  } catch (e) {
    return { note: `database not reachable (${(e as Error).message})` };
  }
}

/** `chatdb lint [FILES...] [--pending] [--require-squawk] [--json]`: squawk plus chatdb's own rules. */
export function register(program: Command): void {
  program
    .command('lint')
    .description("check migrations with squawk and chatdb's own rules (exit 1 on errors)")
    .argument('[files...]', 'migration files (default: every file in the migrations directory)')
    .option('--pending', 'only migrations the database has not applied')
    .option(
      '--pg-version <version>',
      'Postgres version squawk assumes, e.g. 16 (default 14, or .squawk.toml)',
      pgVersion,
    )
    .option('--require-squawk', 'exit 1 when squawk could not run (for CI: squawk must not be lost silently)')
    .option('--json', 'print the findings as JSON (for CI)')
    .action(async (files: string[], opts: LintFlags, cmd: Command) => {
      const config = configOf(cmd);
      const out = output(cmd);
      if (files.length === 0) requireMigrationsDir(config.migrationsDir); // before opening anything
      const { history, note } = await historyFor(config);
      if (opts.pending && history === undefined)
        throw new ChatDbError('db_unavailable', `--pending needs the database: ${note ?? 'not reachable'}`);
      const { formatLintReport, lintMigrations } = await import('../../safety/lint.js');
      const report = await lintMigrations({
        dir: config.migrationsDir,
        files,
        pendingOnly: opts.pending === true,
        history,
        ...(note === undefined || history !== undefined ? {} : { historyNote: note }),
        pgVersion: opts.pgVersion,
        requireSquawk: opts.requireSquawk === true,
      });
      // In JSON mode stdout is the document: say it on stderr too.
      if (out.json && report.squawk === 'unavailable')
        for (const n of report.notes.filter((x) => x.includes('squawk')))
          out.warn(`${n.includes('--require-squawk') ? 'error' : 'warning'}: ${n}`);
      out.result(formatLintReport(report), report);
      if (!report.ok) process.exitCode = 1;
    });
}
