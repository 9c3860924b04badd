import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { up } from '../../src/migrate/index.js';
import { createScratchUrl, onRealPostgres, TEST_DATABASE_URL } from '../helpers/db.js';
import { migrationsDir, sql } from '../helpers/migrations.js';
import { finished, runCli, startCli } from './run-cli.js';

const A = { '20260101000001_a.sql': sql('CREATE TABLE a (id bigint PRIMARY KEY);', 'DROP TABLE a;') };

/** A target with A applied: a scratch database on the server, or an embedded one in a temp dir. */
async function target(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (onRealPostgres) {
    const scratch = await createScratchUrl();
    const db = await openDatabase({ url: scratch.url });
    await up(db, { dir: migrationsDir(A) });
    await db.close();
    return { env: { DATABASE_URL: scratch.url }, drop: () => scratch.drop() };
  }
  const dataDir = join(mkdtempSync(join(tmpdir(), 'chatdb-verify-')), 'data');
  const db = await openDatabase({ dataDir });
  await up(db, { dir: migrationsDir(A) });
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
      const { rows } = await admin.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [mine]);
      expect(rows).toEqual([]);
    } finally {
      await admin.end();
      await t.drop();
    }
  });
});
