/**
 * The AI SDK save path against its own bare equivalent, in one run. N loops (BENCH_CLIENTS, default
 * 16), each on sessions of its own, save turn 3 of a conversation: `saveUIMessages` of the whole
 * history the AI SDK hands over (the 4 messages of turns 1 and 2, stored already and unchanged, then
 * a new user message and a new 6-part reply: step-start, reasoning, a tool call with its input and
 * output, two sources, text). The bare equivalent writes the same new rows in one statement: bump
 * the session's counter, insert the two messages with their parts and the reply's two citations
 * (the sources), and nothing else (no lock, no look-up of the history, no parents, no leaf, no
 * read-back). Every save goes to a session no other save touches (pre-built with turns 1 and 2).
 * The two take turns: BENCH_SECONDS (default 10) each in BENCH_ROUNDS (default 5) slices, the order
 * rotating each round (lib.ts, `interleave`).
 */
import { uuidv7 } from 'uuidv7';
import { type Database, openDatabase } from '../src/db/index.js';
import { saveUIMessages } from '../src/integrations/ai-sdk.js';
import { createChatDb } from '../src/store/chatdb.js';
import type { MessagePart } from '../src/store/types.js';
import { type Checked, checkUpsert, SAVE_SQL, saveParams } from '../src/store/upsert.js';
import {
  analyzeAfterWarmUp,
  type Bench,
  type BenchContext,
  interleave,
  printTable,
  ROUNDS,
  type Slice,
  spread,
  stats,
  timedLoops,
} from './lib.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;
/** Sessions per loop and path: more than a loop saves in WARMUP_SECONDS + SECONDS here. */
const SESSIONS = 3500;

const text = (t: string): MessagePart[] => [{ type: 'text', text: t }];
const reply = (n: number): MessagePart[] => [
  { type: 'step-start' },
  { type: 'reasoning', text: 'Look the question up in the robotics docs.', state: 'done' },
  {
    type: 'tool-search',
    toolCallId: `call_${n}`,
    state: 'output-available',
    input: { query: 'arm calibration', k: 5 },
    output: { hits: [1, 2, 3].map((k) => ({ id: `chunk-${k}`, score: 0.9 - k / 10 })) },
  },
  { type: 'source-url', sourceId: 'src-1', url: 'https://docs.example.com/arm/1', title: 'Arm 1' },
  { type: 'source-url', sourceId: 'src-2', url: 'https://docs.example.com/arm/2', title: 'Arm 2' },
  { type: 'text', text: 'Place the arm at rest, then run the calibration routine.', state: 'done' },
];
/** The parts of turns 1 and 2 as stored (and as the client sends them back). */
const HISTORY: MessagePart[][] = [text('q1'), text('a1'), text('q2'), text('a2')];

/**
 * The bare save: $1 session, $2 user id, $3 reply id, $4 user part list, $5 reply parts,
 * $6 user message text, $7 reply text, $8 citations, $9 user message id.
 */
const BARE_SAVE_SQL = `
WITH s AS (
  UPDATE chat_sessions SET message_count = message_count + 2 WHERE id = $1::uuid AND user_id = $2
  RETURNING id, user_id, message_count
), ins AS (
  INSERT INTO messages (id, session_id, seq, role, content, user_id, client_id, parts)
  SELECT $9::uuid, s.id, s.message_count - 1, 'user', $6::text, s.user_id, $9::uuid::text, $4::jsonb FROM s
  UNION ALL
  SELECT $3::uuid, s.id, s.message_count, 'assistant', $7::text, s.user_id, $3::uuid::text, $5::jsonb FROM s
  RETURNING id, user_id, role
)
INSERT INTO message_citations (message_id, user_id, citation_index, document_id, score)
SELECT ins.id, ins.user_id, x.citation_index, x.document_id, x.score
FROM ins CROSS JOIN jsonb_to_recordset($8::jsonb) AS x(citation_index integer, document_id text, score double precision)
WHERE ins.role = 'assistant'`;

