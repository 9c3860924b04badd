/**
 * Catalog queries behind `chatdb dump`. Each takes the names of the schemas to describe as $1
 * (text[]) and returns rows whose text already comes from Postgres's own deparsers (format_type,
 * pg_get_*def, pg_get_expr), so the output is what the server itself considers the definition.
 * Names are schema-qualified here (`public.users`); the dump then removes its home schema's
 * qualifier. Everything that belongs to an extension is skipped: the extension is listed instead.
 */

/** Rows that belong to an extension are its, not the schema owner's. */
const notFromExtension = (catalog: string, oid: string): string =>
  `NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '${catalog}'::regclass ` +
  `AND dep.objid = ${oid} AND dep.deptype = 'e')`;

/** `schema.name`, both quoted when needed. */
const qualified = (nsp: string, name: string): string =>
  `quote_ident(${nsp}.nspname) || '.' || quote_ident(${name})`;

const IN_SCHEMAS = 'n.nspname = ANY ($1::text[])';

/**
 * The user schemas: every schema but pg_catalog, information_schema, pg_toast and the temporary
 * ones (user schemas cannot start with `pg_`), and those an extension created. Takes no parameter.
 */
export const USER_SCHEMAS_SQL = `
SELECT n.nspname AS name
FROM pg_namespace n
WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
  AND ${notFromExtension('pg_namespace', 'n.oid')}`;

export const SCHEMAS_SQL = `
SELECT n.nspname AS schema, quote_ident(n.nspname) AS name
FROM pg_namespace n
WHERE ${IN_SCHEMAS}`;

export const EXTENSIONS_SQL = `
SELECT n.nspname AS schema, quote_ident(e.extname) AS name, quote_ident(n.nspname) AS in_schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE ${IN_SCHEMAS}`;

export const ENUMS_SQL = `
SELECT n.nspname AS schema, ${qualified('n', 't.typname')} AS name,
       array_to_string(array_agg(quote_literal(e.enumlabel) ORDER BY e.enumsortorder), ', ') AS labels
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
WHERE ${IN_SCHEMAS} AND ${notFromExtension('pg_type', 't.oid')}
GROUP BY t.oid, t.typname, n.nspname`;

export const DOMAINS_SQL = `
SELECT n.nspname AS schema, ${qualified('n', 't.typname')} AS name,
       format_type(t.typbasetype, t.typtypmod) AS base,
       t.typnotnull AS not_null, t.typdefault AS default_expr,
       (SELECT quote_ident(co.collname) FROM pg_collation co
         WHERE co.oid = t.typcollation AND t.typcollation <> bt.typcollation) AS collation,
       (SELECT array_to_string(array_agg('CONSTRAINT ' || quote_ident(c.conname) || ' ' ||
                 pg_get_constraintdef(c.oid) ORDER BY c.conname COLLATE "C"), ' ')
          FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype <> 'n') AS checks
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_type bt ON bt.oid = t.typbasetype
WHERE ${IN_SCHEMAS} AND t.typtype = 'd' AND ${notFromExtension('pg_type', 't.oid')}`;

/** Sequences that are not behind an identity column (those show on the column). */
export const SEQUENCES_SQL = `
SELECT n.nspname AS schema, ${qualified('n', 'c.relname')} AS name, format_type(s.seqtypid, NULL) AS type,
       s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min,
       s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle,
       (SELECT ${qualified('tn', 't.relname')} || '.' || quote_ident(a.attname)
          FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
          JOIN pg_namespace tn ON tn.oid = t.relnamespace
          JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a') AS owned_by
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid
WHERE ${IN_SCHEMAS} AND c.relkind = 'S' AND ${notFromExtension('pg_class', 'c.oid')}
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'i')`;

