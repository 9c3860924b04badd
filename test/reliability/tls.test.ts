import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { ChatDbError } from '../../src/errors.js';
import { chatdb, tempDir } from '../helpers/cli.js';
import { onRealPostgres } from '../helpers/db.js';

const SCRIPT = new URL('../../.ci/tls-postgres.sh', import.meta.url).pathname;
/** The script needs the server package's initdb and pg_ctl, as on a machine running the test server. */
const canStart =
  onRealPostgres &&
  spawnSync('sh', ['-c', 'ls /usr/lib/postgresql/*/bin/initdb || command -v initdb']).status === 0;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/**
 * Neon accepts TLS only. A second server started here (`.ci/tls-postgres.sh`: its own CA and
 * certificate, ssl = on, every plaintext TCP connection refused in pg_hba.conf) stands in for it.
 */
describe.runIf(canStart)(
  'a server that requires TLS (its own cluster, started by .ci/tls-postgres.sh)',
  () => {
    let dir = '';
    let port = 0;
    let password = '';
    const url = (query: string, host = '127.0.0.1') =>
      `postgres://app:${password}@${host}:${port}/app?${query.replaceAll('CA', `${dir}/ca.crt`)}`;
    const ssl = async (u: string) => {
      const db = await openDatabase({ url: u, connectRetries: 0 });
      try {
        const r = await db.query<{ ssl: boolean }>(
          'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
        );
        return r.rows[0]?.ssl;
      } finally {
        await db.close();
      }
    };
    const failure = (u: string) => openDatabase({ url: u, connectRetries: 0 }).catch((e: unknown) => e);

    beforeAll(async () => {
      dir = tempDir('chatdb-tls-');
      port = await freePort();
      const r = spawnSync('bash', [SCRIPT, 'start', dir, String(port)], {
        encoding: 'utf8',
        timeout: 90_000,
      });
      if (r.status !== 0) throw new Error(`tls-postgres.sh: ${r.stderr}${r.stdout}`);
      password = readFileSync(`${dir}/password`, 'utf8').trim();
    });
    afterAll(() => {
      if (dir && existsSync(dir)) {
        spawnSync('bash', [SCRIPT, 'stop', dir], { timeout: 30_000 });
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('sslmode=verify-full and sslmode=require, with sslrootcert, connect over TLS (by IP and by name)', async () => {
      expect(await ssl(url('sslmode=verify-full&sslrootcert=CA'))).toBe(true);
      expect(await ssl(url('sslmode=verify-full&sslrootcert=CA', 'localhost'))).toBe(true);
      expect(await ssl(url('sslmode=require&sslrootcert=CA'))).toBe(true);
    });

    it('plaintext is refused with one clear line, never the password, and not retried', async () => {
      const e = await failure(url('sslmode=disable'));
      expect(e).toBeInstanceOf(ChatDbError);
      const m = (e as Error).message;
      expect(m).toMatch(/refuses connections without TLS: add sslmode=require/);
      expect(m).not.toContain(password);
      expect(m).not.toContain('\n');
    });

    it('a certificate from an unknown CA is refused with one line naming sslrootcert', async () => {
      const e = await failure(url('sslmode=verify-full'));
      const m = (e as Error).message;
      expect(m).toMatch(/TLS certificate is not trusted .*sslrootcert=/);
      expect(m).not.toContain(password);
    });

    it('the CLI: init and status over TLS; a plaintext status exits 1 with one line', async () => {
      const cwd = tempDir();
      const good = url('sslmode=verify-full&sslrootcert=CA');
      const init = await chatdb(['init', '--scope', 'all', '--database-url', good], cwd);
      expect(init.code, init.stderr).toBe(0);
      const status = await chatdb(['status', '--json', '--database-url', good], cwd);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toBeTypeOf('object');
      const plain = await chatdb(['status', '--database-url', url('sslmode=disable')], cwd);
      expect(plain.code).toBe(1);
      expect(plain.stderr.trim().split('\n')).toHaveLength(1);
      expect(plain.stderr).toMatch(/without TLS/);
      expect(`${plain.stdout}${plain.stderr}`).not.toContain(password);
    });
  },
);
