import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createScratchUrl, onRealPostgres, TEST_DATABASE_URL } from '../helpers/db.js';
import { migrationsDir, sql } from '../helpers/migrations.js';
import { finished, startCli } from './run-cli.js';

const SLOW = { '20260101000001_slow.sql': sql('SELECT pg_sleep(120);', 'SELECT 1;') };

let admin: pg.Client;
let target: { url: string; drop(): Promise<void> };
beforeEach(async () => {
  if (!onRealPostgres) return;
  admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  target = await createScratchUrl();
});
afterEach(async () => {
  if (!onRealPostgres) return;
  await admin.end();
  await target.drop();
});

/** Polls (bounded) until `sql` returns a row; returns its first column. */
async function waitFor(query: string, params: unknown[]): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const { rows } = await admin.query(query, params);
    if (rows.length > 0) return String(Object.values(rows[0])[0]);
    await sleep(100);
  }
  throw new Error(`timed out waiting for: ${query}`);
}

/** The name of the scratch database of CLI process `pid`, once it runs pg_sleep. */
const sleepingScratch = (pid: number | undefined): Promise<string> =>
  waitFor("SELECT datname FROM pg_stat_activity WHERE datname LIKE $1 AND query LIKE '%pg_sleep%'", [
    `chatdb_verify_${pid}_%`,
  ]);

const leftOver = async (pid: number | undefined): Promise<string[]> =>
  (
    await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
      `chatdb_verify_${pid}_%`,
    ])
  ).rows.map((r) => r.datname);

// Signals and a scratch database on the server: real Postgres only (PGlite copies live in memory).
describe.skipIf(!onRealPostgres)('interrupting a command that has a scratch copy', () => {
  it('baseline: Ctrl-C removes the scratch database', async () => {
    const child = startCli(['baseline', '--to', '20260101000001', '--dir', migrationsDir(SLOW)], {
      DATABASE_URL: target.url,
    });
    const done = finished(child);
    await sleepingScratch(child.pid);
    child.kill('SIGINT');
    const r = await done;
    expect(r.signal).toBe('SIGINT');
    expect(r.stderr).toContain('chatdb: interrupted (SIGINT): scratch copy removed');
    expect(await leftOver(child.pid)).toEqual([]);
  });

  it('verify: SIGHUP removes it too, and the broken step is not reported', async () => {
    const child = startCli(['verify', '--dir', migrationsDir(SLOW)], { DATABASE_URL: target.url });
    const done = finished(child);
    await sleepingScratch(child.pid);
    child.kill('SIGHUP');
    const r = await done;
    expect(r.signal).toBe('SIGHUP');
    expect(r.stderr).toContain('chatdb: interrupted (SIGHUP): scratch copy removed');
    expect(r.stdout).not.toMatch(/FAILED/);
    expect(await leftOver(child.pid)).toEqual([]);
  });

  it('a second Ctrl-C while the drop waits ends the process and names the database left', async () => {
    const child = startCli(['verify', '--dir', migrationsDir(SLOW)], { DATABASE_URL: target.url });
    const done = finished(child);
    const name = await sleepingScratch(child.pid);
    // A transaction that holds a lock on the scratch database: DROP DATABASE waits for it.
    const holder = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`COMMENT ON DATABASE ${name} IS 'held'`);
      child.kill('SIGINT');
      await waitFor(
        "SELECT pid FROM pg_stat_activity WHERE query LIKE 'DROP DATABASE%' AND query LIKE $1 AND wait_event_type = 'Lock'",
        [`%${name}%`],
      );
      child.kill('SIGINT');
      const r = await done;
      expect(r.signal).toBe('SIGINT');
      expect(r.stderr).toContain(
        `chatdb: interrupted (SIGINT): the scratch database ${name} may remain: drop it with DROP DATABASE ${name}`,
      );
      expect(r.stdout).not.toMatch(/FAILED/);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });
});
