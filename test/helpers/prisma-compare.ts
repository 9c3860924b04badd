/**
 * Compares a database's catalog with a Prisma schema (its SchemaShape from prisma-shape.ts), object
 * by object, and lists every difference as one readable line: tables <-> models, columns <->
 * fields (type, NOT NULL, default), primary keys, unique and plain indexes (columns, order, method,
 * partial predicate) and foreign keys (columns, target, ON DELETE / ON UPDATE, name). An index
 * Prisma cannot express (on an expression) must be named in a comment of the schema instead.
 * CHECK constraints and triggers are not compared: Prisma has no syntax for them.
 */
import type { Queryable } from '../../src/db/index.js';

/** chatdb's own bookkeeping, not part of the schema Prisma maps (chatdb owns it). */
export const NOT_MAPPED_TABLES: readonly string[] = ['schema_migrations'];

/** One description per object, keyed by a stable name; a difference is a key whose texts differ. */
export interface SchemaShape {
  readonly tables: ReadonlySet<string>;
  /** `table.column` -> `text NOT NULL DEFAULT x` */
  readonly columns: ReadonlyMap<string, string>;
  /** `table index_name` -> `UNIQUE btree (a, b DESC) WHERE …` (expression indexes: `EXPRESSION …`). */
  readonly indexes: ReadonlyMap<string, string>;
  /** `table fkey_name` -> `(a, b) REFERENCES t (c, d) ON DELETE Cascade ON UPDATE NoAction` */
  readonly foreignKeys: ReadonlyMap<string, string>;
}

const ACTIONS: Record<string, string> = {
  a: 'NoAction',
  r: 'Restrict',
  c: 'Cascade',
  n: 'SetNull',
  d: 'SetDefault',
};

/** A default as text without casts and quotes: `'{}'::jsonb` -> `{}`, `'en'::text` -> `en`. */
const plainDefault = (expr: string): string => {
  const bare = expr.replace(/::[a-z ]+(\(\d+\))?(\[\])?$/i, '');
  return /^'.*'$/s.test(bare) ? bare.slice(1, -1).replaceAll("''", "'") : bare;
};
/** A predicate (pg_get_expr's or a schema's raw()) without casts of literals, outer parentheses and extra spaces. */
const plainPredicate = (p: string): string => {
  let s = p
    .replace(/('(?:[^']|'')*')::[a-z ]+(\[\])?/gi, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  while (/^\(.*\)$/.test(s) && balanced(s.slice(1, -1))) s = s.slice(1, -1).trim();
  return s;
};
const balanced = (s: string): boolean => {
  let depth = 0;
  for (const c of s) {
    depth += c === '(' ? 1 : c === ')' ? -1 : 0;
    if (depth < 0) return false;
  }
  return depth === 0;
};
export const describeColumn = (type: string, notNull: boolean, dflt: string | null) =>
  `${type} ${notNull ? 'NOT NULL' : 'NULL'}${dflt === null ? '' : ` DEFAULT ${dflt}`}`;
export const describeIndex = (
  kind: string,
  method: string,
  cols: readonly string[],
  predicate: string | null,
) => `${kind} ${method} (${cols.join(', ')})${predicate ? ` WHERE ${plainPredicate(predicate)}` : ''}`;

