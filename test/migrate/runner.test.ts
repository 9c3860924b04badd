import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { down, readHistory, redo, status, up } from '../../src/migrate/index.js';
import { freshDatabase, type ScratchDatabase } from '../helpers/db.js';
import { migrationsDir, sql, tables } from '../helpers/migrations.js';

const A = sql('CREATE TABLE a (id int PRIMARY KEY);', 'DROP TABLE a;');
const B = sql('CREATE TABLE b (id int PRIMARY KEY);', 'DROP TABLE b;');
const C = sql('CREATE TABLE c (id int PRIMARY KEY);', 'DROP TABLE c;');
const ABC = { '20260101000001_a.sql': A, '20260101000002_b.sql': B, '20260101000003_c.sql': C };

let s: ScratchDatabase;
beforeEach(async () => {
  s = await freshDatabase('none');
});
afterEach(() => s.drop());

describe('up / down / redo / status', () => {
  it('applies pending migrations in order, records them, and rolls back newest first', async () => {
    const dir = migrationsDir(ABC);
    const lines: string[] = [];
    const r = await up(s.db, { dir, log: (l) => lines.push(l) });
    expect(r.steps.map((x) => x.file)).toEqual(Object.keys(ABC));
    expect(r.warnings).toEqual([]);
    expect(lines.filter((l) => l.startsWith('applied')).length).toBe(3);
    expect(lines[1]).toMatch(/^applied {2}20260101000001_a\.sql \(\d+ ms\)$/);
    expect(await tables(s.db)).toEqual(['a', 'b', 'c', 'schema_migrations']);
    const history = await readHistory(s.db);
    expect(history.map((h) => [h.version, h.name])).toEqual([
      ['20260101000001', 'a'],
      ['20260101000002', 'b'],
      ['20260101000003', 'c'],
    ]);
    expect(history.every((h) => h.checksum?.length === 64 && h.appliedAt instanceof Date)).toBe(true);
    expect(history.every((h) => typeof h.durationMs === 'number')).toBe(true);

    expect((await up(s.db, { dir })).steps).toEqual([]);
    lines.length = 0;
    const rolled = await down(s.db, { dir, steps: 2, log: (l) => lines.push(l) });
    expect(rolled.steps.map((x) => x.version)).toEqual(['20260101000003', '20260101000002']);
    expect(lines).toContainEqual(expect.stringMatching(/^rolled back 20260101000003_c\.sql \(\d+ ms\)$/));
    expect(await tables(s.db)).toEqual(['a', 'schema_migrations']);
    const st = await status(s.db, { dir });
    expect(st.entries.map((e) => e.state)).toEqual(['applied', 'pending', 'pending']);
    expect([st.applied, st.pending, st.edited, st.missing]).toEqual([1, 2, 0, 0]);
  });

  it('down rolls back one migration by default', async () => {
    const dir = migrationsDir(ABC);
    await up(s.db, { dir });
    expect((await down(s.db, { dir })).steps.map((x) => x.version)).toEqual(['20260101000003']);
    expect((await readHistory(s.db)).map((h) => h.version)).toEqual(['20260101000001', '20260101000002']);
  });

  it('--to applies up to a version; down --to keeps it; --to 0 rolls back all', async () => {
    const dir = migrationsDir(ABC);
    expect((await up(s.db, { dir, to: '20260101000002' })).steps).toHaveLength(2);
    expect(await tables(s.db)).toEqual(['a', 'b', 'schema_migrations']);
    await expect(up(s.db, { dir, to: '20990101000000' })).rejects.toThrow(
      /no migration file has that version/,
    );
    await up(s.db, { dir });
    await expect(down(s.db, { dir, to: '20250101000000' })).rejects.toThrow(/that version is not applied/);
    expect((await down(s.db, { dir, to: '20260101000001' })).steps).toHaveLength(2);
    expect(await tables(s.db)).toEqual(['a', 'schema_migrations']);
    await down(s.db, { dir, to: '0' });
    expect(await tables(s.db)).toEqual(['schema_migrations']);
    expect(await readHistory(s.db)).toEqual([]);
  });

  it('--dry-run lists what would run and changes nothing, not even schema_migrations', async () => {
    const dir = migrationsDir(ABC);
    const lines: string[] = [];
    const r = await up(s.db, { dir, dryRun: true, to: '20260101000002', log: (l) => lines.push(l) });
    expect(r).toMatchObject({
      dryRun: true,
      steps: [{ file: '20260101000001_a.sql' }, { file: '20260101000002_b.sql' }],
    });
    expect(lines).toEqual(['would apply 20260101000001_a.sql', 'would apply 20260101000002_b.sql']);
    expect(await tables(s.db)).toEqual([]);
    await up(s.db, { dir, to: '20260101000001' });
    expect((await up(s.db, { dir, dryRun: true })).steps.map((x) => x.version)).toEqual([
      '20260101000002',
      '20260101000003',
    ]);
    expect(await tables(s.db)).toEqual(['a', 'schema_migrations']);
  });

  it('redo rolls back the last migration and applies it again', async () => {
    const dir = migrationsDir({
      '20260101000001_a.sql': A,
      '20260101000002_seed.sql': sql('INSERT INTO a VALUES (1);', 'DELETE FROM a;'),
    });
    await up(s.db, { dir });
    await s.db.query('INSERT INTO a VALUES (2)');
    const r = await redo(s.db, { dir });
    expect(r.steps.map((x) => x.version)).toEqual(['20260101000002', '20260101000002']);
    expect((await s.db.query('SELECT id FROM a ORDER BY id')).rows).toEqual([{ id: 1 }]);
    expect((await readHistory(s.db)).map((h) => h.version)).toEqual(['20260101000001', '20260101000002']);
  });

  it('redo with nothing applied says so', async () => {
    await expect(redo(s.db, { dir: migrationsDir(ABC) })).rejects.toThrow(/nothing to redo/);
  });

  it('reports applied migrations whose file is gone as missing, warns on up, and will not roll them back', async () => {
    const dir = migrationsDir({ '20260101000001_a.sql': A, '20260101000002_b.sql': B });
    await up(s.db, { dir });
    rmSync(join(dir, '20260101000002_b.sql'));
    expect((await status(s.db, { dir })).entries).toMatchObject([
      { version: '20260101000001', state: 'applied' },
      { version: '20260101000002', state: 'missing', name: 'b', file: null },
    ]);
    const warnings: string[] = [];
    const r = await up(s.db, { dir, warn: (l) => warnings.push(l) });
    expect(warnings).toEqual([
      expect.stringMatching(/^warning: applied but missing from .*: 20260101000002/),
    ]);
    expect(r.warnings).toHaveLength(1);
    await expect(down(s.db, { dir })).rejects.toThrow(
      /cannot roll back 20260101000002 \(b\): its file is missing/,
    );
  });

  it('applies the older -- UP / -- DOWN layout and rolls it back', async () => {
    const legacy = readFileSync(new URL('../fixtures/legacy_migration.sql', import.meta.url), 'utf8');
    const dir = migrationsDir({ '20250129103000_add_phone.sql': legacy });
    await s.db.exec('CREATE TABLE users (id int)');
    const phone = async () =>
      (await s.db.query("SELECT 1 FROM information_schema.columns WHERE column_name = 'phone'")).rowCount;
    await up(s.db, { dir });
    expect(await phone()).toBe(1);
    await down(s.db, { dir });
    expect(await phone()).toBe(0);
    expect(await readHistory(s.db)).toEqual([]);
  });

  it('runs an old-layout down section with prose comments as SQL only where it is SQL', async () => {
    const file = [
      '-- UP',
      'ALTER TABLE users ADD COLUMN phone VARCHAR(20);',
      '-- DOWN',
      '-- Rollback: drop the column',
      '-- ALTER TABLE users',
      '--   DROP COLUMN phone;',
      '-- Drop the column first; then the version row:',
      "-- DELETE FROM schema_migrations WHERE version = '20250129103000';",
    ].join('\n');
    const dir = migrationsDir({ '20250129103000_add_phone.sql': file });
    await s.db.exec('CREATE TABLE users (id int)');
    await up(s.db, { dir });
    await down(s.db, { dir });
    const phone = await s.db.query("SELECT 1 FROM information_schema.columns WHERE column_name = 'phone'");
    expect(phone.rowCount).toBe(0);
    expect(await readHistory(s.db)).toEqual([]);
  });

  it('adopts a schema_migrations table created by dbmate (version column only)', async () => {
    await s.db.exec('CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)');
    await s.db.exec("INSERT INTO schema_migrations VALUES ('20260101000001')");
    await s.db.exec('CREATE TABLE a (id int PRIMARY KEY)');
    const dir = migrationsDir({ '20260101000001_a.sql': A, '20260101000002_b.sql': B });
    const before = await status(s.db, { dir });
    expect(before.entries.map((e) => [e.state, e.unverified])).toEqual([
      ['applied', true],
      ['pending', false],
    ]);
    expect((await up(s.db, { dir })).steps.map((x) => x.version)).toEqual(['20260101000002']);
    const h = await readHistory(s.db);
    expect(h.map((x) => [x.version, x.checksum?.length ?? null])).toEqual([
      ['20260101000001', null],
      ['20260101000002', 64],
    ]);
    // dbmate's own row stays "applied by another tool", never "edited"
    writeFileSync(join(dir, '20260101000001_a.sql'), `${A}-- changed\n`);
    expect((await status(s.db, { dir })).edited).toBe(0);
    const cols = await s.db.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = 'schema_migrations' ORDER BY ordinal_position`,
    );
    expect(cols.rows.map((c) => c.column_name)).toEqual([
      'version',
      'name',
      'checksum',
      'applied_at',
      'duration_ms',
    ]);
  });
});
