/**
 * HTTP append throughput and latency against the database's own speed, in one run. N clients
 * (autocannon, one connection each) append messages with two citations to sessions of their own
 * through a `chatdb serve` process (the built CLI, as `npm start` runs it; request logging on, as by
 * default). Beside it, with the same N connections through `pg` (PGlite in process on the embedded
 * database), each loop on its own session:
 * - chatdb's statement: APPEND_SQL, the one the library sends (no HTTP, no auth, no validation);
 * - the bare append, the ceiling: one statement on the same tables that bumps the session's counter,
 *   inserts the message row and its two citations, and nothing else (BARE_APPEND_SQL).
 * - on a server database, the HTTP floor: bench/http-floor-server.mjs, the same HTTP stack (Node's
 *   HTTP server, Fastify, `pg`) sending the same statement with nothing else (no validation, hooks,
 *   request log or row mapping): what chatdb serve adds is its distance from the floor.
 * The paths take turns: BENCH_SECONDS (default 10) per path in BENCH_ROUNDS (default 5) slices, the
 * order rotating each round (lib.ts, `interleave`); the ratio is over all slices, and the lowest and
 * highest per-round ratio show how much the machine moved. BENCH_CLIENTS (default "16") sets N.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { DEFAULT_STATEMENT_TIMEOUT_MS } from '../src/config.js';
import type { Queryable } from '../src/db/index.js';
import { PACKAGE_MIGRATIONS_DIR } from '../src/migrate/index.js';
import { APPEND_SQL } from '../src/store/append.js';
import { tempDir } from '../test/helpers/cli.js';
import { appendBody, makeClients } from '../test/helpers/load.js';
import { startServer } from '../test/helpers/server.js';
import {
  analyzeAfterWarmUp,
  type Bench,
  type BenchContext,
  BIN,
  buildDist,
  interleave,
  printTable,
  ROUNDS,
  SETTLE_MS,
  type Stats,
  spread,
  stats,
  timedLoops,
} from './lib.js';

const CLIENTS = (process.env.BENCH_CLIENTS ?? '16').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;

const PATHS = {
  http: 'HTTP (chatdb serve)',
  floor: 'HTTP floor (Fastify + pg only)',
  statement: "chatdb's statement",
  bare: 'bare append (ceiling)',
} as const;

/**
 * The least an append can be on chatdb's tables: bump the session's counter, insert the message and
 * its citations. What it leaves out is what chatdb adds: the owner check's lock order, idempotency,
 * the leaf and parent, last_message_at, the returned row.
 * $1 session, $2 user, $3 id, $4 role, $5 content, $6 citations.
 */
export const BARE_APPEND_SQL = `
WITH s AS (
  UPDATE chat_sessions SET message_count = message_count + 1 WHERE id = $1::uuid AND user_id = $2
  RETURNING id, user_id, message_count
), ins AS (
  INSERT INTO messages (id, session_id, seq, role, content, user_id, client_id, parts)
  SELECT $3::uuid, s.id, s.message_count, $4::text, $5::text, s.user_id, $3::uuid::text,
         jsonb_build_array(jsonb_build_object('type', 'text', 'text', $5::text))
  FROM s RETURNING id, user_id
)
INSERT INTO message_citations (message_id, user_id, citation_index, document_id, chunk_id, score)
SELECT ins.id, ins.user_id, x.citation_index, x.document_id, x.chunk_id, x.score
FROM ins CROSS JOIN jsonb_to_recordset($6::jsonb)
  AS x(citation_index integer, document_id text, chunk_id text, score double precision)`;

interface Run {
  readonly path: (typeof PATHS)[keyof typeof PATHS];
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
  const from = performance.now() + SETTLE_MS;
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
          if (status !== 201) errors++;
          else if (performance.now() >= from) latencies.push(ms);
        });
      });
    }),
  );
  return { latencies, errors, elapsed: (performance.now() - from) / 1000 };
}

/**
 * Starts bench/http-floor-server.mjs on a server database: the same HTTP stack and statement as
 * chatdb serve, nothing else (what chatdb serve adds is the difference).
 */