/** The shape of the tables in the current schema of the database `q` is connected to. */
export async function databaseShape(q: Queryable): Promise<SchemaShape> {
  const skip = [...NOT_MAPPED_TABLES];
  const cols = await q.query<{ t: string; c: string; type: string; not_null: boolean; dflt: string | null }>(
    `SELECT c.relname AS t, a.attname AS c, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS dflt
       FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
        AND c.relname <> ALL ($1::text[])`,
    [skip],
  );
  const idx = await q.query<{
    t: string;
    name: string;
    kind: string;
    method: string;
    cols: string[];
    expr: boolean;
    predicate: string | null;
  }>(
    `SELECT c.relname AS t, i.relname AS name, am.amname AS method,
            CASE WHEN x.indisprimary THEN 'PRIMARY KEY' WHEN x.indisunique THEN 'UNIQUE' ELSE 'INDEX' END AS kind,
            (SELECT json_agg(pg_get_indexdef(x.indexrelid, k, true)
                    || CASE WHEN x.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END ORDER BY k)
               FROM generate_series(1, x.indnkeyatts) k) AS cols,
            x.indexprs IS NOT NULL AS expr, pg_get_expr(x.indpred, x.indrelid) AS predicate
       FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_am am ON am.oid = i.relam
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relname <> ALL ($1::text[])`,
    [skip],
  );
  const fks = await q.query<{
    t: string;
    name: string;
    cols: string[];
    ref: string;
    ref_cols: string[];
    del: string;
    upd: string;
  }>(
    `SELECT t.relname AS t, k.conname AS name, r.relname AS ref, k.confdeltype AS del, k.confupdtype AS upd,
            (SELECT json_agg(a.attname ORDER BY o) FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
               JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n) AS cols,
            (SELECT json_agg(a.attname ORDER BY o) FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
               JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n) AS ref_cols
       FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
      WHERE k.contype = 'f' AND t.relnamespace = current_schema()::regnamespace`,
  );
  return {
    tables: new Set(cols.rows.map((r) => r.t)),
    columns: new Map(
      cols.rows.map((r) => [
        `${r.t}.${r.c}`,
        describeColumn(r.type, r.not_null, r.dflt === null ? null : plainDefault(r.dflt)),
      ]),
    ),
    indexes: new Map(
      idx.rows.map((r) => [
        `${r.t} ${r.name}`,
        r.expr ? `EXPRESSION ${r.kind}` : describeIndex(r.kind, r.method, r.cols, r.predicate),
      ]),
    ),
    foreignKeys: new Map(
      fks.rows.map((r) => [
        `${r.t} ${r.name}`,
        `(${r.cols.join(', ')}) REFERENCES ${r.ref} (${r.ref_cols.join(', ')}) ON DELETE ${ACTIONS[r.del]} ON UPDATE ${ACTIONS[r.upd]}`,
      ]),
    ),
  };
}

/** Every difference between the database and the schema, one line each, sorted. */
export function compareShapes(db: SchemaShape, prisma: SchemaShape & { comments: string }): string[] {
  const out: string[] = [];
  for (const t of db.tables)
    if (!prisma.tables.has(t)) out.push(`table ${t}: in the database, no model maps it`);
  for (const t of prisma.tables)
    if (!db.tables.has(t)) out.push(`table ${t}: a model maps it, not in the database`);
  const both = (kind: string, a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>) => {
    for (const [key, dbText] of a) {
      const [table] = key.split(/[. ]/);
      if (!prisma.tables.has(table ?? '')) continue; // reported with its table
      const p = b.get(key);
      // An expression index cannot be in schema.prisma: it must be named in a comment there.
      if (dbText.startsWith('EXPRESSION')) {
        const name = key.split(' ')[1] ?? '';
        if (!new RegExp(`//.*\\b${name}\\b`).test(prisma.comments))
          out.push(`${kind} ${key}: ${dbText} index, not expressible: name it in a comment of schema.prisma`);
      } else if (p === undefined)
        out.push(`${kind} ${key}: in the database "${dbText}", not in schema.prisma`);
      else if (p !== dbText) out.push(`${kind} ${key}: database "${dbText}", schema.prisma "${p}"`);
    }
    for (const [key, p] of b)
      if (!a.has(key) && db.tables.has(key.split(/[. ]/)[0] ?? ''))
        out.push(`${kind} ${key}: in schema.prisma "${p}", not in the database`);
  };
  both('column', db.columns, prisma.columns);
  both('index', db.indexes, prisma.indexes);
  both('foreign key', db.foreignKeys, prisma.foreignKeys);
  return out.sort();
}
