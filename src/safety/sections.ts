import type { Migration } from '../migrate/index.js';
import { splitStatements } from '../migrate/index.js';
import { lexStatement, type ScannedStatement } from './sql-scan.js';

/** One section of a migration file, located by line so findings can point into the file. */
export interface LocatedSection {
  /** 1-based line of the marker (`-- migrate:up`). */
  readonly markerLine: number;
  /** Runs outside a transaction (`transaction:false` on the marker). */
  readonly noTransaction: boolean;
  /** The section's statements, with file line numbers. */
  readonly statements: readonly ScannedStatement[];
  /** First and last (non-blank) 1-based file line of the section's body. */
  readonly firstLine: number;
  readonly lastLine: number;
}

export interface LocatedMigration {
  readonly up: LocatedSection | undefined;
  readonly down: LocatedSection | undefined;
  /** Rules switched off for this file with `-- chatdb-lint-ignore rule[, rule]`. */
  readonly ignored: ReadonlySet<string>;
}

const IGNORE = /^\s*--\s*chatdb-lint-ignore\s+(.+)$/;

const statementsOf = (sql: string, firstLine: number): ScannedStatement[] =>
  splitStatements(sql).map((st) => ({ line: firstLine + st.line - 1, ...lexStatement(st.sql) }));

/**
 * Locates the sections of a migration the engine parsed (`parseMigration`) in its file text, with
 * each statement's file line, for the lint rules. The engine always finds an up section; a down
 * section exists when its marker line does (its body may be empty).
 */
export function locate(m: Migration, text: string): LocatedMigration {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  // The last line with text: where a missing down section would go.
  let lineCount = lines.length;
  while (lineCount > 1 && (lines[lineCount - 1] ?? '').trim() === '') lineCount--;
  const hasDown = m.downLine > m.upLine;
  const ignored = new Set<string>();
  for (const l of text.split(/\r?\n/)) {
    const ig = IGNORE.exec(l);
    if (ig?.[1]) for (const r of ig[1].split(/[\s,]+/)) if (r) ignored.add(r);
  }
  const up: LocatedSection = {
    markerLine: m.upLine - 1,
    noTransaction: !m.transaction,
    statements: statementsOf(m.up, m.upLine),
    firstLine: m.upLine,
    lastLine: hasDown ? m.downLine - 2 : lineCount,
  };
  const down: LocatedSection | undefined = hasDown
    ? {
        markerLine: m.downLine - 1,
        noTransaction: !m.downTransaction,
        statements: statementsOf(m.down, m.downLine),
        firstLine: m.downLine,
        lastLine: lineCount,
      }
    : undefined;
  return { up, down, ignored };
}

/**
 * The file with everything outside the up section blanked (line count kept, so a linter's line
 * numbers are the file's). Comment lines that configure squawk stay wherever they are.
 */
export function upSectionOnly(text: string, located: LocatedMigration): string {
  const up = located.up;
  return text
    .split(/\r?\n/)
    .map((l, i) => {
      const line = i + 1;
      if (up && line >= up.firstLine && line <= up.lastLine) return l;
      return /^\s*--\s*squawk-ignore/.test(l) ? l : '';
    })
    .join('\n');
}