async function startFloor(url: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [new URL('./http-floor-server.mjs', import.meta.url).pathname], {
    env: { ...process.env, DATABASE_URL: url, LOCK_TIMEOUT_MS: String(DEFAULT_STATEMENT_TIMEOUT_MS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  for await (const chunk of child.stdout ?? []) {
    out += String(chunk);
    const m = /listening on (\S+)/.exec(out);
    if (m?.[1]) {
      child.stdout?.resume();
      return { url: m[1], child };
    }
  }
  throw new Error(`the floor server did not start: ${out}`);
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
    // The lock timeout the library passes on a server: the default statement timeout.
    DEFAULT_STATEMENT_TIMEOUT_MS,
  ];
};

/** The bare append's parameters for the same message. */
const bareParams = (session: string, user: string, i: number) => {
  const p = params(session, user, i);
  return [p[0], p[1], p[2], p[3], p[4], p[9]];
};

/** N loops sending one statement back to back, each on its own session, for `seconds`. */
const sqlRun = (
  q: Queryable,
  sessions: { session: string; user: string }[],
  seconds: number,
  bare: boolean,
) =>
  timedLoops(sessions, seconds, async (s, i) =>
    bare
      ? (await q.query(BARE_APPEND_SQL, bareParams(s.session, s.user, i))).rowCount === 2
      : (await q.query(APPEND_SQL, params(s.session, s.user, i))).rows.length === 1,
  );

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
  description: `appends with 2 citations: HTTP, chatdb's statement and the bare append (${SECONDS} s per run)`,
  async run(ctx) {
    const cwd = tempDir('chatdb-bench-http-');
    const env =
      ctx.url === undefined
        ? { DATABASE_URL: 'memory://', CHATDB_MIGRATIONS_DIR: PACKAGE_MIGRATIONS_DIR }
        : { DATABASE_URL: ctx.url, CHATDB_MIGRATIONS_DIR: PACKAGE_MIGRATIONS_DIR };
    // The server as `npm start` runs it: the built JavaScript, not the sources under tsx (which
    // served 4% fewer requests in a run with both side by side).
    buildDist(ctx.progress);
    ctx.progress('starting chatdb serve');
    // Every client logs in from this one address: lift the per-address login limit for the run.
    const server = await startServer({
      cwd,
      bin: BIN,
      env: { ...env, CHATDB_LOGIN_LIMIT_PER_ADDRESS: '1000', CHATDB_REGISTER_LIMIT_PER_ADDRESS: '1000' },
    });
    const pool =
      ctx.url === undefined
        ? undefined
        : new pg.Pool({ connectionString: ctx.url, max: Math.max(...CLIENTS) });
    // pool.end() resolves before its connections have closed; the DROP ... WITH (FORCE) after the
    // bench may end one still closing, and a pool without a listener would throw that at the process.
    pool?.on('error', () => undefined);
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
    const spreads: { clients: number; http: [number, number]; statement: [number, number] }[] = [];
    let floor: { url: string; child: ChildProcess } | undefined;
    try {
      // The floor needs a database it can reach from another process: a server, not PGlite.
      if (ctx.url !== undefined) floor = await startFloor(ctx.url);
      for (const n of CLIENTS) {
        ctx.progress(`${n} client(s): registering`);
        const clients = await makeClients(server.url, n, 1, `bench${n}`);
        const floorAt = floor?.url;
        const floorClients = floorAt ? await makeClients(server.url, n, 1, `floor${n}`) : [];
        const statement = await ceilingSessions(ctx, n, `statement${n}`);
        const bare = await ceilingSessions(ctx, n, `bare${n}`);
        const paths = [
          { path: PATHS.http, run: (s: number) => httpRun(server.url, clients, s) },
          ...(floorAt ? [{ path: PATHS.floor, run: (s: number) => httpRun(floorAt, floorClients, s) }] : []),
          { path: PATHS.statement, run: (s: number) => sqlRun(direct, statement, s, false) },
          { path: PATHS.bare, run: (s: number) => sqlRun(direct, bare, s, true) },
        ];
        ctx.progress(`${n} client(s): warming up`);
        for (const p of paths) await p.run(WARMUP_SECONDS);
        await analyzeAfterWarmUp(ctx);
        const done = await interleave(paths, SECONDS, ROUNDS, (m) => ctx.progress(`${n} client(s): ${m}`));
        for (const r of done) runs.push(toRun(r.path, n, r));
        const h = done.find((r) => r.path === PATHS.http);
        const st = done.find((r) => r.path === PATHS.statement);
        const b = done.find((r) => r.path === PATHS.bare);
        if (h && st && b) spreads.push({ clients: n, http: spread(h, b), statement: spread(st, b) });
      }
    } finally {
      await server.stop();
      if (floor) {
        floor.child.kill('SIGTERM');
        if (floor.child.exitCode === null) await once(floor.child, 'exit');
      }
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
      const of = (path: Run['path']) => runs.find((r) => r.clients === n && r.path === path);
      const http = of(PATHS.http);
      const statement = of(PATHS.statement);
      const bare = of(PATHS.bare);
      const floorRun = of(PATHS.floor);
      const over = (a?: Run, b?: Run) => (a && b ? a.perSecond / b.perSecond : Number.NaN);
      return {
        clients: n,
        httpOverBare: over(http, bare),
        floorOverBare: over(floorRun, bare),
        statementOverBare: over(statement, bare),
        httpOverStatement: over(http, statement),
        httpP99OverP50: http ? http.latency.p99 / http.latency.p50 : Number.NaN,
        httpOverBareByRound: spreads.find((x) => x.clients === n)?.http,
        statementOverBareByRound: spreads.find((x) => x.clients === n)?.statement,
        errors: runs.filter((r) => r.clients === n).reduce((a, r) => a + r.errors, 0),
      };
    });
    const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
    const range = (x?: [number, number]) => (x ? ` (rounds ${pct(x[0])}-${pct(x[1])})` : '');
    const floorPart = (x: number) => (Number.isNaN(x) ? '' : `, the HTTP floor = ${pct(x)} of it`);
    for (const r of ratios)
      process.stdout.write(
        `${r.clients} client(s): HTTP = ${pct(r.httpOverBare)}${range(r.httpOverBareByRound)} of the bare append, chatdb's statement = ${pct(r.statementOverBare)}${range(r.statementOverBareByRound)} of it${floorPart(r.floorOverBare)}; HTTP p99 = ${r.httpP99OverP50.toFixed(1)}x its p50; ${r.errors} errors\n`,
      );
    return { seconds: SECONDS, rounds: ROUNDS, warmupSeconds: WARMUP_SECONDS, runs, ratios };
  },
};

export default bench;
