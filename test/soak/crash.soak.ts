import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openPglite } from '../../src/db/pglite.js';
import { tempDir } from '../helpers/cli.js';
import { type Acked, accountFor, appendLoad, makeClients } from '../helpers/load.js';
import { startServer } from '../helpers/server.js';

/**
 * More kill -9 cycles than `npm test` runs (SOAK_CRASH_CYCLES, default 10), at varying moments of
 * the write load, on one embedded data directory: every restart must succeed and keep every
 * acknowledged message.
 */
const CYCLES = Number(process.env.SOAK_CRASH_CYCLES ?? 10);

describe('repeated crashes of the embedded server', () => {
  it(`${CYCLES} kill -9 during writes, every acknowledged message kept`, async () => {
    const cwd = tempDir('chatdb-soak-crash-');
    const env = { CHATDB_DATA_DIR: join(cwd, 'data'), LOG_LEVEL: 'warn' };
    let server = await startServer({ cwd, env });
    const clients = await makeClients(server.url, 4, 4, 'soakcrash');
    const acked: Acked[] = [];
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      let killed = false;
      const load = appendLoad(server.url, clients, { durationMs: 60_000, until: () => killed });
      await sleep(300 + ((cycle * 733) % 2500)); // a different moment each cycle
      killed = true;
      await server.kill9();
      const r = await load;
      expect(Object.keys(r.statuses).filter((s) => s !== '201' && s !== '0')).toEqual([]);
      acked.push(...r.acked);
      server = await startServer({ cwd, env });
      process.stdout.write(`cycle ${cycle}: ${r.acked.length} acknowledged before the kill, restarted\n`);
    }
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
    } finally {
      await db.close();
    }
  });
});