/** One user per loop and path, each with SESSIONS sessions holding turns 1 and 2 (4 messages). */
async function prebuilt(db: Database, tag: string): Promise<{ user: string; sessions: string[] }[]> {
  await db.exec(`
    INSERT INTO users (email, hashed_password)
      SELECT '${tag}-' || i || '@example.com', 'x' FROM generate_series(1, ${CLIENTS}) i;
    INSERT INTO chat_sessions (user_id, title, message_count)
      SELECT u.id, '${tag}', 4 FROM users u CROSS JOIN generate_series(1, ${SESSIONS}) k
      WHERE u.email LIKE '${tag}-%';
    INSERT INTO messages (session_id, seq, role, content, user_id, client_id, parts)
      SELECT s.id, k, CASE WHEN k % 2 = 1 THEN 'user' ELSE 'assistant' END, p.t, s.user_id, s.id || '-m' || k,
             jsonb_build_array(jsonb_build_object('type', 'text', 'text', p.t))
      FROM chat_sessions s CROSS JOIN generate_series(1, 4) k
      CROSS JOIN LATERAL (SELECT (ARRAY['q1', 'a1', 'q2', 'a2'])[k] AS t) p
      WHERE s.title = '${tag}';
    UPDATE messages m SET parent_id = p.prev
      FROM (SELECT m.id, lag(m.id) OVER (PARTITION BY m.session_id ORDER BY m.seq) AS prev
            FROM messages m JOIN chat_sessions s ON s.id = m.session_id WHERE s.title = '${tag}') p
      WHERE p.id = m.id AND p.prev IS NOT NULL;
    UPDATE chat_sessions s SET leaf_message_id = m.id FROM messages m
      WHERE s.title = '${tag}' AND m.session_id = s.id AND m.seq = 4;
    ANALYZE;`);
  const r = await db.query<{ user_id: string; id: string }>(
    `SELECT user_id::text AS user_id, id::text AS id FROM chat_sessions WHERE title = $1 ORDER BY user_id, id`,
    [tag],
  );
  const byUser = new Map<string, string[]>();
  for (const row of r.rows) byUser.set(row.user_id, [...(byUser.get(row.user_id) ?? []), row.id]);
  return [...byUser].map(([user, sessions]) => ({ user, sessions }));
}

interface Loop {
  readonly user: string;
  readonly sessions: string[];
  next: number;
}

/** Runs every loop for `seconds`, each save on the loop's next session. */
async function run(
  loops: Loop[],
  seconds: number,
  save: (l: Loop, session: string) => Promise<boolean>,
): Promise<Slice> {
  const slice = await timedLoops(loops, seconds, async (l) => {
    const session = l.sessions[l.next++];
    return session !== undefined && save(l, session);
  });
  if (loops.some((l) => l.next > l.sessions.length))
    throw new Error(`more than ${SESSIONS} saves in a loop: raise SESSIONS`);
  return slice;
}

