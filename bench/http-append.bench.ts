/**
 * HTTP append throughput and latency, beside the database's own ceiling. N clients (autocannon, one
 * connection each) append messages with two citations to sessions of their own through a
 * `chatdb serve` process (request logging on, as by default). The ceiling, in the same run: the same
 * INSERT statement (APPEND_SQL, the one chatdb sends) driven straight through `pg` with N connections
 * (through PGlite in process on the embedded database): no HTTP, no auth, no validation.
 * BENCH_CLIENTS (default "1,10") and BENCH_SECONDS (default 10) size it.
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import type { Queryable } from '../src/db/index.js';
import { PACKAGE_MIGRATIONS_DIR } from '../src/migrate/index.js';
import { APPEND_SQL } from '../src/store/messages.js';
import { tempDir } from '../test/helpers/cli.js';
import { appendBody, makeClients } from '../test/helpers/load.js';
import { startServer } from '../test/helpers/server.js';
import { type Bench, type BenchContext, printTable, type Stats, stats } from './lib.js';

const CLIENTS = (process.env.BENCH_CLIENTS ?? '1,10').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;

interface Run {
  readonly path: 'HTTP (chatdb serve)' | 'ceiling (SQL only)';
  readonly clients: number;
  readonly requests: number;
  readonly perSecond: number;
  readonly latency: Stats;
  readonly errors: number;
}

/** N autocannon instances of one connection each, every one on its own session; all latencies kept. */
async function httpRun(
  url: string,
  sessions: { sessionId: string; headers: Record<string, string> }[],
  seconds: number,
) {
  const latencies: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    sessions.map((c, i) => {
      return new Promise<void>((resolve, reject) => {
        const instance = autocannon(
          {
            url,
            connections: 1,
            duration: seconds,
            requests: [
              {
                method: 'POST',
                path: `/chat/sessions/${c.sessionId}/messages`,
                headers: c.headers,
                body: appendBody(i),
              },
            ],
          },
          (err, result) => {
            if (err) return reject(err);
            errors += result.errors;
            resolve();
          },
        );
        instance.on('response', (_client, status, _bytes, ms) => {
          if (status === 201) latencies.push(ms);
          else errors++;
        });
      });
    }),
  );
  return { latencies, errors, elapsed: (performance.now() - t0) / 1000 };
}

/** The append parameters exactly as messages.append builds them for appendBody's message. */
const params = (session: string, user: string, i: number) => {
  const body = JSON.parse(appendBody(i)) as {
    role: string;
    content: string;
    citations: { document_id: string; chunk_id: string; score: number }[];
  };
  const citations = body.citations.map((c, k) => ({
    citation_index: k + 1,
    ...c,
    excerpt: null,
    metadata: {},
  }));
  return [
    session,
    user,
    uuidv7(),
    body.role,
    body.content,
    null,
    '{}',
    null,
    null,
    JSON.stringify(citations),
    // No usage recorded (model, input and output tokens, latency).
    null,
    null,
    null,
    null,
  ];
};

