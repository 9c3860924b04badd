import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../src/db/dir-lock.js';
import { openDatabase, parseDatabaseUrl, redactUrl } from '../src/db/index.js';
import { openPglite } from '../src/db/pglite.js';
import { poolConfig } from '../src/db/postgres.js';
import { isChatDbError } from '../src/errors.js';
import { openChatDb } from '../src/store/chatdb.js';
import { chatdb, tempDir } from './helpers/cli.js';
import {
  createScratchUrl,
  freshDatabase,
  onRealPostgres,
  pgliteTemplate,
  type ScratchDatabase,
  TEST_DATABASE_URL,
} from './helpers/db.js';

describe('parseDatabaseUrl', () => {
  it('chooses the adapter from the URL', () => {
    expect(parseDatabaseUrl(undefined, '/tmp/x')).toEqual({ kind: 'pglite', dataDir: '/tmp/x' });
    expect(parseDatabaseUrl('', '/tmp/x')).toEqual({ kind: 'pglite', dataDir: '/tmp/x' });
    expect(parseDatabaseUrl('memory://')).toEqual({ kind: 'pglite', dataDir: undefined });
    expect(parseDatabaseUrl('postgresql://u:p@h/db').kind).toBe('postgres');
    expect(parseDatabaseUrl('postgres://u:p@h/db?sslmode=require&channel_binding=require').kind).toBe(
      'postgres',
    );
  });

  it('rejects other schemes naming the accepted forms, without the password', () => {
    try {
      parseDatabaseUrl('mysql://root:hunter2@h/db');
      expect.unreachable();
    } catch (e) {
      expect(isChatDbError(e, 'config_invalid')).toBe(true);
      expect((e as Error).message).toContain('postgres://');
      expect((e as Error).message).toContain('memory://');
      expect((e as Error).message).not.toContain('hunter2');
    }
  });

  it('redacts passwords', () => {
    expect(redactUrl('postgres://neondb_owner:s3cr3t@ep-x.neon.tech/neondb?sslmode=require')).toBe(
      'postgres://neondb_owner:***@ep-x.neon.tech/neondb?sslmode=require',
    );
    expect(redactUrl('postgres://h/db?password=s3cr3t&x=1')).toBe('postgres://h/db?password=***&x=1');
    expect(redactUrl('postgres://h/db')).toBe('postgres://h/db');
    expect(redactUrl('postgres://postgres@/test?host=/var/run/postgresql')).toBe(
      'postgres://postgres@/test?host=/var/run/postgresql',
    );
  });

  it.each([
    // an unescaped '@' in the password: everything up to the LAST '@' is masked
    ['postgres://postgres:my@secret@127.0.0.1:5432/test', 'postgres://postgres:***@127.0.0.1:5432/test'],
    ['postgres://u:my secret@h/x', 'postgres://u:***@h/x'],
    ['postgres://u:ab/c?d#e@h/x', 'postgres://u:***@h/x'],
    // malformed scheme parts
    ['postgres:postgres:secret@127.0.0.1:1/x', 'postgres:postgres:***@127.0.0.1:1/x'],
    ['postgres//postgres:secret@h/x', 'postgres//postgres:***@h/x'],
    ['postgres:/postgres:secret@h/x', 'postgres:/postgres:***@h/x'],
    ['postgres:secret@h/x', 'postgres:***@h/x'],
    ['postgres:secret:@h/x', 'postgres:secret:***@h/x'],
    ['  postgres:secret@h/x', '  postgres:***@h/x'],
    // password parameters, in a query or as libpq keyword/value pairs
    [
      'postgres://h/db?sslmode=require&password=my secret&x=1',
      'postgres://h/db?sslmode=require&password=***&x=1',
    ],
    ['postgres://h/db?sslpassword=keypass', 'postgres://h/db?sslpassword=***'],
    ["host=h user=u password='my secret' dbname=x", 'host=h user=u password=*** dbname=x'],
    ['host=h password = secret dbname=x', 'host=h password = *** dbname=x'],
  ])('redacts %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });

  it('never shows the password of a URL it rejects', () => {
    for (const url of [
      'postgres:postgres:secret@127.0.0.1:1/x',
      'postgres//postgres:secret@h/x',
      'postgresq://u:my secret@h/x',
      "host=h password='secret'",
    ]) {
      const e = (() => {
        try {
          parseDatabaseUrl(url);
        } catch (err) {
          return err as Error;
        }
        return expect.unreachable(url);
      })();
      expect(isChatDbError(e, 'config_invalid')).toBe(true);
      expect(e.message).toMatch(/^unsupported database URL /);
      expect(e.message).not.toContain('secret');
    }
  });
});

describe('a password with an unescaped / ? or #', () => {
  // The authority ends at the first / ? or #, so node-postgres looked up the host "ss" and
  // reported "host not found"; the real host came after the last @, in the path.
  const bad = [
    'postgres://u:p@ss/w0rd@127.0.0.1:5432/x',
    'postgres://u:p@ss?w0rd@127.0.0.1:5432/x',
    'postgres://u:p@ss#w0rd@127.0.0.1:5432/x',
    'postgresql://u:p/ss@127.0.0.1:5432/x',
  ];
  const expected =
    /^cannot parse the database URL postgres(ql)?:\/\/u:\*\*\*@127\.0\.0\.1:5432\/x: an unescaped \/ \? or # in the password \(or user name\) ends the host part early; use postgres:\/\/user:password@host:5432\/db \(percent-encode .* \/ as %2F\), or .*unix socket$/;

  it('is config_invalid from the library, naming the accepted forms, never the password', async () => {
    for (const url of bad) {
      const e = await openChatDb({ url }).then(
        () => expect.unreachable(url),
        (err: Error) => err,
      );
      expect(isChatDbError(e, 'config_invalid'), url).toBe(true);
      expect(e.message).toMatch(expected);
      expect(e.message).not.toMatch(/w0rd|p\/ss|ss@/);
    }
  });

  it('is one line from the CLI, exit 1, before any connection is tried', async () => {
    const r = await chatdb(['status', '--database-url', bad[0] ?? ''], tempDir());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^chatdb: --database-url: cannot parse the database URL postgres:\/\/u:\*\*\*@127/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr + r.stdout).not.toContain('w0rd');
    expect(r.stderr).not.toContain('host not found');
  });

  it('leaves alone what node-postgres parses right: @ in a password, @ in a query value, sockets', () => {
    for (const url of [
      'postgres://u:p@ss@127.0.0.1:5432/x',
      'postgres://u:p%2Fss@127.0.0.1:5432/x',
      'postgres://u:p@h/db?application_name=me@example&sslmode=require',
      'postgres://user@/db?host=/var/run/postgresql',
      'postgres://[::1]:5432/db',
    ])
      expect(parseDatabaseUrl(url)).toEqual({ kind: 'postgres', connectionString: url });
  });
});

