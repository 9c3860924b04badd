import { performance } from 'node:perf_hooks';
import { isPgError } from '../db/errors.js';
import type { Queryable, Session } from '../db/index.js';
import { ChatDbError } from '../errors.js';
import type { Migration } from './files.js';
import { indexOfPosition, lineAt, type Statement, splitStatements } from './split.js';

export type Section = 'up' | 'down';

/**
 * Statements that start or end a transaction (ROLLBACK TO a savepoint does not). At the top level
 * of a section that runs in a transaction, a COMMIT applies what came before it for good, so a
 * later failure leaves half the migration behind.
 */
const TRANSACTION_CONTROL =
  /^(?:begin|start\s+transaction|commit|end|abort|rollback(?!\s+(?:(?:work|transaction)\s+)?to\b)|prepare\s+transaction)\b/i;

/**
 * Refuses a transactional section with top-level transaction control (BEGIN, COMMIT, ROLLBACK,
 * END, START TRANSACTION, ...), naming the file and line; statements inside strings, dollar-quoted
 * bodies or comments do not count (the splitter skips them). `transaction:false` sections may
 * manage their own transactions.
 */
export function checkTransactionControl(m: Migration, section: Section): void {
  if (!(section === 'up' ? m.transaction : m.downTransaction)) return;
  const sectionLine = section === 'up' ? m.upLine : m.downLine;
  for (const st of splitStatements(section === 'up' ? m.up : m.down)) {
    const found = TRANSACTION_CONTROL.exec(st.sql)?.[0];
    if (found === undefined) continue;
    const statement = found.replace(/\s+/g, ' ').toUpperCase();
    throw new ChatDbError(
      'migration_invalid',
      `${m.file} (${section}) at line ${sectionLine + st.line - 1}: ${statement} is not allowed here: each ` +
        'migration already runs in its own transaction, and ending it early would leave the migration half ' +
        `applied when a later statement fails. Remove it, or write "-- migrate:${section} transaction:false" ` +
        'to manage transactions yourself',
    );
  }
}

/**
 * Runs one section of a migration and `record`s it; returns how long it took (ms).
 * Transactional (the default): the section is sent as one script and `record` runs in the same
 * transaction, so a failure leaves nothing behind. `transaction:false`: the statements are sent one
 * at a time outside any transaction (a multi-statement string would be one implicit transaction,
 * in which CREATE INDEX CONCURRENTLY fails), then `record` runs.
 */
export async function runSection(
  s: Session,
  m: Migration,
  section: Section,
  record: (q: Queryable, durationMs: number) => Promise<void>,
): Promise<number> {
  checkTransactionControl(m, section);
  const sql = section === 'up' ? m.up : m.down;
  const transactional = section === 'up' ? m.transaction : m.downTransaction;
  const t0 = performance.now();
  if (transactional) {
    try {
      await s.transaction(async (tx) => {
        await tx.exec(sql);
        await record(tx, performance.now() - t0);
      });
    } catch (e) {
      throw migrationError(m, section, e);
    }
    return performance.now() - t0;
  }
  const statements = splitStatements(sql);
  for (const [i, st] of statements.entries()) {
    try {
      await s.exec(st.sql);
    } catch (e) {
      throw migrationError(m, section, e, st, i);
    }
  }
  try {
    await record(s, performance.now() - t0);
  } catch (e) {
    throw migrationError(m, section, e);
  }
  return performance.now() - t0;
}

/**
 * One line naming the file, the section, the line in the file and Postgres's message. The line
 * comes from the error's `position` (characters into the text sent); without one, a statement sent
 * alone is named by its first line and a whole section by its line range.
 */
export function migrationError(
  m: Migration,
  section: Section,
  e: unknown,
  statement?: Statement,
  statementIndex = 0,
): ChatDbError {
  if (e instanceof ChatDbError) return e;
  const sectionLine = section === 'up' ? m.upLine : m.downLine;
  const sectionSql = section === 'up' ? m.up : m.down;
  const sent = statement?.sql ?? sectionSql;
  const sentLine = statement === undefined ? sectionLine : sectionLine + statement.line - 1;
  const position = isPgError(e) ? Number(e.position) : Number.NaN;
  let where: string;
  if (Number.isInteger(position) && position > 0) {
    where = `(${section}) at line ${sentLine + lineAt(sent, indexOfPosition(sent, position)) - 1}`;
  } else if (statement !== undefined) {
    where = `(${section}) at line ${sentLine}`;
  } else {
    const last = sectionLine + lineAt(sectionSql, sectionSql.trimEnd().length) - 1;
    where = `(${section}, lines ${sectionLine}-${last})`;
  }
  const message = e instanceof Error ? e.message : String(e);
  const extra = isPgError(e)
    ? [e.detail, e.hint ? `hint: ${e.hint}` : undefined].filter((x): x is string => Boolean(x))
    : [];
  const note =
    statementIndex > 0
      ? ` (transaction:false: the ${statementIndex} statement(s) before it stay applied; fix the file and run again)`
      : '';
  const oneLine = [message, ...extra].join('; ').replace(/\s*\n\s*/g, ' ');
  return new ChatDbError('migration_failed', `${m.file} ${where}: ${oneLine}${note}`, { cause: e });
}
