import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpSchema } from '../../src/safety/dump.js';
import {
  canonicalBoolChains as canon,
  canonicalExpressions as canonAll,
} from '../../src/safety/dump-expr.js';
import { freshDatabase, type ScratchDatabase } from '../helpers/db.js';

describe('canonicalBoolChains', () => {
  it('makes a nested AND (or OR) chain one chain, as a reparse prints it', () => {
    expect(canon("CHECK ((((a >= 3) AND (a <= 320)) AND (b ~~ '_%'::text)))")).toBe(
      "CHECK (((a >= 3) AND (a <= 320) AND (b ~~ '_%'::text)))",
    );
    expect(canon('CHECK (((a > 1) AND ((b > 1) AND (c > 1))))')).toBe(
      'CHECK (((a > 1) AND (b > 1) AND (c > 1)))',
    );
    expect(canon('CHECK ((((a < 1) OR (a > 5)) OR (b IS NULL)))')).toBe(
      'CHECK (((a < 1) OR (a > 5) OR (b IS NULL)))',
    );
    expect(canon('WHERE (((a > 1) AND (a < 5)) AND (b = ANY (ARRAY[1, 2])))')).toBe(
      'WHERE ((a > 1) AND (a < 5) AND (b = ANY (ARRAY[1, 2])))',
    );
  });

  it('never makes different expressions one: mixed AND/OR, arguments, NOT keep their parentheses', () => {
    const kept = [
      'CHECK ((((a < 1) OR (a > 5)) AND (b IS NULL)))',
      'CHECK ((((a < 1) AND (a > 5)) OR (b IS NULL)))',
      'CHECK ((f((a AND b), c) AND d))',
      'CHECK (((NOT (a AND b)) AND c))',
      'CHECK ((((a AND b) IS TRUE) AND c))',
      'CHECK (((x = ((a AND b))) AND c))',
    ];
    for (const k of kept) expect(canon(k)).toBe(k);
    expect(canon('(((a AND b)) OR c)')).not.toBe(canon('(a AND (b OR c))'));
  });

  it('leaves literals, quoted identifiers and dollar-quoted bodies alone; unbalanced text as it is', () => {
    const inLiterals = `CHECK (((x = '((a AND b) AND c)'::text) AND ("(AND" = 1)))`;
    expect(canon(inLiterals)).toBe(inLiterals);
    const body = 'AS $function$ IF ((a AND b) AND c) THEN $function$';
    expect(canon(body)).toBe(body);
    for (const bad of ['((a AND b) AND c', "((a AND b) AND 'c)", '(a AND b))']) expect(canon(bad)).toBe(bad);
  });
});

describe('canonicalExpressions', () => {
  // How Postgres prints `s IN ('a', 'b')` / `s NOT IN (...)` on a varchar column as written, and
  // after a dump and restore has read that text back.
  const vc = (x: string): string => `'${x}'::character varying`;
  const written = (op: string, lhs = '(s)::text'): string =>
    `CHECK ((${lhs} ${op} ((ARRAY[${vc('a')}, ${vc('b')}])::text[])))`;
  const restored = (op: string, lhs = '(s)::text'): string =>
    `CHECK ((${lhs} ${op} (ARRAY[(${vc('a')})::text, (${vc('b')})::text])))`;

  it('prints an array coercion of a literal list as a reparse does: IN, NOT IN, domains', () => {
    for (const op of ['= ANY', '<> ALL']) {
      expect(canonAll(written(op))).toBe(restored(op));
      expect(canonAll(restored(op))).toBe(restored(op));
    }
    expect(canonAll(written('= ANY', '(VALUE)::text'))).toBe(restored('= ANY', '(VALUE)::text'));
    expect(
      canonAll("WHERE (x = ANY ((ARRAY['a'::character varying(3), NULL::character varying])::name[]))"),
    ).toBe("WHERE (x = ANY (ARRAY[('a'::character varying(3))::name, (NULL::character varying)::name]))");
    expect(canonAll(`WHERE ((x = ANY ((ARRAY[E'\\'::bpchar])::"My T"[])))`)).toBe(
      `WHERE ((x = ANY (ARRAY[(E'\\'::bpchar)::"My T"])))`,
    );
  });

  it('also makes AND/OR chains one, in the same text', () => {
    const nested = `CHECK (((${written('= ANY').slice(7, -1)} AND (t > 1)) AND (u > 2)))`;
    expect(canonAll(nested)).toBe(`CHECK ((${restored('= ANY').slice(7, -1)} AND (t > 1) AND (u > 2)))`);
  });

  it('never makes different expressions one: other values, types, operators, non-literals', () => {
    const base = canonAll(written('= ANY'));
    expect(canonAll(written('<> ALL'))).not.toBe(base);
    expect(canonAll(written('= ANY').replace("'b'", "'c'"))).not.toBe(base);
    expect(canonAll(written('= ANY').replace('::text[]', '::name[]'))).not.toBe(base);
    expect(canonAll(written('= ANY', '(s2)::text'))).not.toBe(base);
    const kept = [
      // an element that is not a cast literal; an array of arrays; a function's result cast
      "CHECK ((x = ANY ((ARRAY[y, 'b'::character varying])::text[])))",
      "CHECK ((x = ANY ((ARRAY['{a}'::character varying[]])::text[])))",
      "CHECK ((x = ANY (f(ARRAY['a'::character varying])::text[])))",
      // a subscript or a two-dimensional type after the cast; a type the parser would not print
      "CHECK ((x = ((ARRAY['a'::character varying])::text[][1])))",
      "CHECK ((x = ANY ((ARRAY['a'::character varying])::text[][])))",
      "CHECK ((x = ANY ((ARRAY['a'::character varying])::text AND b[])))",
      // in a literal or a quoted identifier
      "CHECK ((x = '(ARRAY[''a''::character varying])::text[]'::text))",
    ];
    for (const k of kept) expect(canonAll(k)).toBe(k);
  });
});