describe('database adapter', () => {
  let s: ScratchDatabase;
  beforeAll(async () => {
    s = await freshDatabase('none');
  });
  afterAll(() => s.drop());

  it('runs parameterized queries and parses int8 as a number', async () => {
    const r = await s.db.query<{ n: number; t: string }>(
      'SELECT count(*) AS n, $1::text AS t FROM generate_series(1, 3)',
      ['x'],
    );
    expect(r.rows).toEqual([{ n: 3, t: 'x' }]);
    expect(s.db.kind).toBe(onRealPostgres ? 'postgres' : 'pglite');
  });

  it('rolls back a failed transaction completely', async () => {
    await s.db.exec('CREATE TABLE t (x int PRIMARY KEY)');
    await expect(
      s.db.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (1)');
        await tx.query('INSERT INTO t VALUES (1)');
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect((await s.db.query('SELECT * FROM t')).rows).toEqual([]);
    await s.db.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (2)');
    });
    expect((await s.db.query('SELECT x FROM t')).rows).toEqual([{ x: 2 }]);
  });

  it('keeps session state within withSession', async () => {
    const v = await s.db.withSession(async (ses) => {
      await ses.exec("SET application_name = 'chatdb_test'");
      return (await ses.query<{ a: string }>("SELECT current_setting('application_name') AS a")).rows[0]?.a;
    });
    expect(v).toBe('chatdb_test');
  });
});

