import { readdirSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { isChatDbError } from '../errors.js';
import {
  type AppliedMigration,
  type Migration,
  migrationFileNames,
  parseMigration,
  readMigrationFile,
} from '../migrate/index.js';
import { requireMigrationsDir } from './migrations-dir.js';
import { checkMigrationFile, type LintFinding } from './rules.js';
import { locate, upSectionOnly } from './sections.js';
import { resolveSquawkPath, runSquawk, squawkTimeoutMs } from './squawk.js';

export type { LintFinding, Severity } from './rules.js';

export interface LintOptions {
  /** Migrations directory: its `.sql` files are linted when `files` is empty. */
  readonly dir: string;
  /** Files to lint instead of the whole directory. */
  readonly files?: readonly string[];
  /** Only files whose version is not in `history`. */
  readonly pendingOnly?: boolean;
  /**
   * The database's schema_migrations rows, for the edited-applied-migration rule and `pendingOnly`;
   * undefined when no database is configured or reachable (the rule is then skipped with a note).
   */
  readonly history?: readonly AppliedMigration[] | undefined;
  /** Why `history` is missing, for the note. */
  readonly historyNote?: string;
  /** squawk binary; default `resolveSquawk()`. */
  readonly squawkPath?: string | undefined;
  /** Finds squawk when `squawkPath` is not given. Default `resolveSquawkPath` (CHATDB_SQUAWK_PATH, else the squawk-cli package). */
  readonly resolveSquawk?: () => string | undefined;
  /** How long one squawk run may take. Default `squawkTimeoutMs()` (CHATDB_SQUAWK_TIMEOUT seconds, else 60 s). */
  readonly squawkTimeoutMs?: number;
  /** Fail (ok false) when squawk did not run: CI must not lose it silently. Default false. */
  readonly requireSquawk?: boolean;
  /** Postgres version squawk assumes. Default 14, or the project's `.squawk.toml`. */
  readonly pgVersion?: string | undefined;
  /** Paths in findings are relative to this directory, which is also squawk's. Default cwd. */
  readonly cwd?: string;
}

export interface LintReport {
  readonly files: string[];
  /** Sorted by file, then line. */
  readonly findings: LintFinding[];
  /** What was skipped and why (no database, no squawk). */
  readonly notes: string[];
  readonly squawk: 'ran' | 'unavailable';
  readonly errors: number;
  readonly warnings: number;
  readonly ok: boolean;
}

const SQUAWK_DOCS = 'https://squawkhq.com/docs/';

function filesToLint(options: LintOptions): string[] {
  if (options.files && options.files.length > 0) return options.files.map((f) => resolve(f));
  requireMigrationsDir(options.dir);
  const dir = resolve(options.dir);
  return migrationFileNames(readdirSync(dir)).map((f) => join(dir, f));
}

function editedFinding(file: string, m: Migration, history: readonly AppliedMigration[]): LintFinding[] {
  const h = history.find((r) => r.version === m.version);
  if (!h?.checksum || h.checksum === m.checksum) return [];
  const when = h.appliedAt ? ` on ${h.appliedAt.toISOString()}` : '';
  return [
    {
      file,
      line: 1,
      rule: 'edited-applied-migration',
      severity: 'error',
      message: `applied${when}, but the file changed since (checksum differs): the database ran another version of it`,
      fix: 'restore the applied version of the file and put the change in a new migration (chatdb new)',
      source: 'chatdb',
    },
  ];
}

/**
 * Lints migration files: chatdb's own rules (see `checkMigrationFile`), the edited-applied rule
 * when `history` is given (for applied files too with `pendingOnly`), and squawk over each up
 * section (in a transaction unless the file says `transaction:false`). A missing, broken or hung
 * squawk is a note and chatdb's rules still run; it fails the lint only with `requireSquawk`.
 * Throws when the migrations directory does not exist (and no files are given).
 */
export async function lintMigrations(options: LintOptions): Promise<LintReport> {
  const cwd = options.cwd ?? process.cwd();
  const notes: string[] = [];
  const findings: LintFinding[] = [];
  const history = options.history;
  if (!history) notes.push(`${options.historyNote ?? 'no database'}: rule edited-applied-migration skipped`);
  let squawkBin = options.squawkPath ?? (options.resolveSquawk ?? resolveSquawkPath)();
  const timeoutMs = options.squawkTimeoutMs ?? squawkTimeoutMs();
  let squawk: LintReport['squawk'] = 'ran';
  if (!squawkBin) {
    squawk = 'unavailable';
    notes.push('squawk is not installed (npm package squawk-cli): only chatdb rules ran');
  }
  const applied = new Set((history ?? []).map((h) => h.version));
  const linted: string[] = [];
  for (const path of filesToLint(options)) {
    const file = relative(cwd, path) || path;
    let text: string;
    let m: Migration;
    try {
      text = readMigrationFile(path, file);
      m = parseMigration(basename(path), text, path);
    } catch (e) {
      const message = isChatDbError(e) ? e.message : `cannot read ${file}: ${(e as Error).message}`;
      linted.push(file);
      findings.push({
        file,
        line: 1,
        rule: 'invalid-file',
        severity: 'error',
        message,
        fix: 'name it YYYYMMDDHHMMSS_name.sql and start it with `-- migrate:up` (chatdb new writes one)',
        source: 'chatdb',
      });
      continue;
    }
    // An applied file that was edited is the most dangerous finding: checked even with pendingOnly.
    if (history) findings.push(...editedFinding(file, m, history));
    if (options.pendingOnly && applied.has(m.version)) continue;
    linted.push(file);
    const located = locate(m, text);
    findings.push(...checkMigrationFile(file, located));
    if (squawkBin && m.up) {
      const r = await runSquawk(upSectionOnly(text, located), {
        binPath: squawkBin,
        filePath: file,
        inTransaction: m.transaction,
        pgVersion: options.pgVersion,
        cwd,
        timeoutMs,
      });
      if (!r.ok) {
        squawk = 'unavailable';
        squawkBin = undefined;
        notes.push(`${r.reason}: only chatdb rules ran`);
        continue;
      }
      for (const v of r.violations)
        findings.push({
          file,
          line: v.line + 1,
          rule: v.rule,
          severity: 'error',
          message: v.message,
          fix:
            v.help ??
            `see ${SQUAWK_DOCS}${v.rule}, or add \`-- squawk-ignore ${v.rule}\` above it with a reason`,
          source: 'squawk',
        });
    }
  }
  findings.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  const squawkMissing = options.requireSquawk === true && squawk !== 'ran';
  if (squawkMissing) notes.push('squawk did not run and it is required (--require-squawk): lint fails');
  return { files: linted, findings, notes, squawk, errors, warnings, ok: errors === 0 && !squawkMissing };
}

/** The report as lines for a terminal: `file:line: severity rule: message` and its fix. */
export function formatLintReport(report: LintReport): string {
  const lines: string[] = [];
  for (const f of report.findings) {
    const rule = f.source === 'squawk' ? `squawk/${f.rule}` : f.rule;
    lines.push(`${f.file}:${f.line}: ${f.severity} ${rule}: ${f.message}`, `    fix: ${f.fix}`);
  }
  for (const n of report.notes) lines.push(`note: ${n}`);
  const n = report.files.length;
  lines.push(
    `${n} file${n === 1 ? '' : 's'} linted: ${report.errors} error${report.errors === 1 ? '' : 's'}, ` +
      `${report.warnings} warning${report.warnings === 1 ? '' : 's'}`,
  );
  return lines.join('\n');
}
