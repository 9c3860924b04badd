/**
 * Why messages are rows: the same chat kept as one JSONB array per session (appended with `||`, the
 * design chatdb did not take) and as chatdb's rows (APPEND_SQL: a message row, its citations, the
 * session's counters). Both start from a 500-message history and take 2,000 appends of the same
 * messages (two citations each); then both read the last 50 messages. Reports append time at the
 * start and the end of the run, the total, the disk the tables take and the WAL written.
 */
import { uuidv7 } from 'uuidv7';
import { APPEND_SQL } from '../src/store/append.js';
import type { Bench, BenchContext, Stats } from './lib.js';
import { printTable, stats, timeMany } from './lib.js';

const HISTORY = 500;
const APPENDS = 2_000;
const READS = 200;

const JSONB_TABLE = `
CREATE TABLE bench_jsonb_sessions (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  history jsonb NOT NULL DEFAULT '[]',
  message_count integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
)`;

/** The i-th message, in the shape each design stores (content, two citations). */
const message = (i: number) => ({
  role: i % 2 === 0 ? 'user' : 'assistant',
  content: `message ${i}: place the arm at rest, then run the calibration routine twice before use.`,
  citations: [
    {
      citation_index: 1,
      document_id: 'manual-arm',
      chunk_id: `chunk-${i % 17}`,
      score: 0.91,
      excerpt: null,
      metadata: {},
    },
    {
      citation_index: 2,
      document_id: 'faq',
      chunk_id: 'calibration',
      score: 0.74,
      excerpt: null,
      metadata: {},
    },
  ],
});

const JSONB_APPEND = `UPDATE bench_jsonb_sessions
  SET history = history || jsonb_build_array($2::jsonb || jsonb_build_object('seq', message_count + 1, 'created_at', now())),
      message_count = message_count + 1, updated_at = now()
  WHERE id = $1`;
const JSONB_LAST_50 = `SELECT jsonb_path_query_array(history, '$[last - 49 to last]') AS last
  FROM bench_jsonb_sessions WHERE id = $1`;

interface Design {
  readonly design: string;
  readonly firstAppends: Stats;
  readonly lastAppends: Stats;
  readonly totalSeconds: number;
  readonly bytes: number;
  readonly walBytes: number | null;
  readonly last50: Stats;
}

const walLsn = async (ctx: BenchContext): Promise<string | null> => {
  try {
    return (await ctx.db.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]?.l ?? null;
  } catch {
    return null;
  }
};
const walSince = async (ctx: BenchContext, from: string | null): Promise<number | null> => {
  if (from === null) return null;
  const r = await ctx.db.query<{ b: string }>(
    'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS b',
    [from],
  );
  return Number(r.rows[0]?.b);
};
const sizeOf = async (ctx: BenchContext, tables: string[]) =>
  Number(
    (
      await ctx.db.query<{ b: string }>(
        `SELECT sum(pg_total_relation_size(t::regclass))::text AS b FROM unnest($1::text[]) t`,
        [tables],
      )
    ).rows[0]?.b,
  );

