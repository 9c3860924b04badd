import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { down, readHistory, up } from '../../src/migrate/index.js';
import { freshDatabase, type ScratchDatabase } from '../helpers/db.js';
import { migrationsDir, sql } from '../helpers/migrations.js';

let s: ScratchDatabase;
beforeEach(async () => {
  s = await freshDatabase('none');
});
afterEach(() => s.drop());

const A = sql('CREATE TABLE a (id int PRIMARY KEY, x int);', 'DROP TABLE a;');
const index = async () => (await s.db.query("SELECT 1 FROM pg_indexes WHERE indexname = 'a_x_idx'")).rowCount;
const CONCURRENTLY =
  "CREATE INDEX CONCURRENTLY a_x_idx ON a (x);\nCOMMENT ON INDEX a_x_idx IS 'by x; built online';";

describe('transaction:false', () => {
  it('a transactional migration cannot CREATE INDEX CONCURRENTLY (why the option exists)', async () => {
    const dir = migrationsDir({
      '20260101000001_a.sql': A,
      '20260101000002_idx.sql': sql(CONCURRENTLY, 'DROP INDEX a_x_idx;'),
    });
    await expect(up(s.db, { dir })).rejects.toThrow(/cannot run inside a transaction block/);
    expect(await index()).toBe(0);
  });

  it('sends the statements one at a time, so CREATE INDEX CONCURRENTLY works, and records the migration', async () => {
    const file = sql(CONCURRENTLY, 'DROP INDEX CONCURRENTLY a_x_idx;', 'transaction:false').replace(
      '-- migrate:down',
      '-- migrate:down transaction:false',
    );
    const dir = migrationsDir({ '20260101000001_a.sql': A, '20260101000002_idx.sql': file });
    await up(s.db, { dir });
    expect(await index()).toBe(1);
    expect((await readHistory(s.db)).map((h) => h.version)).toEqual(['20260101000001', '20260101000002']);
    await down(s.db, { dir });
    expect(await index()).toBe(0);
    expect((await readHistory(s.db)).map((h) => h.version)).toEqual(['20260101000001']);
  });

  it('splits what the server then accepts: functions, DO blocks, strings and comments with semicolons', async () => {
    const body = [
      '-- a comment; with a semicolon',
      "CREATE FUNCTION semi() RETURNS text LANGUAGE plpgsql AS $fn$ BEGIN RETURN 'a;b'; END $fn$;",
      'CREATE FUNCTION atomic() RETURNS int LANGUAGE sql',
      'BEGIN ATOMIC',
      '  SELECT 1;',
      '  SELECT CASE WHEN true THEN 2 END;',
      'END;',
      '/* block; /* nested; */ */',
      'DO $$ BEGIN PERFORM 1; END $$;',
      "CREATE TABLE \"odd;name\" (v text DEFAULT E'it\\'s; fine');",
      'INSERT INTO "odd;name" DEFAULT VALUES;',
      'CREATE INDEX CONCURRENTLY odd_v ON "odd;name" (v)',
    ].join('\n');
    const dir = migrationsDir({
      '20260101000001_mixed.sql': sql(
        body,
        'DROP TABLE "odd;name";\nDROP FUNCTION atomic();\nDROP FUNCTION semi();',
        'transaction:false',
      ),
    });
    await up(s.db, { dir });
    const { rows } = await s.db.query('SELECT semi() AS s, atomic() AS a, v FROM "odd;name"');
    expect(rows).toEqual([{ s: 'a;b', a: 2, v: "it's; fine" }]);
    await down(s.db, { dir });
    expect((await s.db.query('SELECT to_regclass(\'"odd;name"\')::text AS t')).rows).toEqual([{ t: null }]);
  });

  it('names the failing statement line, says what stays applied, and records nothing', async () => {
    const dir = migrationsDir({
      '20260101000001_bad.sql': sql(
        'CREATE TABLE a (id int, x int);\n\nCREATE INDEX CONCURRENTLY i ON a (x);\nCREATE INDEX CONCURRENTLY j\n  ONN a (x);',
        'DROP TABLE a;',
        'transaction:false',
      ),
    });
    const e = await up(s.db, { dir }).catch((x: Error) => x);
    expect((e as Error).message).toBe(
      '20260101000001_bad.sql (up) at line 6: syntax error at or near "ONN" (transaction:false: the 2 ' +
        'statement(s) before it stay applied; fix the file and run again)',
    );
    expect(await readHistory(s.db)).toEqual([]);
    expect((await s.db.query("SELECT to_regclass('a')::text AS t")).rows).toEqual([{ t: 'a' }]);
  });
});
