import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { freshDatabase, onRealPostgres } from '../helpers/db.js';
import { appendLoad, expectAccounted, makeClients } from '../helpers/load.js';
import { proxiedUrl } from '../helpers/proxy.js';
import { serveQuietly } from '../http/helpers.js';

/**
 * The database goes away under load (every connection dropped, new ones refused, as during a
 * restart or a Neon compute suspend) and comes back. A proxy stands in for the outage so other test
 * files on the same server are not disturbed; `npm run soak` restarts the real server.
 */
describe.runIf(onRealPostgres)('database outage under load', () => {
  it('answers 503 quickly while the database is away, recovers by itself, and loses no acknowledged message', async () => {
    const s = await freshDatabase('all');
    const { proxy, url: viaProxy } = await proxiedUrl(s.url);
    const dbLog: string[] = [];
    const server = await serveQuietly({ DATABASE_URL: viaProxy }, {}, { dbLogger: (m) => dbLog.push(m) });
    try {
      const clients = await makeClients(server.url, 4, 5, 'outage');
      const CUT_AT = 1500;
      const RESTORE_AT = 3500;
      const END = 7000;
      const load = appendLoad(server.url, clients, { durationMs: END });
      await sleep(CUT_AT);
      await proxy.cut();
      await sleep(RESTORE_AT - CUT_AT);
      await proxy.restore();
      const r = await load;

      // Only successes and 503s, each failure a problem document; nothing hung.
      expect(Object.keys(r.statuses).sort()).toEqual(['201', '503']);
      for (const f of r.failures) {
        expect(f.type).toMatch(/^application\/problem\+json/);
        expect(JSON.parse(f.body)).toMatchObject({ status: 503, title: 'Service Unavailable' });
      }
      expect(r.maxMs).toBeLessThan(5000);
      // Recovered by itself: every request started 2 s after the database came back succeeded.
      expect(r.failures.filter((f) => f.at > RESTORE_AT + 2000)).toEqual([]);
      expect(r.acked.some((a) => a.seq > 1)).toBe(true);
      // Every failed request retried its connection, but the log says so a few times, not per request.
      expect(r.failures.length).toBeGreaterThan(20);
      expect(dbLog.length).toBeLessThan(10);
      expect(dbLog.join('\n')).toMatch(/connection refused/);

      // A commit whose reply was cut off is stored without a 201; never the other way round.
      await expectAccounted(s.db, r.acked, clients);
    } finally {
      await server.close();
      await proxy.close();
      await s.drop();
    }
  });
});
