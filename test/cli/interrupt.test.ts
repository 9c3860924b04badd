import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/db/dir-lock.js';
import { BASELINE_FILES, PACKAGE_MIGRATIONS_DIR } from '../../src/migrate/baseline.js';
import {
  type CliDatabase,
  chatdb,
  cliDatabase,
  collectOutput,
  spawnChatdb,
  tempDir,
} from '../helpers/cli.js';
import { onRealPostgres } from '../helpers/db.js';
import { sql } from '../helpers/migrations.js';

const A = sql('CREATE TABLE a (x bigint);', 'DROP TABLE a;');
const SLOW_B = sql('ALTER TABLE a ADD COLUMN y int;\nSELECT pg_sleep(30);', 'ALTER TABLE a DROP COLUMN y;');

/** A project directory with migrations `files`. */
function project(files: Record<string, string>): string {
  const cwd = tempDir();
  mkdirSync(join(cwd, 'migrations'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, 'migrations', name), text);
  return cwd;
}

/** Starts `chatdb <args>` (default `up`), sends `signal` once `ready` holds, and resolves with how it ended. */
async function interruptUp(
  cwd: string,
  db: CliDatabase,
  ready: (output: string) => Promise<boolean>,
  signal: NodeJS.Signals = 'SIGINT',
  args: readonly string[] = [],
  command: readonly string[] = ['up'],
) {
  const child = spawnChatdb([...command, ...db.args, ...args], cwd);
  const out = collectOutput(child);
  const ended = new Promise<{ signal: NodeJS.Signals | null; code: number | null }>((resolve) =>
    child.on('close', (code, sig) => resolve({ code, signal: sig })),
  );
  for (let i = 0; i < 600 && !(await ready(out.stdout() + out.stderr())); i++) await sleep(100);
  const sentAt = Date.now();
  child.kill(signal);
  const end = await ended;
  return { ...end, ms: Date.now() - sentAt, stdout: out.stdout(), stderr: out.stderr() };
}

let db: CliDatabase;
beforeEach(async () => {
  db = await cliDatabase();
});
afterEach(() => db.drop());

/** Advisory locks held in the test database (the migration lock of a run that is gone would show). */
const ADVISORY =
  "SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE locktype = 'advisory' AND d.datname = current_database()";
const CHAT = '20250101000002_chatdb_chat.sql';
const PARTS = '20261201000001_chatdb_chat_parts.sql';
const FEEDBACK = '20261202000001_chatdb_chat_feedback.sql';
const LIFECYCLE = '20261203000002_chatdb_chat_lifecycle.sql';
const USAGE = '20261203000003_chatdb_chat_usage.sql';
const SHARES = '20261203000004_chatdb_chat_shares.sql';
const APPEND_FN = '20261203000006_chatdb_chat_append_function.sql';
const SAVE_FN = '20261203000008_chatdb_chat_save_function.sql';
const SAVE_WRITE = '20261204000001_chatdb_chat_save_one_session_write.sql';
const SAVE_RETURNS = '20261204000003_chatdb_chat_save_returns_what_it_wrote.sql';
/** chatdb's chat baseline with a slow statement at the end of its up section (kept and applied as is by init). */
const slowChat = (seconds: number): string =>
  readFileSync(join(PACKAGE_MIGRATIONS_DIR, CHAT), 'utf8').replace(
    '-- migrate:down',
    `SELECT pg_sleep(${seconds});\n\n-- migrate:down`,
  );

