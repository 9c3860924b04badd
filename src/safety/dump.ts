import type { Queryable, Session } from '../db/types.js';
import { canonicalExpressions } from './dump-expr.js';
import {
  COLUMNS_SQL,
  CONSTRAINTS_SQL,
  DOMAINS_SQL,
  ENUMS_SQL,
  EXTENSIONS_SQL,
  FUNCTIONS_SQL,
  INDEXES_SQL,
  POLICIES_SQL,
  RELATIONS_SQL,
  SCHEMAS_SQL,
  SEQUENCES_SQL,
  TRIGGERS_SQL,
  USER_SCHEMAS_SQL,
} from './dump-queries.js';
import {
  type Catalog,
  escapeRegExp,
  groupBy,
  type Row,
  relationBlock,
  relationExtras,
  sortBy,
  str,
} from './dump-relations.js';

export { identityOptions, normalizeViewDef } from './dump-relations.js';

/**
 * The home schema of a dump of every user schema: its objects are named without a qualifier and
 * come first; every other schema's objects are named `schema.name`.
 */
export const DEFAULT_DUMP_SCHEMA = 'public';

/**
 * Tables left out of the dump: the migration tool's own bookkeeping. Its columns depend on which
 * tool created it (dbmate: `version` only; chatdb adds name, checksum, ...), and it is not part of
 * the application's schema.
 */
export const DUMP_EXCLUDED_TABLES: readonly string[] = ['schema_migrations'];

export interface DumpOptions {
  /**
   * Describe only this schema (its objects unqualified). Default: every user schema (all but
   * pg_catalog, information_schema, pg_toast, temporary schemas and schemas an extension made).
   */
  readonly schema?: string | undefined;
}

/**
 * Removes the dumped schema's own qualifier (`public.users` -> `users`): deparsers qualify names
 * depending on the session's search_path and on the server version, and inside one schema the
 * qualifier says nothing. Other schemas' qualifiers stay.
 */
export function stripSchemaQualifier(text: string, schema: string): string {
  const plain = /^[a-z_][a-z0-9_$]*$/.test(schema);
  const forms = plain ? [schema, `"${schema}"`] : [`"${schema.replace(/"/g, '""')}"`];
  let out = text;
  for (const f of forms) {
    out = out.replace(new RegExp(`(^|[^\\w."$])${escapeRegExp(f)}\\.(?=["\\w])`, 'g'), '$1');
  }
  return out;
}

/**
 * The settings the catalog is read with, each SET LOCAL (it ends with the transaction, so nothing
 * stays on a pooled connection; a transaction-mode pooler keeps the transaction on one server
 * connection). search_path only pg_catalog: the deparsers then qualify every name outside
 * pg_catalog the same way whatever the role's search_path is, and `stripSchemaQualifier` removes
 * the home schema's qualifier. The rest fix how constants print, as pg_dump fixes them: a
 * timestamptz default or predicate literal prints in the session's TimeZone (`'2027-03-01
 * 13:00:00+01'` in Europe/Berlin), dates and intervals in its DateStyle and IntervalStyle, and a
 * float8 with extra_float_digits 0 rounded (`'0.3'` for 0.30000000000000004). A database or role
 * default (ALTER DATABASE ... SET timezone) would otherwise make the same schema read otherwise.
 */
const CATALOG_READ_SETTINGS = [
  'SET TRANSACTION READ ONLY',
  'SET LOCAL search_path TO pg_catalog',
  "SET LOCAL TimeZone TO 'UTC'",
  "SET LOCAL DateStyle TO 'ISO, MDY'",
  "SET LOCAL IntervalStyle TO 'postgres'",
  'SET LOCAL extra_float_digits TO 3',
].join('; ');

/** Reads the catalog in one read-only transaction, with `CATALOG_READ_SETTINGS`. */
async function readCatalog(db: Session, options: DumpOptions): Promise<Catalog> {
  return db.transaction(async (tx) => {
    await tx.exec(CATALOG_READ_SETTINGS);
    const names =
      options.schema === undefined
        ? (await tx.query<Row>(USER_SCHEMAS_SQL)).rows.map((r) => str(r.name))
        : [options.schema];
    return readCatalogIn(tx, names, options.schema ?? DEFAULT_DUMP_SCHEMA);
  });
}

async function readCatalogIn(db: Queryable, names: string[], home: string): Promise<Catalog> {
  const q = async (sql: string): Promise<Row[]> => (await db.query<Row>(sql, [names])).rows;
  // One at a time: a pooled Queryable may not run them in parallel on one connection anyway.
  const schemas = (await q(SCHEMAS_SQL)).filter((r) => r.schema !== home);
  const extensions = await q(EXTENSIONS_SQL);
  const enums = await q(ENUMS_SQL);
  const domains = await q(DOMAINS_SQL);
  const sequences = await q(SEQUENCES_SQL);
  const relations = await q(RELATIONS_SQL);
  const columns = groupBy(await q(COLUMNS_SQL));
  const constraints = groupBy(await q(CONSTRAINTS_SQL));
  const indexes = groupBy(await q(INDEXES_SQL));
  const triggers = groupBy(await q(TRIGGERS_SQL));
  const policies = groupBy(await q(POLICIES_SQL));
  const functions = await q(FUNCTIONS_SQL);
  return {
    home,
    schemas,
    extensions,
    enums,
    domains,
    sequences,
    relations,
    columns,
    constraints,
    indexes,
    triggers,
    policies,
    functions,
  };
}

