import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../src/migrate/index.js';
import { endsStatement, indexOfPosition, lineAt } from '../../src/migrate/split.js';

const sqls = (script: string) => splitStatements(script).map((s) => s.sql);

describe('splitStatements', () => {
  it('splits at top-level semicolons, with the line each statement starts on', () => {
    expect(splitStatements('SELECT 1;\n\nSELECT 2;\n')).toEqual([
      { sql: 'SELECT 1', line: 1 },
      { sql: 'SELECT 2', line: 3 },
    ]);
  });

  it('keeps a last statement without a semicolon and drops empty and comment-only ones', () => {
    expect(sqls(';;SELECT 1;;\n-- only a comment;\n/* and; this */;\nSELECT 2')).toEqual([
      'SELECT 1',
      'SELECT 2',
    ]);
    expect(sqls('')).toEqual([]);
    expect(sqls('-- nothing\n')).toEqual([]);
  });

  it('starts a statement at its first code line, after leading comments', () => {
    expect(splitStatements('-- header\n/* block\n comment */\n\nCREATE TABLE a (id int);')).toEqual([
      { sql: 'CREATE TABLE a (id int)', line: 5 },
    ]);
  });

  it('keeps comments inside a statement, and ignores semicolons in them', () => {
    expect(sqls('SELECT 1 -- not the end;\n + 1;SELECT 2')).toEqual([
      'SELECT 1 -- not the end;\n + 1',
      'SELECT 2',
    ]);
    expect(sqls('SELECT /* a; /* nested; */ still comment; */ 1; SELECT 2')).toEqual([
      'SELECT /* a; /* nested; */ still comment; */ 1',
      'SELECT 2',
    ]);
  });

  it("reads '…' strings with '' doubling and literal backslashes", () => {
    expect(sqls("INSERT INTO t VALUES ('a;b', 'it''s; ok');SELECT 2")).toEqual([
      "INSERT INTO t VALUES ('a;b', 'it''s; ok')",
      'SELECT 2',
    ]);
    // standard_conforming_strings: a backslash does not escape the closing quote
    expect(sqls("SELECT 'C:\\';SELECT 2")).toEqual(["SELECT 'C:\\'", 'SELECT 2']);
    expect(sqls("SELECT '--;';SELECT '/*;';SELECT 3")).toEqual(["SELECT '--;'", "SELECT '/*;'", 'SELECT 3']);
  });

  it("reads E'…' strings with backslash escapes, and only after a lone E", () => {
    expect(sqls("SELECT E'it\\'s; ok';SELECT 2")).toEqual(["SELECT E'it\\'s; ok'", 'SELECT 2']);
    expect(sqls("SELECT e'\\\\';SELECT 2")).toEqual(["SELECT e'\\\\'", 'SELECT 2']);
    // `line'…'` is a typed literal (a standard string), not E'…'
    expect(sqls("SELECT line'a\\';SELECT 2")).toEqual(["SELECT line'a\\'", 'SELECT 2']);
    expect(sqls("SELECT U&'d\\0061t;a';SELECT 2")).toEqual(["SELECT U&'d\\0061t;a'", 'SELECT 2']);
  });

  it('reads quoted identifiers with "" doubling', () => {
    expect(sqls('CREATE TABLE "a;""b" (x int);SELECT 1')).toEqual([
      'CREATE TABLE "a;""b" (x int)',
      'SELECT 1',
    ]);
  });

  it('reads dollar quotes with and without tags, tags being case-sensitive', () => {
    const fn = 'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END $body$';
    expect(sqls(`${fn};SELECT 2`)).toEqual([fn, 'SELECT 2']);
    expect(sqls('DO $$ BEGIN PERFORM 1; END $$;SELECT 2')).toEqual([
      'DO $$ BEGIN PERFORM 1; END $$',
      'SELECT 2',
    ]);
    const nested = "DO $outer$ BEGIN EXECUTE $$SELECT ';'$$; END $outer$";
    expect(sqls(`${nested};SELECT 2`)).toEqual([nested, 'SELECT 2']);
    expect(sqls('SELECT $A$ x; $a$; y $A$;SELECT 2')).toEqual(['SELECT $A$ x; $a$; y $A$', 'SELECT 2']);
  });

  it('does not take parameters or identifiers containing $ for dollar quotes', () => {
    expect(sqls('SELECT a$b$c FROM t;SELECT $1;SELECT 3')).toEqual([
      'SELECT a$b$c FROM t',
      'SELECT $1',
      'SELECT 3',
    ]);
  });

  it('keeps semicolons inside parentheses (CREATE RULE … DO ALSO (…; …))', () => {
    const rule =
      'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))';
    expect(sqls(`${rule};SELECT 1`)).toEqual([rule, 'SELECT 1']);
  });

  it('keeps SQL-standard function bodies (BEGIN ATOMIC … END) whole, like psql', () => {
    const fn =
      'CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 2 END;\nEND';
    const proc = 'CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END';
    expect(sqls(`${fn};\n${proc};\nSELECT 3;`)).toEqual([fn, proc, 'SELECT 3']);
    // BEGIN outside a routine is transaction control
    expect(sqls('BEGIN; SELECT 1; END; COMMIT;')).toEqual(['BEGIN', 'SELECT 1', 'END', 'COMMIT']);
    // CASE … END outside a body does not count
    expect(
      sqls('CREATE FUNCTION g() RETURNS int LANGUAGE sql RETURN CASE WHEN true THEN 1 END;SELECT 2'),
    ).toEqual(['CREATE FUNCTION g() RETURNS int LANGUAGE sql RETURN CASE WHEN true THEN 1 END', 'SELECT 2']);
  });

  it('leaves an unterminated string, identifier or dollar quote to the server, as one statement', () => {
    expect(sqls("SELECT 'abc; SELECT 2;")).toEqual(["SELECT 'abc; SELECT 2;"]);
    expect(sqls('SELECT "abc; SELECT 2;')).toEqual(['SELECT "abc; SELECT 2;']);
    expect(sqls('SELECT $x$ abc; SELECT 2;')).toEqual(['SELECT $x$ abc; SELECT 2;']);
    expect(sqls('SELECT 1 /* abc; SELECT 2;')).toEqual(['SELECT 1 /* abc; SELECT 2;']);
  });

  it('counts lines with CRLF endings and non-ASCII text', () => {
    expect(splitStatements("SELECT 'é😀';\r\nSELECT 2;\r\n\r\nSELECT 3").map((s) => s.line)).toEqual([
      1, 2, 4,
    ]);
  });
});