describe.runIf(onRealPostgres)('Ctrl-C during chatdb up on Postgres', () => {
  it('cancels the running statement, rolls it back, releases the lock, says so and exits by the signal', async () => {
    const cwd = project({ '20270101000000_a.sql': A, '20270101000001_b.sql': SLOW_B });
    const url = db.args[1] as string;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const others = 'FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()';
    try {
      const r = await interruptUp(
        cwd,
        db,
        async () =>
          (await admin.query(`SELECT 1 ${others} AND query LIKE '%pg_sleep%' AND state = 'active'`))
            .rowCount === 1,
      );
      expect(r.signal).toBe('SIGINT');
      expect(r.ms).toBeLessThan(5000);
      expect(r.stderr).toContain(
        'chatdb: interrupted (SIGINT): 20270101000001_b.sql was stopped and rolled back (nothing of it is ' +
          'applied); applied before: 20270101000000_a.sql; locks released, database closed\n',
      );
      expect((await admin.query(`SELECT query ${others} AND query LIKE '%pg_sleep%'`)).rows).toEqual([]);
      expect((await admin.query(ADVISORY)).rows).toEqual([]);
      expect(
        (
          await admin.query(
            "SELECT 1 FROM information_schema.columns WHERE table_name = 'a' AND column_name = 'y'",
          )
        ).rows,
      ).toEqual([]);
      // A second run does not wait for the first: it applies b (without its sleep now).
      writeFileSync(
        join(cwd, 'migrations', '20270101000001_b.sql'),
        SLOW_B.replace('SELECT pg_sleep(30);', ''),
      );
      const again = await chatdb(['up', ...db.args], cwd);
      expect(again.stderr).toBe('');
      expect(again.stdout).toContain('applied  20270101000001_b.sql');
      expect(again.code).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it('SIGTERM does the same; with --json the line is also a JSON error on stdout', async () => {
    const cwd = project({ '20270101000000_a.sql': A, '20270101000001_b.sql': SLOW_B });
    const r = await interruptUp(
      cwd,
      db,
      async (output) => output.includes('applying 20270101000001_b.sql'),
      'SIGTERM',
      ['--json'],
    );
    expect(r.signal).toBe('SIGTERM');
    expect(r.ms).toBeLessThan(5000);
    const line = 'interrupted (SIGTERM): 20270101000001_b.sql was stopped and rolled back';
    expect(r.stderr).toContain(`chatdb: ${line}`);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe('migration_interrupted');
    expect(error.message.startsWith(line)).toBe(true);
  });
});

describe.runIf(!onRealPostgres)('Ctrl-C during chatdb up on the embedded database', () => {
  it('stops after the running migration, says what it did and removes chatdb.lock', async () => {
    const cwd = project({
      '20270101000000_a.sql': A,
      '20270101000001_b.sql': SLOW_B.replace('pg_sleep(30)', 'pg_sleep(2)'),
      '20270101000002_c.sql': sql('CREATE TABLE c (x int);', 'DROP TABLE c;'),
    });
    const r = await interruptUp(cwd, db, async (output) => output.includes('applying 20270101000001_b.sql'));
    expect(r.signal).toBe('SIGINT');
    expect(r.stderr).toContain(
      'chatdb: interrupted (SIGINT): stopped between two migrations; applied before: 20270101000000_a.sql, ' +
        '20270101000001_b.sql; not run: 20270101000002_c.sql; locks released, database closed\n',
    );
    expect(existsSync(join(db.args[1] as string, LOCK_FILE))).toBe(false);
    const again = await chatdb(['up', ...db.args], cwd);
    expect(again.stdout).toContain('applied  20270101000002_c.sql');
    expect(again.code).toBe(0);
  });
});

describe.runIf(onRealPostgres)('Ctrl-C during chatdb init on Postgres', () => {
  it('cancels the running baseline statement, rolls back, releases the lock, says so; init again installs', async () => {
    const cwd = project({ [CHAT]: slowChat(30) });
    const url = db.args[1] as string;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const others = 'FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()';
    try {
      const r = await interruptUp(
        cwd,
        db,
        // The file is longer than pg_stat_activity keeps of a query (1 kB): the sleep by its wait event.
        async () =>
          (await admin.query(`SELECT 1 ${others} AND wait_event = 'PgSleep' AND state = 'active'`))
            .rowCount === 1,
        'SIGINT',
        ['--scope', 'chat'],
        ['init'],
      );
      expect(r.signal).toBe('SIGINT');
      expect(r.ms).toBeLessThan(5000);
      expect(r.stderr).toContain(
        `chatdb: interrupted (SIGINT): ${CHAT} was stopped and rolled back (nothing of it is applied); ` +
          `applied before: none; not run: ${PARTS}, ${FEEDBACK}, ${LIFECYCLE}, ${USAGE}, ${SHARES}, ${APPEND_FN}, ${SAVE_FN}, ${SAVE_WRITE}, ${SAVE_RETURNS}; the baseline files written to migrations ` +
          `stay there for the next run: ${PARTS}, ${FEEDBACK}, ${LIFECYCLE}, ${USAGE}, ${SHARES}, ${APPEND_FN}, ${SAVE_FN}, ${SAVE_WRITE}, ${SAVE_RETURNS}; locks released, database closed\n`,
      );
      expect((await admin.query(`SELECT query ${others} AND state <> 'idle'`)).rows).toEqual([]);
      expect((await admin.query(ADVISORY)).rows).toEqual([]);
      expect((await admin.query("SELECT to_regclass('chat_sessions') AS t")).rows).toEqual([{ t: null }]);
      // The next init (chatdb's own file again) does not wait for the first and installs the scope.
      rmSync(join(cwd, 'migrations', CHAT));
      const again = await chatdb(['init', '--scope', 'chat', ...db.args], cwd);
      expect(again.stdout).toContain(
        `baseline "chat" installed: 1 file(s) written, ${BASELINE_FILES.chat.length} migration(s) applied`,
      );
      expect(again.code).toBe(0);
    } finally {
      await admin.end();
    }
  });
});

describe.runIf(!onRealPostgres)('Ctrl-C during chatdb init on the embedded database', () => {
  it('stops after the running migration, says what it did and removes chatdb.lock', async () => {
    const cwd = project({ [CHAT]: slowChat(2) });
    const r = await interruptUp(
      cwd,
      db,
      async (output) => output.includes(`applying ${CHAT}`),
      'SIGTERM',
      ['--scope', 'chat'],
      ['init'],
    );
    expect(r.signal).toBe('SIGTERM');
    expect(r.stderr).toContain(
      `chatdb: interrupted (SIGTERM): stopped between two migrations; applied before: ${CHAT}; ` +
        `not run: ${PARTS}, ${FEEDBACK}, ${LIFECYCLE}, ${USAGE}, ${SHARES}, ${APPEND_FN}, ${SAVE_FN}, ${SAVE_WRITE}, ${SAVE_RETURNS}; the baseline files written to migrations stay there for the next run: ` +
        `${PARTS}, ${FEEDBACK}, ${LIFECYCLE}, ${USAGE}, ${SHARES}, ${APPEND_FN}, ${SAVE_FN}, ${SAVE_WRITE}, ${SAVE_RETURNS}; ` +
        'locks released, database closed\n',
    );
    expect(existsSync(join(db.args[1] as string, LOCK_FILE))).toBe(false);
    const again = await chatdb(['init', '--scope', 'chat', ...db.args], cwd);
    expect(again.stdout).toContain(
      `baseline "chat" installed: 0 file(s) written, ${BASELINE_FILES.chat.length - 1} migration(s) applied`,
    );
    expect(again.code).toBe(0);
  });
});
