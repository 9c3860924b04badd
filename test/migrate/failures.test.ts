import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isChatDbError } from '../../src/errors.js';
import { down, MIGRATION_LOCK_KEY, readHistory, redo, status, up } from '../../src/migrate/index.js';
import { freshDatabase, type ScratchDatabase } from '../helpers/db.js';
import { migrationsDir, sql, tables } from '../helpers/migrations.js';

const A = sql('CREATE TABLE a (id int PRIMARY KEY);', 'DROP TABLE a;');
const B = sql('CREATE TABLE b (id int PRIMARY KEY);', 'DROP TABLE b;');
const C = sql('CREATE TABLE c (id int PRIMARY KEY);', 'DROP TABLE c;');

let s: ScratchDatabase;
beforeEach(async () => {
  s = await freshDatabase('none');
});
afterEach(() => s.drop());

const error = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => expect.unreachable('expected a rejection'),
    (err: unknown) => err,
  );
  return e as Error & { code: string };
};

/** Advisory locks held in this database, by any session. */
const advisoryLocks = async () =>
  (
    await s.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    )
  ).rows[0]?.n;

describe('a failing migration', () => {
  it('leaves the database exactly as before and names file, line and message', async () => {
    const dir = migrationsDir({
      '20260101000001_a.sql': A,
      '20260101000002_bad.sql': sql(
        'CREATE TABLE half (id int);\n\nSELECT * FROM no_such_table;',
        'DROP TABLE half;',
      ),
      '20260101000003_c.sql': C,
    });
    const e = await error(up(s.db, { dir }));
    expect(isChatDbError(e, 'migration_failed')).toBe(true);
    expect(e.message).toBe('20260101000002_bad.sql (up) at line 4: relation "no_such_table" does not exist');
    // the first migration landed; the failing one left nothing (not even its first table); none after it ran
    expect(await tables(s.db)).toEqual(['a', 'schema_migrations']);
    expect((await readHistory(s.db)).map((h) => h.version)).toEqual(['20260101000001']);
    expect(await advisoryLocks()).toBe(0);
  });

  it('counts lines in characters, as Postgres does, past non-ASCII text', async () => {
    const dir = migrationsDir({
      '20260101000001_bad.sql': sql("SELECT '😀😀😀😀😀😀😀😀😀😀';\nSELECT *\nFROM nope;", 'SELECT 1;'),
    });
    expect((await error(up(s.db, { dir }))).message).toMatch(/^20260101000001_bad\.sql \(up\) at line 4: /);
  });

  it('names the section lines when Postgres gives no position, and adds its detail', async () => {
    const dir = migrationsDir({
      '20260101000001_a.sql': A,
      '20260101000002_div.sql': sql('INSERT INTO a VALUES (1);\nSELECT 1 / 0;', 'DELETE FROM a;'),
      '20260101000003_dup.sql': sql('INSERT INTO a VALUES (7);\nINSERT INTO a VALUES (7);', 'DELETE FROM a;'),
    });
    expect((await error(up(s.db, { dir }))).message).toBe(
      '20260101000002_div.sql (up, lines 2-3): division by zero',
    );
    writeFileSync(join(dir, '20260101000002_div.sql'), sql('SELECT 1;', 'SELECT 1;'));
    const dup = await error(up(s.db, { dir }));
    expect(dup.message).toMatch(
      /^20260101000003_dup\.sql \(up, lines 2-3\): duplicate key value violates unique constraint "a_pkey"; Key \(id\)=\(7\) already exists\.$/,
    );
    expect((await s.db.query('SELECT count(*)::int AS n FROM a')).rows).toEqual([{ n: 0 }]);
  });

  it('rolls back a failing down section too, keeping the migration applied', async () => {
    const dir = migrationsDir({
      '20260101000001_a.sql': sql('CREATE TABLE a (id int);', 'DROP TABLE a;\nDROP TABLE nope;'),
    });
    await up(s.db, { dir });
    const e = await error(down(s.db, { dir }));
    expect(e.message).toBe('20260101000001_a.sql (down, lines 5-6): table "nope" does not exist');
    expect(await tables(s.db)).toEqual(['a', 'schema_migrations']);
    expect(await readHistory(s.db)).toHaveLength(1);
    expect(await advisoryLocks()).toBe(0);
  });
});

