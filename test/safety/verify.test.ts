import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readHistory, up } from '../../src/migrate/index.js';
import { dumpSchema } from '../../src/safety/dump.js';
import { verify } from '../../src/safety/verify.js';
import { freshDatabase, onRealPostgres, type ScratchDatabase } from '../helpers/db.js';
import { migrationsDir, sql } from '../helpers/migrations.js';

const A = sql('CREATE TABLE a (id bigint PRIMARY KEY, note text);', 'DROP TABLE a;');
const A_FILE = '20260101000001_a.sql';

let s: ScratchDatabase;
beforeEach(async () => {
  s = await freshDatabase('none');
});
afterEach(() => s.drop());

/** Applies A on the target, then returns a directory with A and the given pending files. */
async function targetWith(pending: Record<string, string>): Promise<string> {
  await up(s.db, { dir: migrationsDir({ [A_FILE]: A }) });
  return migrationsDir({ [A_FILE]: A, ...pending });
}

/** What the target looks like: verify must never change it. */
const snapshot = async () => ({ dump: await dumpSchema(s.db), history: await readHistory(s.db) });

const scratchGone = async (name: string | undefined): Promise<void> => {
  if (!onRealPostgres || name === undefined) return;
  const { rows } = await s.db.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  expect(rows).toEqual([]);
};