describe('a dump reads the same before and after the server reparses an expression', () => {
  let s: ScratchDatabase;
  beforeAll(async () => {
    s = await freshDatabase('none');
  });
  afterAll(() => s.drop());

  /** The dump of table t made by `ddl`, and how the server prints its CHECK constraint. */
  async function dumpOf(check: string): Promise<{ dump: string; def: string }> {
    await s.db.exec(
      `DROP TABLE IF EXISTS t; CREATE TABLE t (x int, y text, CONSTRAINT t_c CHECK (${check}))`,
    );
    const { rows } = await s.db.query<{ def: string }>(
      "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 't_c'",
    );
    return { dump: await dumpSchema(s.db), def: rows[0]?.def ?? '' };
  }

  it('BETWEEN inside AND as written, and as pg_dump writes it back: one schema (PGlite and Postgres)', async () => {
    const written = await dumpOf("x BETWEEN 1 AND 5 AND y <> 'a'");
    // What pg_dump prints for that constraint, which psql / pg_restore then read back.
    const restored = await dumpOf(written.def.replace(/^CHECK /, ''));
    expect(restored.def).not.toBe(written.def); // the server prints it otherwise now ...
    expect(restored.dump).toBe(written.dump); // ... and the dump does not care.
    expect(written.dump).toContain("CHECK (((x >= 1) AND (x <= 5) AND (y <> 'a'::text)))");
    const other = await dumpOf("x BETWEEN 1 AND 6 AND y <> 'a'");
    expect(other.dump).not.toBe(written.dump);
  });
});

describe('a dump reads the same before and after the server reparses a varchar IN list', () => {
  let s: ScratchDatabase;
  beforeAll(async () => {
    s = await freshDatabase('none');
  });
  afterAll(() => s.drop());

  /** A CHECK, a domain's CHECK, a partial index and a view, each as its CREATE text needs it. */
  interface Parts {
    readonly tcheck: string;
    readonly dcheck: string;
    readonly idx: string;
    readonly vdef: string;
  }

  /** The dump of the objects `p` makes, and how the server prints them (what pg_dump writes). */
  async function build(p: Parts): Promise<{ dump: string; printed: Parts }> {
    await s.db.exec(`DROP TABLE IF EXISTS t CASCADE; DROP DOMAIN IF EXISTS d;
      CREATE DOMAIN d AS varchar(5) CONSTRAINT d_c ${p.dcheck};
      CREATE TABLE t (x int, s varchar(5), e d, CONSTRAINT t_c ${p.tcheck});
      ${p.idx};
      CREATE VIEW v AS ${p.vdef}`);
    const { rows } = await s.db.query<Parts>(`SELECT
      (SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 't_c') AS tcheck,
      (SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'd_c') AS dcheck,
      pg_get_indexdef('t_i'::regclass) AS idx, pg_get_viewdef('v'::regclass) AS vdef`);
    const printed = rows[0];
    if (!printed) throw new Error('nothing printed');
    return { dump: await dumpSchema(s.db), printed };
  }

  const parts: Parts = {
    tcheck: "CHECK (s IN ('a', 'b') OR e NOT IN ('c', 'd'))",
    dcheck: "CHECK (VALUE IN ('a', 'b', 'c'))",
    idx: "CREATE INDEX t_i ON t (x) WHERE s NOT IN ('a', 'b')",
    vdef: "SELECT x FROM t WHERE s IN ('a', 'b') AND e IS NOT NULL",
  };

  it('in a CHECK, a domain, an index predicate and a view: one schema (PGlite and Postgres)', async () => {
    const written = await build(parts);
    const restored = await build(written.printed);
    for (const k of ['tcheck', 'dcheck', 'idx', 'vdef'] as const)
      expect(restored.printed[k]).not.toBe(written.printed[k]); // printed otherwise now ...
    expect(restored.dump).toBe(written.dump); // ... and the dump does not care.
    expect(written.dump).toContain(
      "CHECK ((((s)::text = ANY (ARRAY[('a'::character varying)::text, ('b'::character varying)::text]))",
    );
    expect(await build(restored.printed)).toEqual(restored); // a fixed point
  });

  it('still tells a different list apart, in each place', async () => {
    const { dump } = await build(parts);
    const others: Parts[] = [
      { ...parts, tcheck: parts.tcheck.replace("'d'", "'z'") },
      { ...parts, dcheck: parts.dcheck.replace("'c'", "'z'") },
      { ...parts, idx: parts.idx.replace('NOT IN', 'IN') },
      { ...parts, vdef: parts.vdef.replace("('a', 'b')", "('a', 'b', 'c')") },
    ];
    for (const o of others) expect((await build(o)).dump).not.toBe(dump);
  });
});
