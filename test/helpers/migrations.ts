import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queryable } from '../../src/db/index.js';

/** A temporary migrations directory holding `files` (name -> content). */
export function migrationsDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'chatdb-mig-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** A dbmate-style migration file's text. */
export const sql = (up: string, down = '', upOptions = ''): string =>
  `-- migrate:up${upOptions ? ` ${upOptions}` : ''}\n${up}\n\n-- migrate:down\n${down}\n`;

/** Names of the tables in the current schema, sorted. */
export async function tables(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ t: string }>(
    `SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`,
  );
  return rows.map((r) => r.t);
}

/**
 * A catalog-based description of the current schema (columns with types, defaults and nullability,
 * constraints, indexes, triggers, functions), without schema_migrations, to compare two databases.
 */
export async function describeSchema(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ d: string }>(`
    SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
           || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS d
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
       AND c.relname <> 'schema_migrations'
    UNION ALL
    SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace = current_schema()::regnamespace AND conrelid::regclass::text <> 'schema_migrations'
    UNION ALL
    SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid)
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
    UNION ALL
    SELECT 'function ' || pg_get_functiondef(p.oid)
      FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace
    ORDER BY 1`);
  return rows.map((r) => r.d);
}

/** The versions of chatdb's own baseline files, as they are in the package's migrations/ directory. */
export const BASELINE_VERSIONS: readonly string[] = readdirSync(new URL('../../migrations/', import.meta.url))
  .filter((f) => /^\d{14}_chatdb_.*\.sql$/.test(f))
  .map((f) => f.slice(0, 14))
  .sort();

/** The tables of the `all` scope (chatdb's bookkeeping table aside), in name order. */
export const ALL_TABLES: readonly string[] = [
  'auth_tokens',
  'chat_sessions',
  'message_citations',
  'message_feedback',
  'messages',
  'session_shares',
  'user_profiles',
  'users',
];