/** Tables, partitioned tables, views, materialized views and composite types. */
export const RELATIONS_SQL = `
SELECT c.oid::int8::text AS oid, n.nspname AS schema, ${qualified('n', 'c.relname')} AS name,
       c.relname AS bare_name, c.relkind::text AS kind,
       c.relpersistence::text AS persistence, c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       CASE WHEN c.relispartition THEN
         (SELECT ${qualified('pn', 'p.relname')} FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
           JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid) END AS partition_of,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
       CASE WHEN NOT c.relispartition THEN
         (SELECT string_agg(${qualified('pn', 'p.relname')}, ', ' ORDER BY i.inhseqno)
            FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
            JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid) END AS inherits,
       (SELECT string_agg(o, ', ' ORDER BY o COLLATE "C") FROM unnest(c.reloptions) o) AS reloptions,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS view_def,
       (SELECT CASE WHEN count(DISTINCT r.oid) = 1 THEN min(quote_ident(r.relname)) END
          FROM pg_rewrite rw JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
          JOIN pg_class r ON r.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass
         WHERE c.relkind IN ('v', 'm') AND rw.ev_class = c.oid AND r.oid <> c.oid) AS view_single_source,
       obj_description(c.oid, 'pg_class') AS comment
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE ${IN_SCHEMAS} AND c.relkind IN ('r', 'p', 'v', 'm', 'c') AND ${notFromExtension('pg_class', 'c.oid')}
  AND NOT (c.relkind = 'c' AND NOT EXISTS (SELECT 1 FROM pg_type t WHERE t.typrelid = c.oid AND t.typtype = 'c'))`;

/** Columns in table order; identity columns with their sequence's settings. */
export const COLUMNS_SQL = `
SELECT c.oid::int8::text AS rel, quote_ident(a.attname) AS name, format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null, a.attidentity::text AS identity, a.attgenerated::text AS generated,
       pg_get_expr(d.adbin, d.adrelid) AS default_expr,
       CASE WHEN a.attcollation <> t.typcollation THEN
         (SELECT CASE WHEN cn.nspname = 'pg_catalog' THEN '' ELSE quote_ident(cn.nspname) || '.' END ||
                 quote_ident(co.collname)
            FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
           WHERE co.oid = a.attcollation) END AS collation,
       col_description(c.oid, a.attnum) AS comment,
       format_type(iseq.seqtypid, NULL) AS id_type, iseq.seqstart::text AS id_start,
       iseq.seqincrement::text AS id_increment, iseq.seqmin::text AS id_min, iseq.seqmax::text AS id_max,
       iseq.seqcache::text AS id_cache, iseq.seqcycle AS id_cycle
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN (pg_depend idd JOIN pg_sequence iseq ON iseq.seqrelid = idd.objid)
  ON a.attidentity <> '' AND idd.classid = 'pg_class'::regclass AND idd.refclassid = 'pg_class'::regclass
     AND idd.refobjid = c.oid AND idd.refobjsubid = a.attnum AND idd.deptype = 'i'
WHERE ${IN_SCHEMAS} AND c.relkind IN ('r', 'p', 'v', 'm', 'c') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.oid, a.attnum`;

/** Postgres 18 also keeps NOT NULL as constraints (contype 'n'); they show on the columns here. */
export const CONSTRAINTS_SQL = `
SELECT c.conrelid::int8::text AS rel, quote_ident(c.conname) AS name, pg_get_constraintdef(c.oid) AS def
FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
WHERE ${IN_SCHEMAS} AND c.contype <> 'n' AND c.conislocal`;

/** Indexes that do not back a constraint (those are implied by the constraint). */
export const INDEXES_SQL = `
SELECT i.indrelid::int8::text AS rel, quote_ident(ic.relname) AS name, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
WHERE ${IN_SCHEMAS}
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)`;

export const TRIGGERS_SQL = `
SELECT t.tgrelid::int8::text AS rel, quote_ident(t.tgname) AS name, pg_get_triggerdef(t.oid) AS def,
       t.tgenabled::text AS enabled
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE ${IN_SCHEMAS} AND NOT t.tgisinternal AND t.tgparentid = 0`;

export const POLICIES_SQL = `
SELECT p.polrelid::int8::text AS rel, quote_ident(p.polname) AS name, p.polpermissive AS permissive,
       p.polcmd::text AS cmd,
       CASE WHEN p.polroles = '{0}' THEN 'PUBLIC' ELSE
         (SELECT string_agg(quote_ident(r.rolname), ', ' ORDER BY r.rolname COLLATE "C")
            FROM pg_roles r WHERE r.oid = ANY (p.polroles)) END AS roles,
       pg_get_expr(p.polqual, p.polrelid) AS using_expr, pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE ${IN_SCHEMAS}`;

/** Functions and procedures with their full definition; aggregates by signature only. */
export const FUNCTIONS_SQL = `
SELECT n.nspname AS schema,
       ${qualified('n', 'p.proname')} || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS signature,
       p.prokind::text AS kind, CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END AS def
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE ${IN_SCHEMAS} AND ${notFromExtension('pg_proc', 'p.oid')}`;