describe('poolConfig', () => {
  const NEON =
    'postgres://neondb_owner:npg_Ab1@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/neondb';

  it('sends sslmode=require as verify-full and turns channel_binding=require into enableChannelBinding', () => {
    // verify-full is what pg 8 does for require anyway (docs/design.md, Connections)
    const c = poolConfig(`${NEON}?sslmode=require&channel_binding=require`);
    expect(c.connectionString).toBe(`${NEON}?sslmode=verify-full`);
    expect(c.enableChannelBinding).toBe(true);
    const reversed = poolConfig(`${NEON}?channel_binding=require&sslmode=require`);
    expect([reversed.connectionString, reversed.enableChannelBinding]).toEqual([
      `${NEON}?sslmode=verify-full`,
      true,
    ]);
    expect(poolConfig(`${NEON}?sslmode=prefer`).connectionString).toBe(`${NEON}?sslmode=verify-full`);
    const disabled = poolConfig(`${NEON}?channel_binding=disable`);
    expect([disabled.connectionString, disabled.enableChannelBinding]).toEqual([NEON, false]);
  });

  it.each([
    `${NEON}?sslmode=verify-full&application_name=my%20app&options=endpoint%3Dep-cool`,
    'postgres://u:p%40ss%2Fw@h:5433/db?sslmode=disable',
    'postgres://postgres@/test?host=/var/run/postgresql',
    'postgres://postgres:my@secret@127.0.0.1:5432/test',
    'postgresql://h/db',
  ])('leaves everything else as written: %s', (url) => {
    expect(poolConfig(url)).toMatchObject({ connectionString: url, enableChannelBinding: false });
  });

  it('makes a URL node-postgres cannot parse a config_invalid error, without the password', async () => {
    for (const url of ['postgres://u:pa/ss@h/db', 'postgres://u:pass@h:99999/db']) {
      const e = (await openDatabase({ url, connectRetries: 3 }).catch((err: unknown) => err)) as Error;
      expect(isChatDbError(e, 'config_invalid')).toBe(true);
      expect(e.message).toMatch(
        /^cannot parse the database URL postgres:\/\/u:\*\*\*@h[:/].*[:;] use postgres:\/\/user:password@host:5432\/db .*unix socket$/,
      );
      expect(e.message).not.toMatch(/pa\/ss|pass@/);
    }
  });
});

describe('connecting to a server', () => {
  it('reports an unreachable server in one line, after bounded retries logged as they happen', async () => {
    const logs: string[] = [];
    const err = await openDatabase({
      url: 'postgres://postgres:hunter2@127.0.0.1:1/nope',
      connectRetries: 2,
      logger: (m) => logs.push(m),
    }).catch((e: unknown) => e);
    expect(isChatDbError(err, 'db_unavailable')).toBe(true);
    expect((err as Error).message).toBe(
      'cannot connect to postgres://postgres:***@127.0.0.1:1/nope: connection refused (is the server running?); gave up after 3 attempts',
    );
    expect(logs).toEqual([
      'cannot connect to postgres://postgres:***@127.0.0.1:1/nope: connection refused (is the server running?); retry 1/2 in 250 ms',
      'cannot connect to postgres://postgres:***@127.0.0.1:1/nope: connection refused (is the server running?); retry 2/2 in 500 ms',
    ]);
  });

  it.runIf(onRealPostgres && existsSync('/var/run/postgresql'))(
    'connects through the unix socket form postgres://user@/db?host=/var/run/postgresql',
    async () => {
      const scratch = await createScratchUrl();
      try {
        const tcp = new URL(TEST_DATABASE_URL as string);
        const name = new URL(scratch.url).pathname.slice(1);
        const url = `postgres://${tcp.username}@/${name}?host=/var/run/postgresql&port=${tcp.port || 5432}`;
        const db = await openDatabase({ url, connectRetries: 0 });
        try {
          const r = await db.query<{ d: string; a: string | null }>(
            'SELECT current_database() AS d, inet_server_addr()::text AS a',
          );
          expect(r.rows).toEqual([{ d: name, a: null }]); // no server address: a unix socket
          expect(db.target).toBe(url);
        } finally {
          await db.close();
        }
      } finally {
        await scratch.drop();
      }
    },
  );
});

