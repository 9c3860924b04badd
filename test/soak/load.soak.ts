import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/index.js';
import { PACKAGE_MIGRATIONS_DIR } from '../../src/migrate/index.js';
import { tempDir } from '../helpers/cli.js';
import { createScratchUrl } from '../helpers/db.js';
import { appendLoad, expectAccounted, makeClients } from '../helpers/load.js';
import { startServer } from '../helpers/server.js';

/**
 * Load held for longer than `npm test` allows: 100 clients against a `chatdb serve` process for
 * SOAK_SECONDS (default 30), on the embedded database and on the real server. No 5xx, every 201
 * stored, every session's seqs gap-free.
 */
const SECONDS = Number(process.env.SOAK_SECONDS ?? 30);

const targets = [
  { name: 'embedded PGlite', postgres: false },
  { name: 'PostgreSQL', postgres: true },
];

describe.each(targets)('load held on $name', ({ postgres }) => {
  it(`100 clients for ${SECONDS} s: no 5xx, every 201 stored`, async () => {
    const cwd = tempDir('chatdb-soak-load-');
    const scratch = postgres ? await createScratchUrl('chatdb_soak') : undefined;
    const env: Record<string, string> = scratch
      ? { DATABASE_URL: scratch.url, CHATDB_MIGRATIONS_DIR: PACKAGE_MIGRATIONS_DIR }
      : { CHATDB_DATA_DIR: join(cwd, 'data') };
    const server = await startServer({
      cwd,
      env: { ...env, LOG_LEVEL: 'warn' },
      args: scratch ? ['--migrate'] : [],
    });
    let db: Database | undefined;
    try {
      const clients = await makeClients(server.url, 10, 10, 'soak');
      const r = await appendLoad(server.url, clients, { durationMs: SECONDS * 1000 });
      process.stdout.write(
        `${r.requests} requests in ${SECONDS} s (${(r.requests / SECONDS).toFixed(0)}/s), slowest ${r.maxMs.toFixed(0)} ms\n`,
      );
      expect(r.failures.slice(0, 3)).toEqual([]);
      expect(await server.stop()).toBe(0);
      db = await openDatabase({ url: scratch?.url, dataDir: env.CHATDB_DATA_DIR });
      await expectAccounted(db, r.acked, clients, { exact: true });
    } finally {
      if (server.child.exitCode === null) await server.kill9();
      await db?.close();
      await scratch?.drop();
    }
  });
});
