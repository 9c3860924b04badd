import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { openPglite } from '../../src/db/pglite.js';
import { type CliRun, chatdb, cliDatabase, collectOutput, spawnChatdb, tempDir } from '../helpers/cli.js';
import { createScratchUrl, onRealPostgres, pgliteTemplate } from '../helpers/db.js';
import { migrationsDir, sql } from '../helpers/migrations.js';
import { fakePostgres } from './fake-postgres.js';

/** stderr is exactly one `chatdb: …` line (no stack trace), matching `pattern`. */
const oneLine = (r: CliRun, pattern: RegExp) => {
  expect(r.stderr).toMatch(/^chatdb: [^\n]*\n$/);
  expect(r.stderr).toMatch(pattern);
};

describe('chatdb CLI', () => {
  it('prints help and the version', async () => {
    const help = await chatdb(['--help'], tempDir());
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: chatdb \[options\] \[command\]/);
    for (const c of ['init', 'new', 'up', 'down', 'redo', 'status'])
      expect(help.stdout).toMatch(new RegExp(`\\n  ${c} `));
    expect(help.stdout).toContain('Examples:');
    const version = await chatdb(['--version'], tempDir());
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('stops quietly when the reader of its output goes away (chatdb --help | head -1)', async () => {
    const child = spawnChatdb(['--help'], tempDir());
    child.stdout.destroy(); // closed before the CLI writes: its write fails with EPIPE
    const { stderr } = collectOutput(child);
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr()).toBe('');
    expect(code).toBe(0);
  });

  it('rejects bad input in one line, before opening any database', async () => {
    const cwd = tempDir();
    const data = ['--data-dir', join(cwd, 'db')];
    const badName = migrationsDir({ 'add index.sql': sql('SELECT 1;', 'SELECT 1;') });
    const dup = migrationsDir({
      '20260101000000_a.sql': sql('SELECT 1;', 'SELECT 1;'),
      '20260101000000_b.sql': sql('SELECT 1;', 'SELECT 1;'),
    });
    const dotenvDir = tempDir();
    mkdirSync(join(dotenvDir, '.env'));
    const aFile = join(cwd, 'a-file');
    writeFileSync(aFile, 'x');
    const [
      scope,
      url,
      name,
      duplicate,
      steps,
      conflict,
      unknown,
      option,
      empty,
      logLevel,
      flagUrl,
      envUrl,
      dotenv,
      fileDir,
    ] = await Promise.all([
      chatdb(['init', '--scope', 'everything', ...data], cwd),
      chatdb(['status', '--database-url', 'mysql://root:hunter2@db/x'], cwd),
      chatdb(['status', '--dir', badName, ...data], cwd),
      chatdb(['up', '--dir', dup, ...data], cwd),
      chatdb(['down', '--steps', 'two', ...data], cwd),
      chatdb(['down', '--steps', '1', '--to', '0', ...data], cwd),
      chatdb(['upp'], cwd),
      chatdb(['up', '--bogus', ...data], cwd),
      chatdb(['new', '!!!'], cwd),
      chatdb(['status', ...data], cwd, { LOG_LEVEL: 'loud' }),
      chatdb(['status', '--database-url', 'postgres:postgres:secret@127.0.0.1:1/x'], cwd),
      chatdb(['up', ...data], cwd, { DATABASE_URL: 'postgres//postgres:my secret@h/x' }),
      chatdb(['status', ...data], dotenvDir),
      chatdb(['new', 'x', '--dir', aFile], cwd),
    ]);
    // usage errors (commander): exit 2
    expect([scope, steps, conflict, unknown, option].map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
    oneLine(
      scope,
      /option '--scope <scope>' argument 'everything' is invalid\. Allowed choices are all, chat, auth/,
    );
    oneLine(steps, /option '--steps <n>' argument 'two' is invalid/);
    oneLine(conflict, /'--steps <n>' cannot be used with option '--to <version>'/);
    oneLine(unknown, /unknown command 'upp' \(Did you mean up\?\)/);
    oneLine(option, /unknown option '--bogus'/);
    // errors chatdb finds: exit 1
    expect(
      [url, name, duplicate, empty, logLevel, flagUrl, envUrl, dotenv, fileDir].map((r) => r.code),
    ).toEqual(Array(9).fill(1));
    oneLine(url, /^chatdb: --database-url: unsupported database URL mysql:\/\/root:\*\*\*@db\/x/);
    expect(url.stderr).not.toContain('hunter2');
    oneLine(name, /^chatdb: add index\.sql: file name must be YYYYMMDDHHMMSS_name\.sql/);
    oneLine(
      duplicate,
      /duplicate migration version 20260101000000: 20260101000000_a\.sql and 20260101000000_b\.sql/,
    );
    oneLine(empty, /give the migration a name/);
    oneLine(logLevel, /^chatdb: LOG_LEVEL must be one of/);
    oneLine(
      flagUrl,
      /^chatdb: --database-url: unsupported database URL postgres:postgres:\*\*\*@127\.0\.0\.1:1\/x: use postgres:\/\//,
    );
    oneLine(envUrl, /^chatdb: DATABASE_URL: unsupported database URL postgres\/\/postgres:\*\*\*@h\/x: use /);
    for (const r of [flagUrl, envUrl]) expect(r.stderr + r.stdout).not.toContain('secret');
    oneLine(
      dotenv,
      /^chatdb: cannot read \.env in .* \(it is not a file\): make it a file of NAME=value lines, or remove it\n$/,
    );
    oneLine(
      fileDir,
      /^chatdb: migrations directory .*a-file is not a directory \(it, or a folder above it, is a file\)/,
    );
    expect(existsSync(join(cwd, 'db'))).toBe(false);
    expect(existsSync(join(cwd, 'migrations'))).toBe(false);
  });

  it('says each connection retry as it happens, then fails in one line, never showing the password', async () => {
    const r = await chatdb(['status'], tempDir(), {
      DATABASE_URL: 'postgres://postgres:my@secret@127.0.0.1:1/x',
    });
    expect(r.code).toBe(1);
    const target = 'postgres://postgres:***@127.0.0.1:1/x';
    const refused = `cannot connect to ${target}: connection refused (is the server running?)`;
    expect(r.stderr.split('\n')).toEqual([
      `chatdb: ${refused}; retry 1/4 in 250 ms`,
      `chatdb: ${refused}; retry 2/4 in 500 ms`,
      `chatdb: ${refused}; retry 3/4 in 1000 ms`,
      `chatdb: ${refused}; retry 4/4 in 2000 ms`,
      `chatdb: ${refused}; gave up after 5 attempts`,
      '',
    ]);
    expect(r.stdout).toBe('');
  });

  it('reports a wrong password in one line, without retrying (a fake server refuses the login)', async () => {
    const server = await fakePostgres('28P01');
    try {
      const r = await chatdb(
        ['status', '--database-url', `postgres://u:s3cret-pw@127.0.0.1:${server.port}/x`],
        tempDir(),
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `chatdb: cannot connect to postgres://u:***@127.0.0.1:${server.port}/x: authentication failed (wrong user or password?)\n`,
      );
      expect(r.stdout).toBe('');
      expect(server.connections()).toBe(1); // auth errors are not transient: no retry
    } finally {
      await server.close();
    }
  });

  it('refuses an embedded database another process has open, in one line naming it', async () => {
    const dir = join(tempDir('chatdb-data-'), 'db');
    const db = await openPglite(dir, { loadDataDir: await pgliteTemplate('none') });
    try {
      const r = await chatdb(['up', '--data-dir', dir], tempDir());
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `chatdb: embedded database in ${dir} is in use by process ${process.pid} (chatdb serve?): stop it first, or use DATABASE_URL=postgres://… for several processes\n`,
      );
    } finally {
      await db.close();
    }
  });

  it('reads .env in the working directory; variables already set win', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, '.env'), 'CHATDB_MIGRATIONS_DIR=from-dotenv\n');
    const fromFile = await chatdb(['new', 'a'], cwd);
    expect(fromFile.stdout.trim()).toMatch(/^from-dotenv\/\d{14}_a\.sql$/);
    const fromEnv = await chatdb(['new', 'b', '--json'], cwd, { CHATDB_MIGRATIONS_DIR: 'from-env' });
    expect(JSON.parse(fromEnv.stdout).path).toMatch(/\/from-env\/\d{14}_b\.sql$/);
  });

  // Ten CLI processes one after another, each starting PGlite: over a minute on a loaded 2-core machine.
  it('with --json, a failure also prints {"error":{"code","message"}} on stdout', async () => {
    const cwd = tempDir();
    const mem = ['--database-url', 'memory://'];
    const failing = migrationsDir({
      '20270101000000_a.sql': sql('INSERT INTO nowhere VALUES (1);', 'SELECT 1;'),
    });
    const malformed = migrationsDir({ '20271301000000_a.sql': sql('SELECT 1;', 'SELECT 1;') });
    const [upFailed, downRefused, redoRefused, statusInvalid, dumpNoCheck, usage] = await Promise.all([
      chatdb(['up', '--json', '--dir', failing, ...mem], cwd),
      chatdb(['down', '--json', '--to', '20270101000000', '--dir', failing, ...mem], cwd),
      chatdb(['redo', '--json', '--dir', failing, ...mem], cwd),
      chatdb(['status', '--json', '--dir', malformed, ...mem], cwd),
      chatdb(['dump', '--json', ...mem], cwd),
      chatdb(['lint', '--json', '--pg-version', 'abc'], cwd),
    ]);
    const error = (r: CliRun) => JSON.parse(r.stdout).error as { code: string; message: string };
    expect(upFailed.code).toBe(1);
    expect(error(upFailed)).toEqual({
      code: 'migration_failed',
      message: '20270101000000_a.sql (up) at line 2: relation "nowhere" does not exist',
    });
    expect(upFailed.stderr).toContain(
      'chatdb: 20270101000000_a.sql (up) at line 2: relation "nowhere" does not exist\n',
    );
    expect([downRefused.code, error(downRefused).code]).toEqual([1, 'migration_missing']);
    expect(error(downRefused).message).toMatch(/^--to 20270101000000: that version is not applied/);
    expect([redoRefused.code, error(redoRefused).code]).toEqual([1, 'migration_missing']);
    expect([statusInvalid.code, error(statusInvalid).code]).toEqual([1, 'migration_invalid']);
    expect(error(statusInvalid).message).toMatch(
      /^20271301000000_a\.sql: version 20271301000000 is not a UTC date/,
    );
    // dump prints SQL; --json only describes --check
    expect(dumpNoCheck.code).toBe(2);
    oneLine(dumpNoCheck, /^chatdb: --json needs --check: the dump itself is SQL \(write it with --out\)\n$/);
    expect(error(dumpNoCheck)).toEqual({
      code: 'usage',
      message: '--json needs --check: the dump itself is SQL (write it with --out)',
    });
    expect([usage.code, error(usage).code]).toEqual([2, 'usage']);
    expect(error(usage).message).toMatch(/^option '--pg-version <version>' argument 'abc' is invalid/);
  }, 180_000);

  it('init, new, up (refused, failing, then fixed), status and down, end to end', async () => {
    const cwd = tempDir();
    const db = await cliDatabase();
    const run = (...args: string[]) => chatdb([...args, ...db.args], cwd);
    try {
      const init = await run('init', '--scope', 'chat');
      expect(init.code).toBe(0);
      expect(init.stdout).toContain('wrote migrations/20250101000002_chatdb_chat.sql');
      expect(init.stdout).toMatch(/applied {2}20250101000002_chatdb_chat\.sql \((\d+ ms|\d+\.\d\d s)\)/);
      const again = await run('init', '--scope', 'chat', '--json');
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({
        scope: 'chat',
        unchanged: true,
        written: [],
        applied: [],
      });
      expect(again.stderr).toMatch(/^database: /); // progress goes to stderr with --json

      const created = await run('new', 'add', 'session', 'pin');
      expect(created.code).toBe(0);
      expect(created.stdout.trim()).toMatch(/^migrations\/\d{14}_add_session_pin\.sql$/);
      const path = join(cwd, created.stdout.trim());
      const file = basename(path);
      expect(readFileSync(path, 'utf8')).toMatch(/-- migrate:up\n[\s\S]*-- migrate:down/);

      const ADD = 'ALTER TABLE chat_sessions ADD COLUMN pinned boolean NOT NULL DEFAULT false;';
      writeFileSync(path, `-- migrate:up\n${ADD}\n`);
      const noDown = await run('up');
      expect(noDown.code).toBe(1);
      oneLine(noDown, new RegExp(`^chatdb: ${file} has no down section`));

      writeFileSync(
        path,
        sql(`${ADD}\nINSERT INTO nowhere VALUES (1);`, 'ALTER TABLE chat_sessions DROP COLUMN pinned;'),
      );
      const failed = await run('up');
      expect(failed.code).toBe(1);
      expect(failed.stderr).toBe(`chatdb: ${file} (up) at line 3: relation "nowhere" does not exist\n`);
      const pending = await run('status', '--json');
      expect(pending.code).toBe(1);
      // the chat scope's four baseline files are applied
      expect(JSON.parse(pending.stdout)).toMatchObject({ applied: 4, pending: 1, edited: 0, missing: 0 });

      const good = sql(ADD, 'ALTER TABLE chat_sessions DROP COLUMN pinned;');
      writeFileSync(path, good);
      const up = await run('up');
      expect(up.code).toBe(0);
      expect(up.stdout).toMatch(
        new RegExp(`applied {2}${file} \\((\\d+ ms|\\d+\\.\\d\\d s)\\)\\n1 migration\\(s\\) applied\\n$`),
      );
      const clean = await run('status');
      expect(clean.code).toBe(0);
      expect(clean.stdout).toMatch(new RegExp(`applied +${file}`));
      expect(clean.stdout).toContain('5 applied, 0 pending, 0 edited, 0 missing');

      writeFileSync(path, `${good}-- edited after it was applied\n`);
      const edited = await run('status', '--json');
      expect(edited.code).toBe(1);
      expect(JSON.parse(edited.stdout)).toMatchObject({ applied: 5, pending: 0, edited: 1 });
      writeFileSync(path, good);

      const down = await run('down', '--json');
      expect(down.code).toBe(0);
      expect(JSON.parse(down.stdout).steps).toMatchObject([{ file }]);
      expect(down.stderr).toMatch(new RegExp(`rolled back ${file} \\((\\d+ ms|\\d+\\.\\d\\d s)\\)`));
    } finally {
      await db.drop();
    }
  }, 180_000);
});

