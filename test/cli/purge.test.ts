import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { openPglite } from '../../src/db/pglite.js';
import { chatdb, cliDatabase, collectOutput, spawnChatdb, tempDir } from '../helpers/cli.js';
import { onRealPostgres } from '../helpers/db.js';

/** Opens the CLI's database in this process (the embedded one is free once the CLI has exited). */
const open = (args: readonly string[]) =>
  onRealPostgres ? openDatabase({ url: args[1] as string }) : openPglite(args[1] as string);

/** Runs SQL on the CLI's database. */
async function withDb<T>(args: readonly string[], fn: (db: Awaited<ReturnType<typeof open>>) => Promise<T>) {
  const db = await open(args);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const sessions = (args: readonly string[], where = 'true') =>
  withDb(args, async (db) =>
    Number(
      (await db.query<{ n: unknown }>(`SELECT count(*) AS n FROM chat_sessions WHERE ${where}`)).rows[0]?.n,
    ),
  );

/** `n` sessions of one chat-scope user, trashed `days` ago (null: not trashed) and idle `idle` days. */
const fill = (args: readonly string[], n: number, days: number | null, idle = 0) =>
  withDb(args, (db) =>
    db.exec(`ALTER TABLE chat_sessions DISABLE TRIGGER chat_sessions_touch_updated_at;
      INSERT INTO chat_sessions (user_id, title, trashed_at, updated_at)
        SELECT 'auth0|purge', 's' || i, ${days === null ? 'NULL' : `now() - interval '${days} days'`},
               now() - interval '${idle} days'
        FROM generate_series(1, ${n}) i;
      ALTER TABLE chat_sessions ENABLE TRIGGER chat_sessions_touch_updated_at;`),
  );

describe('chatdb purge', () => {
  it('dry run, then batches with a progress line each, --json, --idle-days; bad values exit 2', async () => {
    const cwd = tempDir();
    const target = await cliDatabase();
    const run = (...args: string[]) => chatdb([...args, ...target.args], cwd);
    try {
      expect((await run('init', '--scope', 'chat')).code).toBe(0);
      await fill(target.args, 5, 40);
      await fill(target.args, 2, 10);
      await fill(target.args, 3, null, 400);

      for (const bad of [
        ['--trashed-days', '36501'],
        ['--idle-days', '0'],
        ['--batch-size', '1.5'],
      ]) {
        const r = await run('purge', ...bad);
        expect(r.code, bad.join(' ')).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`^chatdb: option '${bad[0]} <n>' argument '.*' is invalid\\.`));
      }
      expect(await sessions(target.args)).toBe(10);

      const dry = await run('purge', '--dry-run', '--idle-days', '365');
      expect([dry.code, dry.stdout]).toEqual([
        0,
        'purge (dry run): 5 trashed sessions, 3 idle sessions would be deleted\n',
      ]);
      expect(dry.stderr).toBe('trashed sessions: 5 would be deleted\nidle sessions: 3 would be deleted\n');
      expect(await sessions(target.args)).toBe(10);

      const r = await run('purge', '--batch-size', '2');
      expect([r.code, r.stdout]).toEqual([0, 'purge: 5 trashed sessions deleted in 3 batch(es)\n']);
      expect(r.stderr).toBe(
        'trashed sessions: batch 1, 2 deleted (2 so far)\n' +
          'trashed sessions: batch 2, 2 deleted (4 so far)\n' +
          'trashed sessions: batch 3, 1 deleted (5 so far)\n',
      );
      expect(await sessions(target.args)).toBe(5);

      // --trashed-days overrides the retention; CHATDB_TRASH_RETENTION_DAYS sets it.
      const json = await chatdb(['purge', '--json', '--idle-days', '365', ...target.args], cwd, {
        CHATDB_TRASH_RETENTION_DAYS: '7',
      });
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({
        dryRun: false,
        interrupted: false,
        batches: 2,
        counts: { trashedSessions: 2, idleSessions: 3 },
      });
      expect(await sessions(target.args)).toBe(0);
      const badEnv = await chatdb(['purge', ...target.args], cwd, { CHATDB_TRASH_RETENTION_DAYS: '0' });
      expect(badEnv.code).toBe(1);
      expect(badEnv.stderr).toMatch(/CHATDB_TRASH_RETENTION_DAYS must be a whole number from 1 to 36500/);
    } finally {
      await target.drop();
    }
  }, 180_000);

  it('--guest-idle-days deletes guest accounts idle that long (scope all); a bad value exits 2', async () => {
    const cwd = tempDir();
    const target = await cliDatabase();
    const run = (...args: string[]) => chatdb([...args, ...target.args], cwd);
    try {
      expect((await run('init', '--scope', 'all')).code).toBe(0);
      const guests = (where: string) =>
        withDb(target.args, async (db) => {
          const r = await db.query<{ n: unknown }>(
            `SELECT count(*) AS n FROM users WHERE is_guest AND ${where}`,
          );
          return Number(r.rows[0]?.n);
        });
      await withDb(target.args, (db) =>
        db.exec(`INSERT INTO users (is_guest, created_at, updated_at)
          SELECT true, now() - i * interval '10 days', now() - i * interval '10 days' FROM generate_series(1, 4) i`),
      );
      const bad = await run('purge', '--guest-idle-days', '0');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^chatdb: option '--guest-idle-days <n>' argument '0' is invalid\./);
      const dry = await run('purge', '--guest-idle-days', '25', '--dry-run');
      expect([dry.code, dry.stdout]).toEqual([
        0,
        'purge (dry run): 0 trashed sessions, 2 idle guests would be deleted\n',
      ]);
      expect(await guests('true')).toBe(4);
      const r = await run('purge', '--guest-idle-days', '25', '--json');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ counts: { trashedSessions: 0, idleGuests: 2 } });
      expect(r.stderr).toContain('idle guests: batch');
      expect(await guests(`created_at > now() - interval '25 days'`)).toBe(2);
      expect(await guests('true')).toBe(2);
    } finally {
      await target.drop();
    }
  }, 180_000);

  it('Ctrl-C stops after the running batch, says what was done; a rerun finishes', async () => {
    const cwd = tempDir();
    const target = await cliDatabase();
    try {
      expect((await chatdb(['init', '--scope', 'chat', ...target.args], cwd)).code).toBe(0);
      await fill(target.args, 3000, 60);
      const child = spawnChatdb(['purge', '--batch-size', '1', ...target.args], cwd);
      const out = collectOutput(child);
      const ended = new Promise<{ signal: NodeJS.Signals | null; code: number | null }>((resolve) =>
        child.on('close', (code, signal) => resolve({ code, signal })),
      );
      for (let i = 0; i < 3000 && !out.stderr().includes('batch 1,'); i++) await sleep(10);
      child.kill('SIGINT');
      const end = await ended;
      expect(end.signal, `${JSON.stringify(end)} ${out.stdout()} ${out.stderr().slice(-600)}`).toBe('SIGINT');
      expect(out.stderr()).toContain('chatdb: SIGINT: stopping after the running batch ...\n');
      const done =
        /chatdb: interrupted \(SIGINT\): purge: (\d+) trashed sessions deleted in (\d+) batch\(es\); the rest is left: run chatdb purge again\n$/.exec(
          out.stderr(),
        );
      expect(done, out.stderr()).not.toBeNull();
      const deleted = Number(done?.[1]);
      expect(deleted).toBeGreaterThan(0);
      expect(await sessions(target.args)).toBe(3000 - deleted);
      const again = await chatdb(['purge', '--batch-size', '1000', ...target.args], cwd);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(new RegExp(`^purge: ${3000 - deleted} trashed sessions deleted`));
      expect(await sessions(target.args)).toBe(0);
    } finally {
      await target.drop();
    }
  }, 180_000);
});
