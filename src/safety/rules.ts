import type { LocatedMigration, LocatedSection } from './sections.js';
import type { ScannedStatement } from './sql-scan.js';

export type Severity = 'error' | 'warning' | 'info';

/** One problem `chatdb lint` found. `line` is 1-based, in the migration file. */
export interface LintFinding {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
  /** One line: what to change. */
  readonly fix: string;
  readonly source: 'chatdb' | 'squawk';
}

/** chatdb's own rules (squawk's come on top). */
export type ChatdbRule =
  | 'missing-up'
  | 'empty-up'
  | 'missing-down'
  | 'empty-down'
  | 'non-transactional-statement'
  | 'transaction-false-multiple-statements'
  | 'enum-value-used-in-same-transaction'
  | 'cluster-wide-statement'
  | 'edited-applied-migration';

const NON_TRANSACTIONAL: readonly [RegExp, string][] = [
  [/^CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\b/, 'CREATE INDEX CONCURRENTLY'],
  [/^DROP\s+INDEX\s+CONCURRENTLY\b/, 'DROP INDEX CONCURRENTLY'],
  [/^REINDEX\b[^;]*\bCONCURRENTLY\b/, 'REINDEX CONCURRENTLY'],
  [/^ALTER\s+TABLE\b[^;]*\bDETACH\s+PARTITION\b[^;]*\bCONCURRENTLY\b/, 'DETACH PARTITION CONCURRENTLY'],
  [/^VACUUM\b/, 'VACUUM'],
  [/^(CREATE|DROP)\s+DATABASE\b/, 'CREATE/DROP DATABASE'],
  [/^(CREATE|DROP)\s+TABLESPACE\b/, 'CREATE/DROP TABLESPACE'],
  [/^ALTER\s+SYSTEM\b/, 'ALTER SYSTEM'],
];

/**
 * Statements that change the cluster rather than the database (roles, databases, tablespaces,
 * role membership): verify's scratch database on the same server runs them for real, its down
 * step does not bring them back, and the schema dump does not show them.
 */
const CLUSTER_WIDE: readonly [RegExp, string][] = [
  [/^(CREATE|ALTER|DROP)\s+(ROLE|USER|GROUP)\b(?!\s+MAPPING\b)/, 'roles'],
  [/^(CREATE|ALTER|DROP)\s+DATABASE\b/, 'databases'],
  [/^(CREATE|ALTER|DROP)\s+TABLESPACE\b/, 'tablespaces'],
  [/^(GRANT|REVOKE)\b(?![^;]*\bON\b)/, 'role membership'],
  [/^(GRANT|REVOKE)\b[^;]*\bON\s+(DATABASE|TABLESPACE)\b/, 'database privileges'],
];

/** SET and RESET change only the session: they do not count as statements of a non-transactional section. */
const SESSION_SETTING = /^(SET|RESET)\b/;

const ADD_VALUE = /^ALTER\s+TYPE\s+\S+\s+ADD\s+VALUE\s+(?:IF\s+NOT\s+EXISTS\s+)?('(?:[^']|'')*')/i;

const words = (s: ScannedStatement): string => s.bare.replace(/\s+/g, ' ').toUpperCase();
/** A statement that changes something (SET and RESET change only the session or transaction). */
const isChange = (s: ScannedStatement): boolean => !SESSION_SETTING.test(words(s));