describe('refusals', () => {
  it('refuses an applied file that was edited, naming it, before running anything', async () => {
    const dir = migrationsDir({ '20260101000001_a.sql': A, '20260101000002_c.sql': C });
    await up(s.db, { dir });
    writeFileSync(join(dir, '20260101000001_a.sql'), A.replace('id int', 'id bigint'));
    writeFileSync(join(dir, '20260101000003_b.sql'), B);
    const e = await error(up(s.db, { dir }));
    expect(isChatDbError(e, 'migration_edited')).toBe(true);
    expect(e.message).toMatch(/^20260101000001_a\.sql was edited after it was applied/);
    expect(await tables(s.db)).toEqual(['a', 'c', 'schema_migrations']);
    const st = await status(s.db, { dir });
    expect(st.entries.map((x) => x.state)).toEqual(['edited', 'applied', 'pending']);
    expect([st.applied, st.edited, st.pending]).toEqual([2, 1, 1]);
    // rolling back an untouched newer migration is fine; rolling back the edited one is not
    expect((await down(s.db, { dir })).steps.map((x) => x.file)).toEqual(['20260101000002_c.sql']);
    expect((await error(down(s.db, { dir }))).code).toBe('migration_edited');
    expect((await error(redo(s.db, { dir }))).code).toBe('migration_edited');
  });

  it('redo refuses an edited older file before rolling anything back (its data stays)', async () => {
    const a = sql('CREATE TABLE a (x bigint);', 'DROP TABLE a;');
    const dir = migrationsDir({
      '20270101000000_a.sql': a,
      '20270101000001_b.sql': sql('CREATE TABLE b (x bigint);\nINSERT INTO b VALUES (42);', 'DROP TABLE b;'),
    });
    await up(s.db, { dir });
    writeFileSync(join(dir, '20270101000000_a.sql'), `${a}-- comment\n`);
    const e = await error(redo(s.db, { dir }));
    expect(isChatDbError(e, 'migration_edited')).toBe(true);
    expect(e.message).toMatch(/^20270101000000_a\.sql was edited/);
    expect((await s.db.query('SELECT x FROM b')).rows).toEqual([{ x: 42 }]);
    expect((await readHistory(s.db)).map((h) => h.version)).toEqual(['20270101000000', '20270101000001']);
  });

  it('redo refuses a newest file whose up section fails its checks before rolling it back', async () => {
    const dir = migrationsDir({ '20270101000000_a.sql': sql('CREATE TABLE a (x int);', 'DROP TABLE a;') });
    await up(s.db, { dir });
    // A row without checksum (applied by dbmate) is not compared; its file now has COMMIT in its
    // up section: redo could roll it back but never apply it again.
    await s.db.query('UPDATE schema_migrations SET checksum = NULL');
    writeFileSync(
      join(dir, '20270101000000_a.sql'),
      sql('CREATE TABLE a (x int);\nCOMMIT;', 'DROP TABLE a;'),
    );
    const e = await error(redo(s.db, { dir }));
    expect(e.message).toMatch(/20270101000000_a\.sql \(up\) at line 3: COMMIT is not allowed here/);
    expect(await tables(s.db)).toEqual(['a', 'schema_migrations']);
  });

  it('refuses a migration without a down section unless allowed', async () => {
    const dir = migrationsDir({ '20260101000001_a.sql': '-- migrate:up\nCREATE TABLE a (id int);\n' });
    const e = await error(up(s.db, { dir }));
    expect(isChatDbError(e, 'migration_irreversible')).toBe(true);
    expect(e.message).toMatch(/^20260101000001_a\.sql has no down section/);
    expect(await tables(s.db)).toEqual(['schema_migrations']);
    await up(s.db, { dir, allowIrreversible: true });
    expect(await tables(s.db)).toEqual(['a', 'schema_migrations']);
    await expect(down(s.db, { dir })).rejects.toThrow(
      /cannot roll back 20260101000001_a\.sql: it has no down section/,
    );
  });

  it('refuses an empty up section (a file fresh from `chatdb new`)', async () => {
    const dir = migrationsDir({ '20260101000001_a.sql': '-- migrate:up\n\n-- migrate:down\n' });
    await expect(up(s.db, { dir })).rejects.toThrow(/20260101000001_a\.sql: the up section is empty/);
  });

  it('applies an out-of-order file with a warning, or refuses it with strict', async () => {
    const dir = migrationsDir({ '20260101000001_a.sql': A, '20260101000003_c.sql': C });
    await up(s.db, { dir });
    writeFileSync(join(dir, '20260101000002_b.sql'), B);
    expect((await status(s.db, { dir })).entries[1]).toMatchObject({ state: 'pending', outOfOrder: true });
    const strict = await error(up(s.db, { dir, strict: true }));
    expect(isChatDbError(strict, 'migration_out_of_order')).toBe(true);
    expect(strict.message).toMatch(
      /^20260101000002_b\.sql is older than the newest applied migration \(20260101000003\)/,
    );
    expect(await tables(s.db)).not.toContain('b');
    const warned: string[] = [];
    const logged: string[] = [];
    const r = await up(s.db, { dir, warn: (l) => warned.push(l), log: (l) => logged.push(l) });
    expect(r.warnings).toEqual([
      expect.stringMatching(/^20260101000002_b\.sql is older .*: applying it anyway$/),
    ]);
    expect(warned).toEqual([`warning: ${r.warnings[0]}`]);
    expect(logged.some((l) => l.includes('warning'))).toBe(false);
    expect(await tables(s.db)).toContain('b');
    expect((await status(s.db, { dir })).pending).toBe(0);
  });

  it('parses every file before touching the database', async () => {
    const dir = migrationsDir({ '20260101000001_a.sql': A, 'bad-name.sql': B });
    await expect(up(s.db, { dir })).rejects.toThrow(/^bad-name\.sql: file name must be/);
    expect(await tables(s.db)).toEqual([]);
  });
});

