import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { openPglite } from '../../src/db/pglite.js';
import { up } from '../../src/migrate/index.js';
import { createScratchUrl, onRealPostgres, pgliteTemplate, TEST_DATABASE_URL } from '../helpers/db.js';
import { migrationsDir, sql } from '../helpers/migrations.js';
import { finished, runCli, startCli } from './run-cli.js';

const A = {
  '20260101000001_a.sql': sql('CREATE TABLE a (id bigint PRIMARY KEY, note text);', 'DROP TABLE a;'),
};

/**
 * A target with A applied (then `byHand` run on it): a scratch database on the server, or an
 * embedded one in a temp dir.
 */
async function target(byHand = ''): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (onRealPostgres) {
    const scratch = await createScratchUrl();
    const db = await openDatabase({ url: scratch.url });
    await up(db, { dir: migrationsDir(A) });
    if (byHand) await db.exec(byHand);
    await db.close();
    return { env: { DATABASE_URL: scratch.url }, drop: () => scratch.drop() };
  }
  const dataDir = join(mkdtempSync(join(tmpdir(), 'chatdb-verify-')), 'data');
  // Seeded from the blank template: initdb in every test would cost seconds each.
  const db = await openPglite(dataDir, { loadDataDir: await pgliteTemplate('none') });
  await up(db, { dir: migrationsDir(A) });
  if (byHand) await db.exec(byHand);
  await db.close();
  return { env: { CHATDB_DATA_DIR: dataDir }, drop: async () => undefined };
}

describe('chatdb verify (command)', () => {
  it('exits 1 and names the file when a pending migration fails on the copy', async () => {
    const t = await target();
    try {
      const dir = migrationsDir({
        ...A,
        '20260201000000_bad.sql': sql('CREATE TABLE b (id int REFERENCES nope (id));', 'DROP TABLE b;'),
      });
      const r = await runCli(['verify', '--dir', dir, '--json'], t.env);
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout);
      expect(report.ok).toBe(false);
      expect(report.failure).toMatchObject({ file: '20260201000000_bad.sql', step: 'up' });
      expect(r.stderr).toMatch(/scratch copy: /);
    } finally {
      await t.drop();
    }
  });

  const HAND_MADE = 'CREATE INDEX t_note_idx ON a (note)';
  const withIndex = (): string =>
    migrationsDir({
      ...A,
      '20260201000000_idx.sql': sql('CREATE INDEX t_note_idx ON a (note);', 'DROP INDEX t_note_idx;'),
    });

  it('fails on drift: a hand-made index that the pending migration also creates', async () => {
    const t = await target(HAND_MADE);
    try {
      const r = await runCli(['verify', '--dir', withIndex()], t.env);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^-CREATE INDEX t_note_idx ON a USING btree \(note\);$/m);
      expect(r.stdout).toMatch(/the copy would not be faithful/);
      expect(r.stdout).toContain('verify FAILED: the target database was not touched');
    } finally {
      await t.drop();
    }
  });

  it('goes on with a warning about that drift under --allow-drift', async () => {
    const t = await target(HAND_MADE);
    try {
      const r = await runCli(['verify', '--dir', withIndex(), '--allow-drift'], t.env);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        "warning: the target's schema differs from what its applied migrations give (drift)",
      );
      expect(r.stdout).toMatch(/^-CREATE INDEX t_note_idx ON a USING btree \(note\);$/m);
    } finally {
      await t.drop();
    }
  });

  it('refuses a --dir that does not exist in one line', async () => {
    const r = await runCli(['verify', '--dir', '/nonexistent/migrations', '--database-url', 'memory://']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'chatdb: migrations directory /nonexistent/migrations does not exist (check --dir or CHATDB_MIGRATIONS_DIR)\n',
    );
  });

  it.skipIf(!onRealPostgres)('removes the scratch database when interrupted with Ctrl-C', async () => {
    const t = await target();
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const dir = migrationsDir({
        ...A,
        '20260201000000_slow.sql': sql('SELECT pg_sleep(120);', 'SELECT 1;'),
      });
      const child = startCli(['verify', '--dir', dir], t.env);
      const done = finished(child);
      const mine = `${'chatdb_verify'}_${child.pid}_%`;
      // Wait (bounded) until the copy is running the slow migration, then press Ctrl-C.
      let running = false;
      for (let i = 0; i < 300 && !running; i++) {
        const { rows } = await admin.query(
          "SELECT 1 FROM pg_stat_activity WHERE datname LIKE $1 AND query LIKE '%pg_sleep%'",
          [mine],
        );
        running = rows.length > 0;
        if (!running) await sleep(100);
      }
      expect(running).toBe(true);
      child.kill('SIGINT');
      const r = await done;
      expect(r.signal).toBe('SIGINT');
      expect(r.stderr).toContain('interrupted (SIGINT): scratch copy removed');
      // The migration the interruption broke is no failure to report.
      expect(r.stdout).not.toMatch(/FAILED/);
      const { rows } = await admin.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [mine]);
      expect(rows).toEqual([]);
    } finally {
      await admin.end();
      await t.drop();
    }
  });
});
