import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { freshDatabase, TEST_POOLED_URL, throughPooler } from '../helpers/db.js';

// Only in `.ci/run`'s pass through PgBouncer (TEST_POOLED_URL): checks that the pooler is as strict
// as Neon's, so that the store, HTTP and reliability suites passing through it mean something.
describe.runIf(throughPooler)('through PgBouncer in transaction mode', () => {
  it('refuses a startup parameter such as statement_timeout, which chatdb must never send', async () => {
    const c = new pg.Client({ connectionString: TEST_POOLED_URL, statement_timeout: 1000 });
    const err = await c.connect().then(
      () => undefined,
      (e: Error) => e,
    );
    await c.end().catch(() => undefined);
    expect(err?.message).toMatch(/unsupported startup parameter: statement_timeout/);
  });

  it("the tests' Database goes through it: 8 connected clients hold at most default_pool_size (4) backends", async () => {
    const s = await freshDatabase('none');
    const clients = await Promise.all(
      Array.from({ length: 8 }, () => openDatabase({ url: s.url, connectRetries: 0 })),
    );
    try {
      await Promise.all(clients.map((c) => c.query('SELECT 1')));
      const direct = await openDatabase({ url: s.directUrl, connectRetries: 0 });
      try {
        const r = await direct.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        );
        // Directly, each of the 8 open clients (plus s.db) would be a backend of its own.
        expect(r.rows[0]?.n).toBeLessThanOrEqual(4);
      } finally {
        await direct.close();
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await s.drop();
    }
  });
});