/** Times APPENDS appends; returns the per-append times and the elapsed seconds. */
async function appendRun(ctx: BenchContext, label: string, append: (i: number) => Promise<unknown>) {
  const t0 = process.hrtime.bigint();
  const times = await timeMany(
    APPENDS,
    (i) => append(HISTORY + i),
    async (i) => {
      if (i % 200 === 199) ctx.progress(`${label}: ${i + 1} of ${APPENDS} appends`);
    },
  );
  return { times, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

const bench: Bench = {
  name: 'jsonb-vs-rows',
  description: `one JSONB array per session vs rows: ${APPENDS.toLocaleString('en-US')} appends to a ${HISTORY}-message history`,
  async run(ctx) {
    const user = (
      await ctx.db.query<{ id: string }>(
        `INSERT INTO users (email, hashed_password) VALUES ('jsonb@example.com', 'x') RETURNING id`,
      )
    ).rows[0]?.id as string;
    await ctx.db.exec(JSONB_TABLE);
    const jsonbId = uuidv7();
    const history = Array.from({ length: HISTORY }, (_, i) => ({ ...message(i), seq: i + 1 }));
    await ctx.db.query(
      'INSERT INTO bench_jsonb_sessions (id, user_id, history, message_count) VALUES ($1, $2, $3, $4)',
      [jsonbId, user, JSON.stringify(history), HISTORY],
    );
    const session = (await ctx.chat.sessions.create(user)).id;
    ctx.progress(`rows: ${HISTORY} messages of history`);
    for (let i = 0; i < HISTORY; i++) await appendRow(ctx, session, user, i);
    await ctx.db.exec('CHECKPOINT').catch(() => undefined);
    for (const t of ['bench_jsonb_sessions', 'chat_sessions', 'messages', 'message_citations'])
      await ctx.db.exec(`VACUUM ANALYZE ${t}`); // one statement each: VACUUM refuses a multi-statement string

    const results: Design[] = [];
    const measure = async (
      design: string,
      tables: string[],
      append: (i: number) => Promise<unknown>,
      readLast: () => Promise<unknown>,
    ) => {
      const before = await sizeOf(ctx, tables);
      const lsn = await walLsn(ctx);
      const { times, seconds } = await appendRun(ctx, design, append);
      const walBytes = await walSince(ctx, lsn);
      const bytes = (await sizeOf(ctx, tables)) - before;
      ctx.progress(`${design}: ${READS} reads of the last 50`);
      const last50 = stats(await timeMany(READS, () => readLast()));
      results.push({
        design,
        firstAppends: stats(times.slice(0, 100)),
        lastAppends: stats(times.slice(-100)),
        totalSeconds: seconds,
        bytes,
        walBytes,
        last50,
      });
    };
    await measure(
      'JSONB array (history || msg)',
      ['bench_jsonb_sessions'],
      (i) => ctx.db.query(JSONB_APPEND, [jsonbId, JSON.stringify(message(i))]),
      () => ctx.db.query(JSONB_LAST_50, [jsonbId]),
    );
    await measure(
      'rows (chatdb)',
      ['chat_sessions', 'messages', 'message_citations'],
      (i) => appendRow(ctx, session, user, i),
      () => ctx.chat.messages.last(user, session, 50),
    );

    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
    process.stdout.write('\n');
    printTable(
      results.map((r) => ({
        design: r.design,
        'first 100 p50 ms': r.firstAppends.p50,
        'last 100 p50 ms': r.lastAppends.p50,
        [`${APPENDS} appends s`]: r.totalSeconds,
        'disk growth': mb(r.bytes),
        WAL: r.walBytes === null ? 'n/a' : mb(r.walBytes),
        'last-50 read p50 ms': r.last50.p50,
      })),
    );
    const [j, rows] = results as [Design, Design];
    const ratio = {
      totalTime: j.totalSeconds / rows.totalSeconds,
      diskGrowth: j.bytes / Math.max(1, rows.bytes),
      wal: j.walBytes !== null && rows.walBytes ? j.walBytes / rows.walBytes : null,
      appendGrowthJsonb: j.lastAppends.p50 / j.firstAppends.p50,
      appendGrowthRows: rows.lastAppends.p50 / rows.firstAppends.p50,
    };
    process.stdout.write(
      `JSONB / rows: ${ratio.totalTime.toFixed(1)}x the time, ${ratio.diskGrowth.toFixed(1)}x the disk growth` +
        (ratio.wal === null ? '' : `, ${ratio.wal.toFixed(1)}x the WAL`) +
        `; an append at the end of the run costs ${ratio.appendGrowthJsonb.toFixed(2)}x one at its start (JSONB) ` +
        `vs ${ratio.appendGrowthRows.toFixed(2)}x (rows)\n`,
    );
    return { history: HISTORY, appends: APPENDS, results, ratio };
  },
};

/** chatdb's append statement with the i-th message's parameters. */
function appendRow(ctx: BenchContext, session: string, user: string, i: number) {
  const m = message(i);
  return ctx.db.query(APPEND_SQL, [
    session,
    user,
    uuidv7(),
    m.role,
    m.content,
    null,
    '{}',
    null,
    null,
    JSON.stringify(m.citations),
    // No usage recorded (model, input and output tokens, latency), no lock timeout.
    null,
    null,
    null,
    null,
    0,
  ]);
}

export default bench;
