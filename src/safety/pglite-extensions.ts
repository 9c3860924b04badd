import type { Extension, Extensions } from '@electric-sql/pglite';
import { ChatDbError } from '../errors.js';
import { loadMigrations, type Migration, splitStatements } from '../migrate/index.js';
import { lexStatement } from './sql-scan.js';

/** Built into every PGlite: CREATE EXTENSION needs no bundle for these. */
const BUILT_IN: ReadonlySet<string> = new Set(['plpgsql']);

/**
 * pgvector is not under `contrib/`: PGlite 0.3 shipped it as `@electric-sql/pglite/vector`, 0.4 and
 * later as the separate package `@electric-sql/pglite-pgvector`. Tried in this order.
 */
const VECTOR_MODULES = ['@electric-sql/pglite-pgvector', '@electric-sql/pglite/vector'] as const;
const VECTOR_PACKAGE = VECTOR_MODULES[0];

const CREATE_EXTENSION = /^CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[A-Za-z_][\w$-]*)/i;

/** Extension names of the CREATE EXTENSION statements in the up and down sections, sorted. */
export function extensionsCreatedBy(migrations: readonly Migration[]): string[] {
  const names = new Set<string>();
  for (const m of migrations)
    for (const sql of [m.up, m.down])
      for (const st of splitStatements(sql)) {
        const hit = CREATE_EXTENSION.exec(lexStatement(st.sql).bare);
        if (!hit?.[1]) continue;
        const raw = hit[1];
        names.add(raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw.toLowerCase());
      }
  return [...names].sort();
}

/**
 * The first of `specifiers` that imports and exports `name`; undefined when none does. Any import
 * failure counts as "not shipped": the error codes differ between Node and bundlers (vitest).
 */
async function importExtension(specifiers: readonly string[], name: string): Promise<Extension | undefined> {
  for (const spec of specifiers) {
    const mod = (await import(spec).catch(() => undefined)) as Record<string, unknown> | undefined;
    const ext = mod?.[name];
    if (ext && typeof ext === 'object') return ext as Extension;
  }
  return undefined;
}

/** Says why an extension cannot be loaded, as the error the caller wants. */
type Missing = (name: string, why: string) => ChatDbError;

const forVerify: Missing = (name, why) =>
  new ChatDbError(
    'verify_failed',
    `the migrations create extension ${name}, but the in-memory PGlite copy cannot: ${why}; ` +
      'or verify on real Postgres with --scratch server and a DATABASE_URL whose server has the extension',
  );

/**
 * Loads the PGlite bundles of the named extensions (from `extensionsCreatedBy`), so a PGlite
 * database can run those CREATE EXTENSION statements. Throws (by default `verify_failed`, for the
 * scratch copy of verify) naming the first extension PGlite does not ship.
 */
export async function loadPgliteExtensions(
  names: readonly string[],
  missing: Missing = forVerify,
): Promise<Extensions> {
  const out: Extensions = {};
  for (const name of names) {
    if (BUILT_IN.has(name)) continue;
    const key = name.replace(/-/g, '_');
    const ext = /^[a-z][a-z0-9_]*$/.test(key)
      ? await importExtension(
          key === 'vector' ? VECTOR_MODULES : [`@electric-sql/pglite/contrib/${key}`],
          key,
        )
      : undefined;
    if (ext) {
      out[key] = ext;
      continue;
    }
    throw missing(
      name,
      key === 'vector'
        ? `PGlite loads pgvector from the npm package ${VECTOR_PACKAGE}, which is not installed (add it to the project)`
        : 'PGlite does not ship it',
    );
  }
  return out;
}

/**
 * The bundles the embedded database needs for the CREATE EXTENSION statements of the migrations in
 * `dir` (loaded at every open: a database that has an extension needs its bundle from then on).
 * An extension PGlite does not ship is a `migration_invalid` error pointing to a real server.
 */
export function embeddedExtensions(dir: string): Promise<Extensions> {
  return loadPgliteExtensions(
    extensionsCreatedBy(loadMigrations(dir)),
    (name, why) =>
      new ChatDbError(
        'migration_invalid',
        `the migrations in ${dir} create extension ${name}, which the embedded database cannot load: ${why}; ` +
          'run them on a Postgres server that has it (DATABASE_URL=postgres://…)',
      ),
  );
}
