import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { PACKAGE_MIGRATIONS_DIR } from '../../src/migrate/index.js';
import { tempDir } from '../helpers/cli.js';
import { createScratchUrl } from '../helpers/db.js';
import { appendLoad, expectAccounted, makeClients } from '../helpers/load.js';
import { startServer } from '../helpers/server.js';

/**
 * Restarts the machine's real PostgreSQL server (pg_ctlcluster) while `chatdb serve` takes appends:
 * requests during the outage fail fast with 503, the service recovers by itself, and every message
 * that got a 201 is in the database. It stops every other client of that server too: run it alone
 * (`npm run soak`, which CI runs after the test suites).
 */
const version = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql')[0] : undefined;
const canRestart = version !== undefined && process.getuid?.() === 0;

/** pg_ctlcluster, asynchronously: the load in this process must keep running meanwhile. */
const pgctl = (action: 'stop' | 'start') =>
  promisify(execFile)('pg_ctlcluster', [
    '--skip-systemctl-redirect',
    version as string,
    'main',
    action,
    ...(action === 'stop' ? ['-m', 'fast'] : []),
  ]);
/** How long the server stays down: longer than serve's connection retries (250 + 500 ms) bridge. */
const DOWN_MS = 2000;

describe.runIf(canRestart)('restart of the real PostgreSQL server under load', () => {
  it('503 while it is down, back by itself within seconds, every 201 stored', async () => {
    const scratch = await createScratchUrl('chatdb_soak');
    const cwd = tempDir('chatdb-soak-restart-');
    const server = await startServer({
      cwd,
      env: { DATABASE_URL: scratch.url, CHATDB_MIGRATIONS_DIR: PACKAGE_MIGRATIONS_DIR, LOG_LEVEL: 'warn' },
      args: ['--migrate'],
    });
    try {
      const clients = await makeClients(server.url, 4, 5, 'restart');
      const STOP_AT = 3000;
      const END = 20_000;
      const t0 = performance.now();
      const load = appendLoad(server.url, clients, { durationMs: END });
      await sleep(STOP_AT);
      await pgctl('stop');
      const downAt = performance.now() - t0;
      await sleep(DOWN_MS);
      await pgctl('start');
      const backAt = performance.now() - t0;
      const r = await load;

      const lastFailure = Math.max(0, ...r.failures.map((f) => f.at + f.ms));
      process.stdout.write(
        `server down from ${downAt.toFixed(0)} to ${backAt.toFixed(0)} ms; the last failed request ended ` +
          `${(lastFailure - backAt).toFixed(0)} ms after it was back; ${r.acked.length} acknowledged, ` +
          `${r.statuses[503] ?? 0} answered 503, slowest request ${r.maxMs.toFixed(0)} ms\n`,
      );
      expect(Object.keys(r.statuses).filter((s) => s !== '201' && s !== '503')).toEqual([]);
      expect(r.statuses[503] ?? 0, 'the outage was seen').toBeGreaterThan(0);
      for (const f of r.failures) expect(f.type).toMatch(/^application\/problem\+json/);
      expect(r.maxMs, 'no request hung').toBeLessThan(10_000);
      expect(lastFailure - backAt, 'recovered within 5 s of the server being back').toBeLessThan(5000);

      const db = await openDatabase({ url: scratch.url, connectRetries: 5, logger: () => undefined });
      try {
        await expectAccounted(db, r.acked, clients);
      } finally {
        await db.close();
      }
      expect(await server.stop()).toBe(0);
    } finally {
      if (server.child.exitCode === null) await server.kill9();
      await scratch.drop();
    }
  });
});
