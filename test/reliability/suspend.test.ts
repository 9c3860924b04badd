import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { errorResponse } from '../cli/fake-postgres.js';
import { freshDatabase, onRealPostgres, TEST_DATABASE_URL } from '../helpers/db.js';
import { appendLoad, expectAccounted, makeClients } from '../helpers/load.js';
import { proxiedUrl } from '../helpers/proxy.js';
import { serveQuietly } from '../http/helpers.js';

/** Ends every backend of `database` but the caller's, as a Neon compute suspend does: how many. */
async function terminateBackends(database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    const r = await admin.query(
      'SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()) t',
      [database],
    );
    return r.rows[0].n as number;
  } finally {
    await admin.end();
  }
}

/**
 * A Neon compute that suspends terminates every connection (57P01) and the next connect waits for
 * it to wake. Here every backend of the service's database is terminated under load: directly, and
 * through PgBouncer in `.ci/run`'s pooled pass (where the service's URL is the pooler's).
 */
describe.runIf(onRealPostgres)('compute suspend and wake (a real server: skipped on PGlite)', () => {
  it('terminating every backend under load: 201 or 503 problem, no 500, nothing acknowledged lost, recovered', async () => {
    const s = await freshDatabase('all');
    const database = new URL(s.directUrl).pathname.slice(1);
    const server = await serveQuietly(
      { DATABASE_URL: s.url, DATABASE_URL_UNPOOLED: s.directUrl },
      {},
      {
        dbLogger: () => undefined,
      },
    );
    try {
      const clients = await makeClients(server.url, 4, 4, 'suspend');
      const LAST_KILL = 3000;
      const END = 6000;
      const load = appendLoad(server.url, clients, { durationMs: END });
      let terminated = 0;
      // At 1 s, 2 s and 3 s (LAST_KILL).
      for (let kill = 0; kill < 3; kill++) {
        await sleep(1000);
        terminated += await terminateBackends(database);
      }
      const r = await load;
      expect(terminated).toBeGreaterThan(0);
      expect(Object.keys(r.statuses).filter((x) => x !== '201' && x !== '503')).toEqual([]);
      for (const f of r.failures) {
        expect(f.type).toMatch(/^application\/problem\+json/);
        expect(JSON.parse(f.body)).toMatchObject({ status: 503 });
      }
      // Recovered without a restart: every request started a second after the last kill succeeded.
      expect(r.failures.filter((f) => f.at > LAST_KILL + 1000)).toEqual([]);
      expect(r.statuses[201]).toBeGreaterThan(clients.length * 3);
      await expectAccounted(s.db, r.acked, clients);
    } finally {
      await server.close();
      await s.drop();
    }
  });

  it('a wake that fails once ("Couldn\'t connect to compute node"), then takes 2 s: the request waits and succeeds', async () => {
    const s = await freshDatabase('all');
    const { proxy, url: viaProxy } = await proxiedUrl(s.directUrl);
    const dbLog: string[] = [];
    const server = await serveQuietly({ DATABASE_URL: viaProxy }, {}, { dbLogger: (m) => dbLog.push(m) });
    try {
      const [c] = await makeClients(server.url, 1, 1, 'wake');
      if (!c) throw new Error('no client');
      const post = () =>
        fetch(`${server.url}/chat/sessions/${c.sessionId}/messages`, {
          method: 'POST',
          headers: c.headers,
          body: JSON.stringify({ role: 'user', content: 'are you awake?' }),
        });
      expect((await post()).status).toBe(201);
      // Suspend: every connection ends; the next connect is refused once by the proxy, then slow.
      await proxy.cut();
      await proxy.restore();
      proxy.answerNext(1, errorResponse('XX000', "Couldn't connect to compute node"));
      proxy.delay(2000);
      await sleep(100);
      const t0 = performance.now();
      const res = await post();
      const ms = performance.now() - t0;
      expect(res.status).toBe(201);
      expect(ms).toBeGreaterThanOrEqual(2000);
      expect(dbLog.join('\n')).toMatch(/Couldn't connect to compute node; retry 1\/\d/);
      proxy.delay(0);
      expect((await post()).status).toBe(201);
    } finally {
      await server.close();
      await proxy.close();
      await s.drop();
    }
  });
});
