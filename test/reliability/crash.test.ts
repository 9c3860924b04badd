import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openPglite } from '../../src/db/pglite.js';
import { tempDir } from '../helpers/cli.js';
import { type Acked, accountFor, appendLoad, makeClients } from '../helpers/load.js';
import { startServer } from '../helpers/server.js';

/**
 * kill -9 of `chatdb serve` on the embedded database while it writes: it must start again on the same
 * data directory, with every acknowledged message there and every session's seqs gap-free.
 */
const CYCLES = Number(process.env.CHATDB_CRASH_CYCLES ?? 2);

describe('crash of the embedded server', () => {
  it(`survives ${CYCLES} kill -9 during writes with every acknowledged message kept`, async () => {
    const cwd = tempDir('chatdb-crash-');
    const env = { CHATDB_DATA_DIR: join(cwd, 'data'), LOG_LEVEL: 'warn' };
    let server = await startServer({ cwd, env });
    const clients = await makeClients(server.url, 2, 4, 'crash');
    const acked: Acked[] = [];
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      let killed = false;
      const load = appendLoad(server.url, clients, { durationMs: 30_000, until: () => killed });
      await sleep(1500);
      killed = true;
      await server.kill9();
      const r = await load;
      expect(r.acked.length, `cycle ${cycle}: writes were acknowledged before the kill`).toBeGreaterThan(0);
      // Only 201s and connection failures (status 0) caused by the kill: no 5xx before it.
      expect(Object.keys(r.statuses).filter((s) => s !== '201' && s !== '0')).toEqual([]);
      acked.push(...r.acked);
      server = await startServer({ cwd, env });
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    }
    // Still writable after the last restart, and the tokens issued before the crashes still work.
    const after = await appendLoad(server.url, clients.slice(0, 1), { durationMs: 200 });
    expect(after.statuses).toEqual({ 201: after.requests });
    acked.push(...after.acked);
    expect(await server.stop()).toBe(0);

    const db = await openPglite(env.CHATDB_DATA_DIR);
    try {
      const acct = await accountFor(
        db,
        acked,
        clients.map((c) => c.sessionId),
      );
      expect(acct.missing).toEqual([]);
      expect(acct.broken).toEqual([]);
      expect(acct.stored).toBeGreaterThanOrEqual(acked.length);
    } finally {
      await db.close();
    }
  });
});