describe('chatdb verify', () => {
  it('passes a good migration: up, down, up again on a copy; the target untouched', async () => {
    const dir = await targetWith({
      '20260201000000_tz.sql': sql(
        'ALTER TABLE a ADD COLUMN tz text;\nCREATE INDEX a_tz_idx ON a (tz);',
        'DROP INDEX a_tz_idx;\nALTER TABLE a DROP COLUMN tz;',
      ),
    });
    const before = await snapshot();
    const lines: string[] = [];
    const r = await verify({ dir, target: s.db, targetUrl: s.url, log: (l) => lines.push(l) });
    expect(r.ok).toBe(true);
    expect(r.scratch).toBe(onRealPostgres ? 'server' : 'pglite');
    expect(r.replayed).toBe(1);
    expect(r.drift).toBe('');
    expect(r.migrations).toHaveLength(1);
    expect(r.migrations[0]?.steps.map((x) => [x.step, x.ok])).toEqual([
      ['up', true],
      ['down', true],
      ['up again', true],
    ]);
    expect(
      lines.some((l) => /^20260201000000_tz\.sql: up ok .* schema restored and repeatable$/.test(l)),
    ).toBe(true);
    expect(await snapshot()).toEqual(before);
    await scratchGone(r.scratchName);
  });

  it('catches a down that drops the wrong thing, with a diff', async () => {
    const dir = await targetWith({
      '20260201000000_tz.sql': sql('ALTER TABLE a ADD COLUMN tz text;', 'ALTER TABLE a DROP COLUMN note;'),
    });
    const before = await snapshot();
    const r = await verify({ dir, target: s.db, targetUrl: s.url });
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ file: '20260201000000_tz.sql', step: 'down' });
    const down = r.migrations[0]?.steps.find((x) => x.step === 'down');
    expect(down?.error).toBe('down did not restore the schema from before up');
    expect(down?.diff).toContain('--- schema before up\n+++ schema after down\n');
    expect(down?.diff).toMatch(/^- {2}note text,$/m);
    expect(down?.diff).toMatch(/^\+ {2}tz text,?$/m);
    expect(await snapshot()).toEqual(before);
    await scratchGone(r.scratchName);
  });

  it('catches an up that gives another schema the second time', async () => {
    // The table's name comes from data the down does not reset: each up makes a new one.
    const counter = sql(
      'CREATE TABLE counter (n int NOT NULL);\nINSERT INTO counter VALUES (0);',
      'DROP TABLE counter;',
    );
    const bump = sql(
      "UPDATE counter SET n = n + 1;\nDO $$ BEGIN EXECUTE format('CREATE TABLE t_%s (id int)', (SELECT n FROM counter)); END $$;",
      "DO $$ BEGIN EXECUTE format('DROP TABLE t_%s', (SELECT n FROM counter)); END $$;",
    );
    const dir = await targetWith({ '20260201000000_counter.sql': counter, '20260201000001_bump.sql': bump });
    const r = await verify({ dir, target: s.db, targetUrl: s.url });
    expect(r.ok).toBe(false);
    expect(r.migrations.map((m) => m.ok)).toEqual([true, false]);
    expect(r.failure).toMatchObject({
      file: '20260201000001_bump.sql',
      step: 'up again',
      message: 'up is not repeatable: the second up gave another schema',
    });
    const diff = r.migrations[1]?.steps.at(-1)?.diff ?? '';
    expect(diff).toMatch(/^-CREATE TABLE t_1 \($/m);
    expect(diff).toMatch(/^\+CREATE TABLE t_2 \($/m);
  });

  it('reports a migration that fails half-way on the copy, and leaves the target as it was', async () => {
    const dir = await targetWith({
      '20260201000000_broken.sql': sql(
        'CREATE TABLE c1 (id int);\nCREATE TABLE c2 (id int REFERENCES no_such_table (id));',
        'DROP TABLE c2;\nDROP TABLE c1;',
      ),
    });
    const before = await snapshot();
    const r = await verify({ dir, target: s.db, targetUrl: s.url });
    expect(r.ok).toBe(false);
    expect(r.failure?.file).toBe('20260201000000_broken.sql');
    expect(r.failure?.step).toBe('up');
    expect(r.failure?.message).toMatch(/^20260201000000_broken\.sql \(up\b.*no_such_table/);
    expect(await snapshot()).toEqual(before);
    await scratchGone(r.scratchName);
  });

  it('reports drift, refuses a copy it cannot build, and has nothing to do without pending files', async () => {
    const dir = await targetWith({
      '20260201000000_b.sql': sql('CREATE TABLE b (id int);', 'DROP TABLE b;'),
    });
    await s.db.exec('CREATE TABLE made_by_hand (id int)');
    const drifted = await verify({ dir, target: s.db, targetUrl: s.url });
    expect(drifted.ok).toBe(false);
    expect(drifted.failure).toMatchObject({ step: 'copy', file: '(applied migrations)' });
    expect(drifted.failure?.message).toMatch(/drift.*the copy would not be faithful.*--allow-drift/);
    expect(drifted.drift).toMatch(/^-CREATE TABLE made_by_hand \($/m);
    expect(drifted.migrations).toEqual([]);
    const allowed = await verify({ dir, target: s.db, targetUrl: s.url, allowDrift: true });
    expect(allowed.ok).toBe(true);
    expect(allowed.drift).toMatch(/^-CREATE TABLE made_by_hand \($/m);
    expect(allowed.notes).toContainEqual(expect.stringMatching(/drift\) \(allowed by --allow-drift\)/));

    const noFile = await verify({ dir: migrationsDir({}), target: s.db, targetUrl: s.url });
    expect(noFile.ok).toBe(false);
    expect(noFile.failure).toMatchObject({ step: 'copy', file: '20260101000001' });

    const none = await verify({ dir: migrationsDir({ [A_FILE]: A }), target: s.db, targetUrl: s.url });
    expect(none).toMatchObject({ ok: true, scratch: 'none', migrations: [] });
  });

  it('refuses a pending migration without a down section unless told', async () => {
    const dir = await targetWith({ '20260201000000_b.sql': '-- migrate:up\nCREATE TABLE b (id int);\n' });
    const r = await verify({ dir, target: s.db, targetUrl: s.url });
    expect(r.failure).toMatchObject({ step: 'down', message: expect.stringMatching(/no down section/) });
    const allowed = await verify({ dir, target: s.db, targetUrl: s.url, allowIrreversible: true });
    expect(allowed.ok).toBe(true);
    expect(allowed.notes).toContain(
      '20260201000000_b.sql has no down section: its down and up-again checks were skipped',
    );
  });
});

describe('chatdb verify: what the copy compares', () => {
  it('sees objects in other schemas: a down that leaves schema app behind fails', async () => {
    const dir = await targetWith({
      '20260201000000_app.sql': sql(
        'CREATE SCHEMA IF NOT EXISTS app;\nCREATE TABLE IF NOT EXISTS app.t (id int);',
        'SELECT 1;',
      ),
    });
    const r = await verify({ dir, target: s.db, targetUrl: s.url });
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ file: '20260201000000_app.sql', step: 'down' });
    const diff = r.migrations[0]?.steps.find((x) => x.step === 'down')?.diff ?? '';
    expect(diff).toMatch(/^\+CREATE SCHEMA app;$/m);
    expect(diff).toMatch(/^\+CREATE TABLE app\.t \($/m);
    await scratchGone(r.scratchName);
  });

  it('fails when a hand-made index would make the pending migration fail on the target', async () => {
    const dir = await targetWith({
      '20260201000000_idx.sql': sql('CREATE INDEX t_note_idx ON a (note);', 'DROP INDEX t_note_idx;'),
    });
    await s.db.exec('CREATE INDEX t_note_idx ON a (note)');
    const r = await verify({ dir, target: s.db, targetUrl: s.url });
    expect(r.ok).toBe(false);
    expect(r.failure?.step).toBe('copy');
    expect(r.drift).toMatch(/^-CREATE INDEX t_note_idx ON a USING btree \(note\);$/m);
    await scratchGone(r.scratchName);
  });

  it('refuses a migrations directory that does not exist', async () => {
    const missing = join(s.url === 'memory://' ? '/nonexistent' : '/nonexistent-too', 'migrations');
    await expect(verify({ dir: missing, target: s.db, targetUrl: s.url })).rejects.toThrow(
      `migrations directory ${missing} does not exist`,
    );
  });
});

const canLoad = (id: string): boolean => {
  try {
    createRequire(import.meta.url).resolve(id);
    return true;
  } catch {
    return false;
  }
};
/** pgvector for PGlite 0.4+ is a package of its own; this project does not depend on it (yet). */
const pgliteHasVector = canLoad('@electric-sql/pglite-pgvector');

describe('chatdb verify: extensions on an in-memory PGlite copy', () => {
  const trgm = sql(
    'CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE INDEX a_note_trgm ON a USING gin (note gin_trgm_ops);',
    'DROP INDEX a_note_trgm;\nDROP EXTENSION pg_trgm;',
  );

  it('loads the extensions the migrations create (pg_trgm), on either kind of copy', async () => {
    const dir = await targetWith({ '20260201000000_trgm.sql': trgm });
    for (const scratch of ['pglite', undefined] as const) {
      const r = await verify({ dir, target: s.db, targetUrl: s.url, scratch });
      expect(r.failure).toBeUndefined();
      expect(r.ok).toBe(true);
      await scratchGone(r.scratchName);
    }
  });

  it('names an extension PGlite does not ship and suggests a server copy', async () => {
    const dir = await targetWith({
      '20260201000000_gis.sql': sql('CREATE EXTENSION IF NOT EXISTS postgis;', 'DROP EXTENSION postgis;'),
    });
    const r = await verify({ dir, target: s.db, targetUrl: s.url, scratch: 'pglite' });
    expect(r.ok).toBe(false);
    expect(r.scratch).toBe('none');
    expect(r.failure?.message).toMatch(
      /^the migrations create extension postgis, but the in-memory PGlite copy cannot: PGlite does not ship it; or verify on real Postgres with --scratch server/,
    );
  });

  const vector = sql(
    'CREATE EXTENSION IF NOT EXISTS vector;\nCREATE TABLE t (e vector(3));',
    'DROP TABLE t;\nDROP EXTENSION vector;',
  );

  it.skipIf(pgliteHasVector)('says which package pgvector needs when it is not installed', async () => {
    const dir = await targetWith({ '20260201000000_vector.sql': vector });
    const r = await verify({ dir, target: s.db, targetUrl: s.url, scratch: 'pglite' });
    expect(r.failure?.message).toMatch(/@electric-sql\/pglite-pgvector, which is not installed/);
    expect(r.failure?.message).toMatch(/--scratch server/);
  });

  it.skipIf(!pgliteHasVector)('verifies a pgvector migration on PGlite', async () => {
    const dir = await targetWith({ '20260201000000_vector.sql': vector });
    const r = await verify({ dir, target: s.db, targetUrl: s.url, scratch: 'pglite' });
    expect(r.failure).toBeUndefined();
  });
});
