/**
 * Embedded start: the time from starting `chatdb serve` (the built CLI, as `npm start` runs it) to the
 * first answered request (GET /readyz, which needs the database), on a fresh data directory (initdb,
 * baseline migrations) and on an existing one (the same directory, after a clean stop).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../test/helpers/cli.js';
import { type Bench, BIN, buildDist, median, printTable } from './lib.js';

const RUNS = Number(process.env.BENCH_START_RUNS ?? 3);

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Starts the server on `dataDir`, returns ms to the first 200 from /readyz, then stops it (SIGTERM). */
async function timeToFirstAnswer(cwd: string, dataDir: string): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], {
    cwd,
    env: { ...process.env, CHATDB_DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`chatdb serve exited with ${child.exitCode}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (r.status === 200) return performance.now() - t0;
      } catch {
        // not listening yet
      }
      if (performance.now() - t0 > 120_000) throw new Error('chatdb serve did not answer in 120 s');
      await sleep(10);
    }
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

const bench: Bench = {
  name: 'start',
  description: 'time from `chatdb serve` to the first answered request, fresh and existing data directory',
  kinds: ['pglite'],
  async run(ctx) {
    buildDist(ctx.progress);
    const fresh: number[] = [];
    const existing: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const cwd = tempDir('chatdb-bench-start-');
      const dataDir = join(cwd, 'data');
      ctx.progress(`run ${i + 1}/${RUNS}: fresh data directory`);
      fresh.push(await timeToFirstAnswer(cwd, dataDir));
      ctx.progress(`run ${i + 1}/${RUNS}: existing data directory`);
      existing.push(await timeToFirstAnswer(cwd, dataDir));
    }
    process.stdout.write('\n');
    printTable([
      {
        'data directory': 'fresh (initdb + baseline)',
        'median ms': median(fresh),
        runs: fresh.map(Math.round).join(', '),
      },
      {
        'data directory': 'existing',
        'median ms': median(existing),
        runs: existing.map(Math.round).join(', '),
      },
    ]);
    const ratio = median(fresh) / median(existing);
    process.stdout.write(`fresh / existing: ${ratio.toFixed(2)}x\n`);
    return { runs: RUNS, freshMs: fresh, existingMs: existing, ratio };
  },
};

export default bench;
