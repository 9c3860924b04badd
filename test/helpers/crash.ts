import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { openPglite } from '../../src/db/pglite.js';
import { tempDir } from './cli.js';
import { type Acked, appendLoad, expectAccounted, makeClients } from './load.js';
import { startServer } from './server.js';

/**
 * Runs `chatdb serve` on a new embedded data directory under append load and kills it with SIGKILL
 * `cycles` times, `pauseMs(cycle)` into the writes, starting it again on the same directory each
 * time. Then checks it is still writable with the old tokens, stops it cleanly, and that every
 * acknowledged message is in the data directory with every session's seqs gap-free.
 */
export async function crashCycles(options: {
  cycles: number;
  pauseMs: (cycle: number) => number;
  report?: (line: string) => void;
}): Promise<void> {
  const cwd = tempDir('chatdb-crash-');
  const env = { CHATDB_DATA_DIR: join(cwd, 'data'), LOG_LEVEL: 'warn' };
  let server = await startServer({ cwd, env });
  const clients = await makeClients(server.url, 2, 4, 'crash');
  const acked: Acked[] = [];
  for (let cycle = 1; cycle <= options.cycles; cycle++) {
    let killed = false;
    const load = appendLoad(server.url, clients, { durationMs: 60_000, until: () => killed });
    await sleep(options.pauseMs(cycle));
    killed = true;
    await server.kill9();
    const r = await load;
    // Only 201s and connection failures (status 0) caused by the kill: no 5xx before it.
    expect(Object.keys(r.statuses).filter((s) => s !== '201' && s !== '0')).toEqual([]);
    acked.push(...r.acked);
    server = await startServer({ cwd, env });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    options.report?.(`cycle ${cycle}: ${r.acked.length} acknowledged before the kill; restarted`);
  }
  const after = await appendLoad(server.url, clients.slice(0, 1), { durationMs: 200 });
  expect(after.statuses).toEqual({ 201: after.requests });
  acked.push(...after.acked);
  expect(await server.stop()).toBe(0);
  expect(acked.length).toBeGreaterThan(0);

  const db = await openPglite(env.CHATDB_DATA_DIR);
  try {
    await expectAccounted(db, acked, clients);
  } finally {
    await db.close();
  }
}