/** N loops sending APPEND_SQL back to back, each on its own session, for `seconds`. */
async function ceilingRun(q: Queryable, sessions: { session: string; user: string }[], seconds: number) {
  const latencies: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    sessions.map(async (s) => {
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        try {
          const r = await q.query(APPEND_SQL, params(s.session, s.user, i));
          if (r.rows.length === 1) latencies.push(performance.now() - t);
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return { latencies, errors, elapsed: (performance.now() - t0) / 1000 };
}

const toRun = (
  path: Run['path'],
  clients: number,
  r: { latencies: number[]; errors: number; elapsed: number },
): Run => ({
  path,
  clients,
  requests: r.latencies.length,
  perSecond: r.latencies.length / r.elapsed,
  latency: stats(r.latencies),
  errors: r.errors,
});

/** Sessions for the ceiling, made with plain SQL (one user per session, as the HTTP clients). */
async function ceilingSessions(ctx: BenchContext, n: number, tag: string) {
  const out: { session: string; user: string }[] = [];
  for (let i = 0; i < n; i++) {
    const u = await ctx.db.query<{ id: string }>(
      'INSERT INTO users (email, hashed_password) VALUES ($1, $2) RETURNING id',
      [`${tag}-${i}@example.com`, 'x'],
    );
    const user = u.rows[0]?.id as string;
    const s = await ctx.db.query<{ id: string }>(
      'INSERT INTO chat_sessions (user_id) VALUES ($1) RETURNING id',
      [user],
    );
    out.push({ session: s.rows[0]?.id as string, user });
  }
  return out;
}

const bench: Bench = {
  name: 'http-append',
  description: `appends with 2 citations over HTTP vs the same SQL straight to the database (${SECONDS} s per run)`,
  async run(ctx) {
    const cwd = tempDir('chatdb-bench-http-');
    const env =
      ctx.url === undefined
        ? { DATABASE_URL: 'memory://', CHATDB_MIGRATIONS_DIR: PACKAGE_MIGRATIONS_DIR }
        : { DATABASE_URL: ctx.url, CHATDB_MIGRATIONS_DIR: PACKAGE_MIGRATIONS_DIR };
    ctx.progress('starting chatdb serve');
    // Every client logs in from this one address: lift the per-address login limit for the run.
    const server = await startServer({
      cwd,
      env: { ...env, CHATDB_LOGIN_LIMIT_PER_ADDRESS: '1000', CHATDB_REGISTER_LIMIT_PER_ADDRESS: '1000' },
    });
    const pool =
      ctx.url === undefined
        ? undefined
        : new pg.Pool({ connectionString: ctx.url, max: Math.max(...CLIENTS) });
    const direct: Queryable = pool
      ? {
          query: async (sql, p) => {
            const r = await pool.query(sql, p as unknown[]);
            return { rows: r.rows, rowCount: r.rowCount ?? 0 };
          },
          exec: async (sql) => {
            await pool.query(sql);
          },
        }
      : ctx.db;
    const runs: Run[] = [];
    try {
      for (const n of CLIENTS) {
        ctx.progress(`${n} client(s): registering`);
        const clients = await makeClients(server.url, n, 1, `bench${n}`);
        ctx.progress(`${n} client(s): warming up`);
        await httpRun(server.url, clients, WARMUP_SECONDS);
        ctx.progress(`${n} client(s): HTTP for ${SECONDS} s`);
        runs.push(toRun('HTTP (chatdb serve)', n, await httpRun(server.url, clients, SECONDS)));
        const own = await ceilingSessions(ctx, n, `ceiling${n}`);
        await ceilingRun(direct, own, WARMUP_SECONDS);
        ctx.progress(`${n} client(s): SQL only for ${SECONDS} s`);
        runs.push(toRun('ceiling (SQL only)', n, await ceilingRun(direct, own, SECONDS)));
      }
    } finally {
      await server.stop();
      await pool?.end();
    }
    process.stdout.write('\n');
    printTable(
      runs.map((r) => ({
        path: r.path,
        clients: r.clients,
        'appends/s': Math.round(r.perSecond),
        'p50 ms': r.latency.p50,
        'p99 ms': r.latency.p99,
        errors: r.errors,
      })),
    );
    const ratios = CLIENTS.map((n) => {
      const http = runs.find((r) => r.clients === n && r.path.startsWith('HTTP'));
      const sql = runs.find((r) => r.clients === n && r.path.startsWith('ceiling'));
      return { clients: n, httpOverCeiling: http && sql ? http.perSecond / sql.perSecond : Number.NaN };
    });
    for (const r of ratios)
      process.stdout.write(
        `${r.clients} client(s): HTTP throughput = ${(100 * r.httpOverCeiling).toFixed(0)}% of the SQL-only ceiling\n`,
      );
    return { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, runs, ratios };
  },
};

export default bench;