describe('the advisory lock', () => {
  it('is held while migrations run and released afterwards', async () => {
    const dir = migrationsDir({
      '20260101000001_probe.sql': sql(
        `CREATE TABLE probe AS SELECT count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND objid = ${MIGRATION_LOCK_KEY % 2 ** 32}
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database());`,
        'DROP TABLE probe;',
      ),
    });
    await up(s.db, { dir });
    expect((await s.db.query('SELECT n FROM probe')).rows).toEqual([{ n: 1 }]);
    expect(await advisoryLocks()).toBe(0);
  });
});

describe('transaction control in a migration', () => {
  it('applies a migration whose strings, comments and bodies mention COMMIT', async () => {
    const body = [
      "SELECT 'COMMIT;', $q$ BEGIN; $q$; -- COMMIT;",
      'CREATE PROCEDURE p() LANGUAGE plpgsql AS $body$ BEGIN COMMIT; END $body$;',
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;',
      'SAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\nRELEASE s;',
      'CREATE TABLE "commit" (id int);',
    ].join('\n');
    await up(s.db, { dir: migrationsDir({ '20260101000001_x.sql': sql(body, 'DROP TABLE "commit";') }) });
    expect(await tables(s.db)).toEqual(['commit', 'schema_migrations']);
  });

  it('is refused before anything is applied, with no schema_migrations row', async () => {
    const dir = migrationsDir({
      '20260101000001_a.sql': A,
      '20260101000002_commit.sql': sql(
        'CREATE TABLE half (id int);\nCOMMIT;\nCREATE TABLE other (id int);\nSELECT * FROM nope;',
        'DROP TABLE other;\nDROP TABLE half;',
      ),
    });
    const e = await error(up(s.db, { dir }));
    expect(isChatDbError(e, 'migration_invalid')).toBe(true);
    expect(e.message).toMatch(/^20260101000002_commit\.sql \(up\) at line 3: COMMIT is not allowed here/);
    expect(await tables(s.db)).toEqual(['schema_migrations']);
    expect(await readHistory(s.db)).toEqual([]);
    expect(await advisoryLocks()).toBe(0);
  });

  it('refuses a down section that commits, keeping the migration applied', async () => {
    const dir = migrationsDir({
      '20260101000001_a.sql': sql('CREATE TABLE a (id int);', 'DROP TABLE a;\nEND;\nSELECT 1 / 0;'),
    });
    await up(s.db, { dir });
    const e = await error(down(s.db, { dir }));
    expect(e.message).toMatch(/^20260101000001_a\.sql \(down\) at line 6: END is not allowed here/);
    expect(await tables(s.db)).toEqual(['a', 'schema_migrations']);
    expect(await readHistory(s.db)).toHaveLength(1);
  });

  it('lets a transaction:false section manage its own transaction', async () => {
    const dir = migrationsDir({
      '20260101000001_a.sql': sql(
        'BEGIN;\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\nCOMMIT;',
        'DROP TABLE b;\nDROP TABLE a;',
        'transaction:false',
      ),
    });
    await up(s.db, { dir });
    expect(await tables(s.db)).toEqual(['a', 'b', 'schema_migrations']);
    expect(await readHistory(s.db)).toHaveLength(1);
  });
});