describe.runIf(onRealPostgres)('chatdb CLI on a Postgres server', () => {
  it('reports a refused connection in one line (the test server trusts every password, so: a database that does not exist)', async () => {
    const url = new URL(process.env.TEST_DATABASE_URL as string);
    url.pathname = '/chatdb_no_such_db';
    url.password = 'wrong-password';
    const r = await chatdb(['status', '--database-url', url.toString()], tempDir());
    expect(r.code).toBe(1);
    oneLine(r, /^chatdb: cannot connect to .*:\*\*\*@.*chatdb_no_such_db.*does not exist/);
    expect(r.stderr).not.toContain('wrong-password');
  });

  it('eight `chatdb up` started at once apply each migration exactly once', async () => {
    const scratch = await createScratchUrl();
    try {
      const cwd = tempDir();
      const dir = join(cwd, 'migrations');
      mkdirSync(dir);
      for (let i = 1; i <= 3; i++) {
        writeFileSync(
          join(dir, `2026010100000${i}_step_${i}.sql`),
          sql(
            `CREATE TABLE IF NOT EXISTS applied_log (version text);\nINSERT INTO applied_log VALUES ('${i}');\nSELECT pg_sleep(0.2);`,
            `DELETE FROM applied_log WHERE version = '${i}';`,
          ),
        );
      }
      const runs = await Promise.all(
        Array.from({ length: 8 }, () => chatdb(['up', '--json', '--database-url', scratch.url], cwd)),
      );
      expect(runs.map((r) => r.code)).toEqual(Array(8).fill(0));
      expect(runs.reduce((n, r) => n + JSON.parse(r.stdout).steps.length, 0)).toBe(3);
      const db = await openDatabase({ url: scratch.url });
      try {
        const log = await db.query(
          'SELECT version, count(*)::int AS n FROM applied_log GROUP BY 1 ORDER BY 1',
        );
        expect(log.rows).toEqual([
          { version: '1', n: 1 },
          { version: '2', n: 1 },
          { version: '3', n: 1 },
        ]);
        expect((await db.query('SELECT count(*)::int AS n FROM schema_migrations')).rows).toEqual([{ n: 3 }]);
      } finally {
        await db.close();
      }
    } finally {
      await scratch.drop();
    }
  });
});