describe.runIf(onRealPostgres)('postgres connection failures', () => {
  it('survives the server ending a checked-out connection, and the pool recovers', async () => {
    const s = await freshDatabase('none');
    try {
      const pending = s.db.withSession(async (ses) => {
        const pid = (await ses.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
        // Killed while checked out but between statements: the 'error' arrives with no query running.
        await s.db.query('SELECT pg_terminate_backend($1)', [pid]);
        await new Promise((r) => setTimeout(r, 300));
        return ses.query('SELECT 1');
      });
      await expect(pending).rejects.toThrow();
      expect((await s.db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await s.drop();
    }
  });

  it('names a missing database', async () => {
    const url = new URL(process.env.TEST_DATABASE_URL as string);
    url.pathname = '/chatdb_does_not_exist';
    const err = await openDatabase({ url: url.toString(), connectRetries: 0 }).catch((e: unknown) => e);
    expect(isChatDbError(err, 'db_unavailable')).toBe(true);
    expect((err as Error).message).toContain('chatdb_does_not_exist');
  });
});

describe('the embedded data directory lock', () => {
  /** A data directory seeded from the blank template (no initdb). */
  const dataDir = async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'chatdb-lock-')), 'db');
    await (await openPglite(dir, { loadDataDir: await pgliteTemplate('none') })).close();
    return dir;
  };
  const rejection = (p: Promise<unknown>) =>
    p.then(
      () => expect.unreachable('expected the open to be refused'),
      (e: unknown) => e as Error,
    );

  it('refuses a second open in this process while the first is open; close releases it', async () => {
    const dir = await dataDir();
    const lock = join(dir, LOCK_FILE);
    const first = await openPglite(dir);
    expect(readFileSync(lock, 'utf8').trim()).toBe(String(process.pid));
    const e = await rejection(openDatabase({ dataDir: dir }));
    expect(isChatDbError(e, 'db_unavailable')).toBe(true);
    expect(e.message).toBe(
      `embedded database in ${dir} is already open in this process: close it first (it serves one connection), or use DATABASE_URL=postgres://… for several`,
    );
    expect((await first.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]); // the first is unharmed
    await first.close();
    expect(existsSync(lock)).toBe(false);
    const again = await openPglite(dir);
    await again.close();
  });

  /** A node process that opens `dir`, says 'open', then waits (or, with `exit`, exits without closing). */
  const holderOf = (dir: string, then: 'wait' | 'exit') => {
    const pglite = new URL('../src/db/pglite.ts', import.meta.url).href;
    const tsx = new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
    const script = `const { openPglite } = await import(${JSON.stringify(pglite)});
      await openPglite(process.argv[1]);
      process.stdout.write('open\\n');
      if (process.argv[2] === 'exit') process.exit(0);
      setInterval(() => undefined, 1000);`;
    return spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script, dir, then], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  };

  it('is released when the process exits without closing', async () => {
    const dir = await dataDir();
    const holder = holderOf(dir, 'exit');
    let said = '';
    holder.stdout.on('data', (d) => {
      said += d;
    });
    const code = await new Promise((r) => holder.once('close', r));
    expect([code, said]).toEqual([0, 'open\n']);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses while another process holds it, and takes the lock over once that process is killed', async () => {
    const dir = await dataDir();
    const holder = holderOf(dir, 'wait');
    const exited = new Promise((r) => holder.once('exit', r));
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d) => String(d).includes('open') && resolve());
        holder.once('exit', (code) => reject(new Error(`the holder exited early (${code})`)));
      });
      const e = await rejection(openPglite(dir));
      expect(isChatDbError(e, 'db_unavailable')).toBe(true);
      expect(e.message).toBe(
        `embedded database in ${dir} is in use by process ${holder.pid} (chatdb serve?): stop it first, or use DATABASE_URL=postgres://… for several processes`,
      );
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    // kill -9 left its lock behind: the holder is gone, so the next opener takes over and says so
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(holder.pid));
    const logs: string[] = [];
    const db = await openPglite(dir, { logger: (m) => logs.push(m) });
    try {
      expect(logs).toEqual([`took over ${join(dir, LOCK_FILE)}: process ${holder.pid} that held it is gone`]);
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
      expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
