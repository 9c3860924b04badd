import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { createChatDb } from '../../src/store/chatdb.js';
import { freshDatabase, type ScratchDatabase } from '../helpers/db.js';
import { appendLoad, expectAccounted, makeClients } from '../helpers/load.js';
import { logSink } from '../helpers/logs.js';

/** Load held: 100 concurrent clients for a bounded time, over a real socket. */
const CLIENTS = 100;
const SECONDS = Number(process.env.CHATDB_LOAD_SECONDS ?? 3);

describe('load held', () => {
  let s: ScratchDatabase;
  let url: string;
  let close: () => Promise<void>;
  const logs = logSink();

  beforeAll(async () => {
    s = await freshDatabase('all');
    const app = await buildApp({ chat: createChatDb(s.db), logger: { level: 'info', stream: logs.stream } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    close = async () => {
      await app.close();
      await s.drop();
    };
  });
  afterAll(() => close());

  it(`${CLIENTS} concurrent clients for ${SECONDS} s: no 5xx, every 201 is in the database, seqs gap-free`, async () => {
    const clients = await makeClients(url, 10, CLIENTS / 10, 'held');
    expect(clients).toHaveLength(CLIENTS);
    const r = await appendLoad(url, clients, { durationMs: SECONDS * 1000 });

    expect(r.failures.slice(0, 5)).toEqual([]);
    expect(Object.keys(r.statuses)).toEqual(['201']);
    expect(r.acked.length).toBeGreaterThanOrEqual(CLIENTS); // every client got at least one through
    // Every request was answered, so nothing was written without its 201.
    await expectAccounted(s.db, r.acked, clients, { exact: true });

    // The log saw every request and none of the secrets.
    expect(
      logs
        .text()
        .split('\n')
        .filter((l) => l.includes('/messages')).length,
    ).toBeGreaterThanOrEqual(r.requests);
    for (const c of clients) expect(logs.text()).not.toContain(c.headers.authorization?.slice(7));
    expect(logs.text()).not.toContain('password-of-held');
  });
});