/** One object of a dump: what kind, its name, and its text (already normalized). */
export interface DumpObject {
  readonly kind: 'schema' | 'extension' | 'enum' | 'domain' | 'sequence' | 'relation' | 'function';
  readonly name: string;
  readonly text: string;
}

/** Kinds listed one per line; every other object is a block of its own. */
const LISTED: ReadonlySet<DumpObject['kind']> = new Set([
  'schema',
  'extension',
  'enum',
  'domain',
  'sequence',
]);

function objectsOf(cat: Catalog): DumpObject[] {
  const home = cat.home;
  const out: DumpObject[] = [];
  const unqualified = (s: string): string => stripSchemaQualifier(s, home);
  const add = (kind: DumpObject['kind'], name: string, lines: string[]): void => {
    // Deparsed text prints some expressions as they were last read: see dump-expr.ts.
    out.push({ kind, name: unqualified(name), text: canonicalExpressions(unqualified(lines.join('\n'))) });
  };
  // The home schema's objects first, then each other schema's, each by name.
  const sorted = (rows: Row[], key: (r: Row) => string): Row[] =>
    sortBy(rows, (r) => `${r.schema === home ? '0' : `1${str(r.schema)}`}\u0000${unqualified(key(r))}`);
  for (const n of sortBy(cat.schemas, (r) => str(r.name)))
    add('schema', str(n.name), [`CREATE SCHEMA ${str(n.name)};`]);
  for (const e of sorted(cat.extensions, (r) => str(r.name))) {
    const where = e.schema === home ? '' : ` SCHEMA ${str(e.in_schema)}`;
    add('extension', str(e.name), [`CREATE EXTENSION ${str(e.name)}${where};`]);
  }
  for (const e of sorted(cat.enums, (r) => str(r.name)))
    add('enum', str(e.name), [`CREATE TYPE ${str(e.name)} AS ENUM (${str(e.labels)});`]);
  for (const d of sorted(cat.domains, (r) => str(r.name))) {
    let line = `CREATE DOMAIN ${str(d.name)} AS ${str(d.base)}`;
    if (d.collation) line += ` COLLATE ${str(d.collation)}`;
    if (d.default_expr) line += ` DEFAULT ${str(d.default_expr)}`;
    if (d.not_null) line += ' NOT NULL';
    if (d.checks) line += ` ${str(d.checks)}`;
    add('domain', str(d.name), [`${line};`]);
  }
  for (const s of sorted(cat.sequences, (r) => str(r.name))) {
    let line = `CREATE SEQUENCE ${str(s.name)} AS ${str(s.type)} START ${str(s.start)} INCREMENT ${str(s.increment)}`;
    line += ` MINVALUE ${str(s.min)} MAXVALUE ${str(s.max)} CACHE ${str(s.cache)}${s.cycle ? ' CYCLE' : ''}`;
    add('sequence', str(s.name), [s.owned_by ? `${line} OWNED BY ${str(s.owned_by)};` : `${line};`]);
  }
  const relations = cat.relations.filter((r) => !DUMP_EXCLUDED_TABLES.includes(str(r.bare_name)));
  for (const rel of sorted(relations, (r) => str(r.name)))
    add('relation', str(rel.name), [...relationBlock(cat, rel), ...relationExtras(cat, rel)]);
  for (const f of sorted(cat.functions, (r) => str(r.signature)))
    add('function', str(f.signature), [
      f.kind === 'a' ? `-- aggregate ${str(f.signature)}` : `${str(f.def).trim()};`,
    ]);
  return out;
}

/**
 * Renders objects as the dump text: a header, then the objects in order. `schema`: the one schema
 * described, or undefined for every user schema.
 */
export function renderDump(objects: readonly DumpObject[], schema?: string): string {
  const what =
    schema === undefined
      ? `every user schema (${DEFAULT_DUMP_SCHEMA}'s objects unqualified)`
      : `schema ${schema}`;
  const header = [
    `-- chatdb schema dump of ${what}, read from the system catalog by \`chatdb dump\`.`,
    '-- Deterministic and the same on every Postgres 14+ and PGlite: commit it and diff it in review.',
    `-- Left out: ${DUMP_EXCLUDED_TABLES.join(', ')}, owners, privileges, data. Not meant for restoring.`,
  ].join('\n');
  let body = '';
  objects.forEach((o, i) => {
    const prev = objects[i - 1];
    if (i > 0) body += prev?.kind === o.kind && LISTED.has(o.kind) ? '\n' : '\n\n';
    body += o.text;
  });
  return `${header}\n\n${body}\n`;
}

/** The dump as objects (for comparing two schemas object by object, as `chatdb baseline` does). */
export async function dumpObjects(db: Session, options: DumpOptions = {}): Promise<DumpObject[]> {
  return objectsOf(await readCatalog(db, options));
}

/**
 * A normalized, deterministic description of every user schema (or only `options.schema`), built
 * from catalog queries rather than pg_dump (absent for PGlite; its output changes with the server
 * version). Objects are sorted by schema (`public` first) and name, columns kept in table order;
 * `public`'s objects (or the one schema's) are named without a qualifier. Reads only, in a
 * read-only transaction.
 */
export async function dumpSchema(db: Session, options: DumpOptions = {}): Promise<string> {
  return renderDump(objectsOf(await readCatalog(db, options)), options.schema);
}