describe('positions', () => {
  it('maps a Postgres position (code points) to a string index (UTF-16 units)', () => {
    const text = "SELECT '😀😀';\nSELECT x";
    const position = Array.from(text).indexOf('x') + 1; // 21: Postgres counts each emoji once
    expect(text.indexOf('x')).toBe(22); // JavaScript counts each twice
    expect(indexOfPosition(text, position)).toBe(22);
    expect(lineAt(text, indexOfPosition(text, position))).toBe(2);
    expect(indexOfPosition('abc', 1)).toBe(0);
  });
});

describe('endsStatement', () => {
  it('is true only when the last statement is closed by a top-level semicolon', () => {
    expect(endsStatement('')).toBe(true);
    expect(endsStatement('-- only a comment')).toBe(true);
    expect(endsStatement('ALTER TABLE a DROP COLUMN b;\n')).toBe(true);
    expect(endsStatement('ALTER TABLE a DROP COLUMN b; -- done')).toBe(true);
    expect(endsStatement('ALTER TABLE a')).toBe(false);
    expect(endsStatement("UPDATE a SET b = 'x;")).toBe(false);
    expect(endsStatement('DO $$ BEGIN PERFORM 1;')).toBe(false);
    expect(endsStatement('DO $$ BEGIN PERFORM 1; END $$;')).toBe(true);
    expect(endsStatement('SELECT 1 -- ;')).toBe(false);
    expect(endsStatement('SELECT 1 /* ; */')).toBe(false);
    expect(endsStatement('SELECT (1;')).toBe(false);
  });
});