const bench: Bench = {
  name: 'save-path',
  description: `AI SDK saves (turn 3: user message + 6-part reply) against the bare equivalent, ${CLIENTS} clients (${SECONDS} s per run)`,
  async run(ctx: BenchContext) {
    // On a server, a pool with a connection per loop (the default pool has 10).
    const db =
      ctx.url === undefined
        ? ctx.db
        : await openDatabase({ url: ctx.url, poolSize: CLIENTS, logger: () => undefined });
    const chat = ctx.url === undefined ? ctx.chat : createChatDb(db, { logger: () => undefined });
    try {
      ctx.progress('building sessions with turns 1 and 2');
      const sdk = (await prebuilt(db, 'sdk')).map((x) => ({ ...x, next: 0 }));
      const statement = (await prebuilt(db, 'statement')).map((x) => ({ ...x, next: 0 }));
      const bare = (await prebuilt(db, 'bare')).map((x) => ({ ...x, next: 0 }));
      let n = 0;
      const saveSdk = async (l: Loop, session: string) => {
        const k = n++;
        const messages = [
          ...HISTORY.map((parts, i) => ({
            id: `${session}-m${i + 1}`,
            role: (i % 2 === 0 ? 'user' : 'assistant') as 'user' | 'assistant',
            parts: parts as never,
          })),
          { id: `u-${uuidv7()}`, role: 'user' as const, parts: text('How do I calibrate the arm?') as never },
          { id: `a-${uuidv7()}`, role: 'assistant' as const, parts: reply(k) as never },
        ];
        const saved = await saveUIMessages(chat, { userId: l.user, sessionId: session, messages });
        return saved.length === 6 && saved[5]?.citations.length === 2;
      };
      const saveBare = async (l: Loop, session: string) => {
        const k = n++;
        const parts = reply(k);
        const r = await db.query(BARE_SAVE_SQL, [
          session,
          l.user,
          uuidv7(),
          JSON.stringify(text('How do I calibrate the arm?')),
          JSON.stringify(parts),
          'How do I calibrate the arm?',
          'Place the arm at rest, then run the calibration routine.',
          JSON.stringify([
            { citation_index: 1, document_id: 'https://docs.example.com/arm/1', score: null },
            { citation_index: 2, document_id: 'https://docs.example.com/arm/2', score: null },
          ]),
          uuidv7(),
        ]);
        return r.rowCount === 2;
      };
      // chatdb's statement: SAVE_SQL with the parameters the library sends for the same six messages,
      // checked once here (no checking, no AI SDK conversion, no result mapping in the loop).
      const checked = (id: string, role: 'user' | 'assistant', parts: MessagePart[], last: boolean) =>
        checkUpsert(last ? { id, role, parts, status: 'complete' } : { id, role, parts }, 'message', !last);
      const history = HISTORY.map((parts, i) =>
        checked('h', i % 2 === 0 ? 'user' : 'assistant', parts, false),
      );
      const question = checked('q', 'user', text('How do I calibrate the arm?'), false);
      const answer = checked('a', 'assistant', reply(0), true);
      const saveStatement = async (l: Loop, session: string) => {
        const list: Checked[] = [
          ...history.map((m, i) => ({ ...m, clientId: `${session}-m${i + 1}` })),
          { ...question, clientId: `u-${uuidv7()}` },
          { ...answer, clientId: `a-${uuidv7()}` },
        ];
        const params = saveParams(session, l.user, list, 'root', db.statementTimeoutMs ?? 0);
        const r = await db.query<{ created: boolean }>(SAVE_SQL, params);
        return r.rows.length === 6 && r.rows[5]?.created === true;
      };
      const paths = [
        { path: 'saveUIMessages (chatdb/ai-sdk)', run: (sec: number) => run(sdk, sec, saveSdk) },
        { path: "chatdb's statement", run: (sec: number) => run(statement, sec, saveStatement) },
        { path: 'bare equivalent (ceiling)', run: (sec: number) => run(bare, sec, saveBare) },
      ];
      ctx.progress('warming up');
      for (const p of paths) await p.run(WARMUP_SECONDS);
      await analyzeAfterWarmUp(ctx);
      const runs = await interleave(paths, SECONDS, ROUNDS, ctx.progress);
      process.stdout.write('\n');
      const rows = runs.map((r) => {
        const s = stats(r.latencies);
        return {
          path: r.path,
          clients: CLIENTS,
          'saves/s': Math.round(r.perSecond),
          'p50 ms': s.p50,
          'p99 ms': s.p99,
          errors: r.errors,
        };
      });
      printTable(rows);
      const [sdkRun, statementRun, bareRun] = runs;
      const ratio = (sdkRun?.perSecond ?? Number.NaN) / (bareRun?.perSecond ?? Number.NaN);
      const statementRatio = (statementRun?.perSecond ?? Number.NaN) / (bareRun?.perSecond ?? Number.NaN);
      const sdkStats = stats(sdkRun?.latencies ?? []);
      const p99OverP50 = sdkStats.p99 / sdkStats.p50;
      const errors = runs.reduce((a, r) => a + r.errors, 0);
      const byRound: [number, number] =
        sdkRun && bareRun ? spread(sdkRun, bareRun) : [Number.NaN, Number.NaN];
      const statementByRound: [number, number] =
        statementRun && bareRun ? spread(statementRun, bareRun) : [Number.NaN, Number.NaN];
      const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
      process.stdout.write(
        `${CLIENTS} client(s): saveUIMessages = ${pct(ratio)} (rounds ${pct(byRound[0])}-${pct(byRound[1])}) of the bare equivalent, chatdb's statement = ${pct(statementRatio)} (rounds ${pct(statementByRound[0])}-${pct(statementByRound[1])}) of it; saveUIMessages p99 = ${p99OverP50.toFixed(1)}x its p50; ${errors} errors\n`,
      );
      return {
        seconds: SECONDS,
        rounds: ROUNDS,
        ratioByRound: byRound,
        warmupSeconds: WARMUP_SECONDS,
        clients: CLIENTS,
        runs: rows,
        ratio,
        statementRatio,
        statementRatioByRound: statementByRound,
        p99OverP50,
        errors,
      };
    } finally {
      if (db !== ctx.db) await db.close();
    }
  },
};

export default bench;
