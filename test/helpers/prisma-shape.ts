/**
 * The database a Prisma schema describes, as a SchemaShape (prisma-compare.ts) to hold against the
 * catalog. Read by Prisma itself: getDMMF from @prisma/internals runs the schema parser's wasm, the
 * one `prisma validate` and `prisma generate` use (no engine binary, no network). The DMMF leaves
 * out an index's `where: raw("…")`, a relation's `map:` (the foreign key's name) and comments:
 * those are read from the text.
 */
import internals from '@prisma/internals';
import { describeColumn, describeIndex, type SchemaShape } from './prisma-compare.js';

type Document = Awaited<ReturnType<typeof internals.getDMMF>>;
type Model = Document['datamodel']['models'][number];
type Field = Model['fields'][number];

/** Prisma's scalar types on PostgreSQL without a native type attribute, as format_type() writes them. */
const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};
/** Native types (`@db.X(args)`) as format_type() writes them. */
const NATIVE_TYPES: Record<string, (args: readonly string[]) => string> = {
  Uuid: () => 'uuid',
  Text: () => 'text',
  JsonB: () => 'jsonb',
  Json: () => 'json',
  Integer: () => 'integer',
  SmallInt: () => 'smallint',
  BigInt: () => 'bigint',
  DoublePrecision: () => 'double precision',
  Real: () => 'real',
  Boolean: () => 'boolean',
  ByteA: () => 'bytea',
  Date: () => 'date',
  VarChar: (a) => (a.length ? `character varying(${a[0]})` : 'character varying'),
  Char: (a) => `character(${a[0] ?? 1})`,
  Timestamptz: (a) => `timestamp(${a[0] ?? 3}) with time zone`,
  Timestamp: (a) => `timestamp(${a[0] ?? 3}) without time zone`,
};

const columnType = (f: Field): string => {
  const native = f.nativeType as readonly [string, readonly string[]] | null | undefined;
  const base = native
    ? (NATIVE_TYPES[native[0]]?.(native[1]) ?? `${native[0]}(${native[1].join(',')})?`)
    : (SCALAR_TYPES[f.type] ?? `${f.type}?`);
  return f.isList ? `${base}[]` : base;
};

/** A field's default as the catalog's default reads once casts and quotes are gone. */
const defaultText = (d: unknown): string => {
  if (Array.isArray(d)) return `{${d.map(String).join(',')}}`;
  if (d && typeof d === 'object' && 'name' in d) {
    const { name, args } = d as { name: string; args: readonly unknown[] };
    if (name === 'now') return 'now()';
    if (name === 'dbgenerated') return String(args[0]);
    return `${name}(${args.join(', ')}) (set by Prisma Client, not the database)`;
  }
  return String(d);
};

/** The schema's text parts the DMMF leaves out: partial index predicates, foreign key names, comments. */
function fromText(schema: string) {
  const predicates = new Map<string, string>();
  const fkNames = new Map<string, string>();
  for (const m of schema.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    for (const raw of (m[2] ?? '').split('\n')) {
      const line = raw.replace(/\/\/.*$/, '');
      const map = /\bmap:\s*"([^"]+)"/.exec(line)?.[1];
      const where = /\bwhere:\s*raw\("((?:[^"\\]|\\.)*)"\)/.exec(line)?.[1];
      if (where !== undefined) {
        if (!map) throw new Error(`schema.prisma: a partial index without map: ${line.trim()}`);
        predicates.set(map, where.replace(/\\(.)/g, '$1'));
      }
      const rel = /^\s*(\w+)\s+\w+(\[\])?\??\s.*@relation\(/.exec(line);
      if (rel && map) fkNames.set(`${m[1]}.${rel[1]}`, map);
    }
  }
  const comments = [...schema.matchAll(/\/\/.*$/gm)].map((c) => c[0]).join('\n');
  return { predicates, fkNames, comments };
}

/** The shape of the database that `schema` (the text of a schema.prisma) maps. */
export async function prismaShape(schema: string): Promise<SchemaShape & { comments: string }> {
  const dmmf = await internals.getDMMF({ datamodel: schema });
  const { predicates, fkNames, comments } = fromText(schema);
  const models = new Map(dmmf.datamodel.models.map((m) => [m.name, m]));
  const table = (m: Model) => m.dbName ?? m.name;
  const col = (m: Model, field: string) => {
    const f = m.fields.find((x) => x.name === field);
    return f?.dbName ?? field;
  };
  const columns = new Map<string, string>();
  const foreignKeys = new Map<string, string>();
  for (const m of dmmf.datamodel.models) {
    for (const f of m.fields) {
      if (f.kind !== 'object') {
        // A list is never null in the client: its column must be NOT NULL.
        const notNull = f.isList || f.isRequired;
        const dflt = f.hasDefaultValue ? defaultText(f.default) : null;
        columns.set(`${table(m)}.${f.dbName ?? f.name}`, describeColumn(columnType(f), notNull, dflt));
        continue;
      }
      const from = f.relationFromFields ?? [];
      const target = models.get(f.type);
      if (!from.length || !target) continue;
      const cols = from.map((x) => col(m, x));
      const refs = (f.relationToFields ?? []).map((x) => col(target, x));
      // Prisma's defaults when the schema does not say.
      const onDelete = f.relationOnDelete ?? (f.isRequired ? 'Restrict' : 'SetNull');
      const onUpdate = f.relationOnUpdate ?? 'Cascade';
      const name = fkNames.get(`${m.name}.${f.name}`) ?? `${table(m)}_${cols.join('_')}_fkey`;
      foreignKeys.set(
        `${table(m)} ${name}`,
        `(${cols.join(', ')}) REFERENCES ${table(target)} (${refs.join(', ')}) ON DELETE ${onDelete} ON UPDATE ${onUpdate}`,
      );
    }
  }
  const indexes = new Map<string, string>();
  const KINDS: Record<string, [string, string]> = {
    id: ['PRIMARY KEY', 'pkey'],
    unique: ['UNIQUE', 'key'],
    normal: ['INDEX', 'idx'],
  };
  for (const i of dmmf.datamodel.indexes) {
    const m = models.get(i.model);
    if (!m) continue;
    const [kind, suffix] = KINDS[i.type] ?? [i.type.toUpperCase(), i.type];
    const names = i.fields.map((f) => col(m, f.name));
    const cols = i.fields.map((f, k) => `${names[k]}${f.sortOrder === 'desc' ? ' DESC' : ''}`);
    const name =
      i.dbName ?? (i.type === 'id' ? `${table(m)}_pkey` : `${table(m)}_${names.join('_')}_${suffix}`);
    const method = (i as { algorithm?: string }).algorithm?.toLowerCase() ?? 'btree';
    indexes.set(`${table(m)} ${name}`, describeIndex(kind, method, cols, predicates.get(name) ?? null));
  }
  return {
    tables: new Set(dmmf.datamodel.models.map(table)),
    columns,
    indexes,
    foreignKeys,
    comments,
  };
}
