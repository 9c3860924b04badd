import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpSchema } from '../../src/safety/dump.js';
import { canonicalBoolChains as canon } from '../../src/safety/dump-expr.js';
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
