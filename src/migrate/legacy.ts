import { endsStatement } from './split.js';

const IDENT = String.raw`(?:"[^"]+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|[A-Za-z_][\w$]*))?`;
const OBJECT = String.raw`(?:TABLE|INDEX|VIEW|MATERIALIZED\s+VIEW|SEQUENCE|TYPE|DOMAIN|FUNCTION|PROCEDURE|TRIGGER|SCHEMA|EXTENSION|POLICY|RULE|AGGREGATE|COLLATION|PUBLICATION|STATISTICS|CAST|OPERATOR|SERVER|FOREIGN\s+TABLE|EVENT\s+TRIGGER|TEXT\s+SEARCH)`;

/**
 * How a SQL statement begins: a verb and what it needs next (`DROP TABLE`, `DELETE FROM t`,
 * `UPDATE t SET`), so that prose such as "Rollback: drop the column" does not look like SQL.
 */
const STATEMENT_START = new RegExp(
  `^(?:${[
    String.raw`(?:CREATE(?:\s+OR\s+REPLACE)?(?:\s+UNIQUE|\s+TEMP(?:ORARY)?|\s+UNLOGGED)?|ALTER|DROP)\s+${OBJECT}\b`,
    String.raw`DELETE\s+FROM\s+${IDENT}`,
    String.raw`INSERT\s+INTO\s+${IDENT}`,
    String.raw`UPDATE\s+(?:ONLY\s+)?${IDENT}\s*(?:SET\b|$)`,
    String.raw`TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?${IDENT}\s*(?:[,;]|$|CASCADE|RESTRICT|RESTART|CONTINUE)`,
    String.raw`COMMENT\s+ON\s+(?:${OBJECT}|COLUMN|CONSTRAINT)\b`,
    String.raw`(?:GRANT|REVOKE)\s+[\w\s,]+?\s+ON\s+.+\s(?:TO|FROM)\s`,
    String.raw`SELECT\s.*;\s*$`,
    String.raw`SET\s+(?:LOCAL\s+|SESSION\s+)?[\w.]+\s*(?:=|TO\s)`,
    String.raw`REFRESH\s+MATERIALIZED\s+VIEW\s`,
    String.raw`REINDEX\s+(?:INDEX|TABLE|SCHEMA|DATABASE)\s`,
    String.raw`DO\s+(?:LANGUAGE\s+\w+\s+)?\$`,
    String.raw`CALL\s+${IDENT}\s*\(`,
  ].join('|')})`,
  'i',
);

const COMMENTED = /^\s*--\s?(.*)$/;
/** The runner keeps schema_migrations itself: the old layout's own bookkeeping is dropped. */
const BOOKKEEPING = /^\s*DELETE\s+FROM\s+schema_migrations\b/i;

/**
 * The down section of the older `-- UP` / `-- DOWN` layout, whose statements are commented out
 * with `-- `: a commented line that begins a SQL statement is uncommented, and so are the lines
 * that continue it up to its closing `;` (a blank line also ends it); other comments, the prose
 * around the statements, stay comments. A `DELETE FROM schema_migrations …` statement becomes
 * blank lines. One line out for each line in, so errors keep their line numbers.
 */
export function uncommentLegacyDown(lines: readonly string[]): string[] {
  const out: string[] = [];
  let open: { text: string; drop: boolean } | undefined; // the statement being uncommented
  for (const line of lines) {
    const comment = COMMENTED.exec(line)?.[1];
    if (open === undefined) {
      if (comment === undefined || !STATEMENT_START.test(comment.trim())) {
        out.push(BOOKKEEPING.test(line) ? '' : line);
        continue;
      }
      open = { text: '', drop: BOOKKEEPING.test(comment) };
    } else if (line.trim() === '') {
      open = undefined; // that statement never got its ';'
      out.push(line);
      continue;
    }
    const sql = comment ?? line;
    open.text += `${sql}\n`;
    out.push(open.drop ? '' : sql);
    if (endsStatement(open.text)) open = undefined;
  }
  return out;
}