function sectionRules(file: string, name: 'up' | 'down', sec: LocatedSection): LintFinding[] {
  const out: LintFinding[] = [];
  const marker = `-- migrate:${name} transaction:false`;
  if (!sec.noTransaction) {
    for (const st of sec.statements) {
      const hit = NON_TRANSACTIONAL.find(([re]) => re.test(words(st)));
      if (hit)
        out.push({
          file,
          line: st.line,
          rule: 'non-transactional-statement',
          severity: 'error',
          message: `${hit[1]} cannot run inside a transaction block, and this ${name} section runs in one`,
          fix: `move it to a migration of its own whose marker reads \`${marker}\``,
          source: 'chatdb',
        });
    }
    // Postgres 12+ allows ADD VALUE in a transaction, but not using the new label before commit.
    const added: { label: string; line: number }[] = [];
    for (const st of sec.statements) {
      for (const a of added)
        if (st.code.includes(a.label))
          out.push({
            file,
            line: st.line,
            rule: 'enum-value-used-in-same-transaction',
            severity: 'error',
            message: `uses enum value ${a.label}, added on line ${a.line} in the same transaction: Postgres refuses ("unsafe use of new value")`,
            fix: 'move the statements that use the new value to a later migration',
            source: 'chatdb',
          });
      const m = ADD_VALUE.exec(st.code);
      if (m?.[1]) added.push({ label: m[1], line: st.line });
    }
  } else {
    const real = sec.statements.filter((st) => !SESSION_SETTING.test(words(st)));
    if (real.length > 1)
      out.push({
        file,
        line: sec.markerLine,
        rule: 'transaction-false-multiple-statements',
        severity: 'error',
        message: `transaction:false ${name} section has ${real.length} statements (SET and RESET aside): if one fails, the ones before it stay applied and the migration is not recorded`,
        fix: 'give each non-transactional statement its own migration (one statement per transaction:false file, plus its SET lock_timeout / statement_timeout lines)',
        source: 'chatdb',
      });
  }
  for (const st of sec.statements) {
    const hit = CLUSTER_WIDE.find(([re]) => re.test(words(st)));
    if (hit)
      out.push({
        file,
        line: st.line,
        rule: 'cluster-wide-statement',
        severity: 'warning',
        message: `changes ${hit[1]}, which belong to the whole server, not to this database: chatdb verify runs it for real on the same server (its scratch copy is only a database), does not undo it, and the schema dump does not show it`,
        fix: 'manage roles, databases and tablespaces outside the migrations (or add `-- chatdb-lint-ignore cluster-wide-statement` with a reason and verify with --scratch pglite)',
        source: 'chatdb',
      });
  }
  return out;
}

/**
 * chatdb's own file rules: an up and a down section that exist and are not empty, statements that
 * cannot run in a transaction outside `transaction:false`, one statement per `transaction:false`
 * section (SET/RESET aside), no use of an enum value in the transaction that adds it, and a warning
 * for statements that change the cluster (roles, databases, tablespaces). Rules named in a
 * `-- chatdb-lint-ignore rule` comment are skipped for that file.
 */
export function checkMigrationFile(file: string, located: LocatedMigration): LintFinding[] {
  const out: LintFinding[] = [];
  const { up, down } = located;
  if (!up)
    out.push({
      file,
      line: 1,
      rule: 'missing-up',
      severity: 'error',
      message: 'no `-- migrate:up` section',
      fix: 'start the migration with a `-- migrate:up` line followed by its statements',
      source: 'chatdb',
    });
  else if (!up.statements.some(isChange))
    out.push({
      file,
      line: up.markerLine,
      rule: 'empty-up',
      severity: 'error',
      message: 'the up section has no statements (SET and RESET aside)',
      fix: 'write the change under `-- migrate:up`, or delete the file',
      source: 'chatdb',
    });
  if (!down)
    out.push({
      file,
      line: up ? up.lastLine : 1,
      rule: 'missing-down',
      severity: 'error',
      message: 'no `-- migrate:down` section: the migration cannot be rolled back or verified',
      fix: 'add a `-- migrate:down` section with the statements that undo the up section',
      source: 'chatdb',
    });
  else if (!down.statements.some(isChange))
    out.push({
      file,
      line: down.markerLine,
      rule: 'empty-down',
      severity: 'error',
      message:
        'the down section has no statements (SET and RESET aside): rolling back would record a change it did not undo',
      fix: 'write the statements that undo the up section (or add `-- chatdb-lint-ignore empty-down` with a reason)',
      source: 'chatdb',
    });
  if (up) out.push(...sectionRules(file, 'up', up));
  if (down) out.push(...sectionRules(file, 'down', down));
  return out.filter((f) => !located.ignored.has(f.rule));
}
