/**
 * Does append cost grow with history? Times `messages.append` of message number 10, 1,000 and
 * 10,000 of one session, and `messages.last(50)` (with citations) at those lengths.
 * The history is filled with one bulk INSERT … SELECT generate_series (every assistant message
 * with 3 citations); each timed append is undone (untimed) so every sample is exactly message L.
 */
import type { Bench, BenchContext, Stats } from './lib.js';
import { printTable, stats, timeMany } from './lib.js';

const LENGTHS = [10, 1_000, 10_000];
const SAMPLES = 500;
const WARMUP = 30;

const FILL_SQL = `
WITH m AS (
  INSERT INTO messages (id, session_id, seq, role, content, metadata, created_at, user_id, client_id, parts)
  SELECT x.id, $1::uuid, g, CASE WHEN g % 2 = 1 THEN 'user' ELSE 'assistant' END,
         'message ' || g || ': ' || repeat('the robot arm needs calibration before use ', 8),
         '{"model": "bench"}', now() - make_interval(secs => $2 - g),
         (SELECT user_id FROM chat_sessions WHERE id = $1::uuid), x.id::text, '[]'
  FROM (SELECT gen_random_uuid() AS id, g FROM generate_series(1, $2::integer) g) x
  RETURNING id, seq, role, user_id
), c AS (
  INSERT INTO message_citations (message_id, citation_index, document_id, chunk_id, score, user_id)
  SELECT m.id, i, 'doc-' || (m.seq % 97), 'chunk-' || i, 0.5, m.user_id FROM m, generate_series(1, 3) i
  WHERE m.role = 'assistant'
)
UPDATE chat_sessions SET message_count = $2, last_message_at = now() WHERE id = $1::uuid`;

/** Links the filled messages into one path (each one's parent the one before), the last the leaf. */
export const LINK_SQL = `
WITH p AS (
  SELECT id, lag(id) OVER (PARTITION BY session_id ORDER BY seq) AS prev, session_id,
         row_number() OVER (PARTITION BY session_id ORDER BY seq DESC) AS back
  FROM messages WHERE session_id = ANY($1::uuid[])
), u AS (
  UPDATE messages m SET parent_id = p.prev FROM p WHERE m.id = p.id AND p.prev IS NOT NULL
)
UPDATE chat_sessions s SET leaf_message_id = p.id FROM p WHERE p.session_id = s.id AND p.back = 1`;

const message = (i: number) =>
  i % 2 === 0
    ? {
        role: 'user' as const,
        content: `question ${i}: how do I calibrate the arm?`,
        selectedText: 'calibrate',
      }
    : {
        role: 'assistant' as const,
        content: `answer ${i}: place the arm at rest, then run the calibration routine twice.`,
        citations: [1, 2, 3].map((k) => ({ documentId: `doc-${k}`, chunkId: `c${k}`, score: 0.8 })),
      };

/** Appends `n` messages, each undone afterwards, so every sample appends message `length`. */
async function appendAt(ctx: BenchContext, user: string, session: string, n: number) {
  return timeMany(
    n,
    (i) => ctx.chat.messages.append(user, session, message(i)),
    async () => {
      await ctx.db.query(
        `WITH d AS (DELETE FROM messages WHERE session_id = $1::uuid
                    AND seq = (SELECT message_count FROM chat_sessions WHERE id = $1::uuid) RETURNING parent_id)
         UPDATE chat_sessions SET message_count = message_count - 1, leaf_message_id = (SELECT parent_id FROM d)
         WHERE id = $1::uuid`,
        [session],
      );
    },
  );
}

const bench: Bench = {
  name: 'history',
  description: 'append and read-last-50 latency at message 10, 1,000 and 10,000 of a session',
  async run(ctx) {
    const user = (
      await ctx.chat.db.query<{ id: string }>(
        `INSERT INTO users (email, hashed_password) VALUES ('bench@example.com', 'x') RETURNING id`,
      )
    ).rows[0]?.id as string;
    ctx.progress('warming up');
    const warm = await ctx.chat.sessions.create(user);
    for (let i = 0; i < WARMUP; i++) {
      await ctx.chat.messages.append(user, warm.id, message(i));
      await ctx.chat.messages.last(user, warm.id, 50);
    }
    const rows: { length: number; append: Stats; read: Stats; returned: number }[] = [];
    for (const length of LENGTHS) {
      const session = (await ctx.chat.sessions.create(user, { title: `history ${length}` })).id;
      ctx.progress(`length ${length}: filling ${length - 1} messages`);
      await ctx.db.query(FILL_SQL, [session, length - 1]);
      await ctx.db.query(LINK_SQL, [[session]]);
      await ctx.db.exec('ANALYZE messages; ANALYZE message_citations; ANALYZE chat_sessions');
      ctx.progress(`length ${length}: ${SAMPLES} appends of message ${length}`);
      const append = stats(await appendAt(ctx, user, session, SAMPLES));
      await ctx.chat.messages.append(user, session, message(1));
      ctx.progress(`length ${length}: ${SAMPLES} reads of the last 50`);
      let returned = 0;
      const read = stats(
        await timeMany(SAMPLES, async () => {
          returned = (await ctx.chat.messages.last(user, session, 50)).length;
        }),
      );
      const count = (await ctx.chat.sessions.get(user, session)).messageCount;
      if (count !== length) throw new Error(`session has ${count} messages, expected ${length}`);
      rows.push({ length, append, read, returned });
    }
    process.stdout.write('\n');
    printTable(
      rows.map((r) => ({
        'at message': r.length,
        'append p50 ms': r.append.p50,
        'append p99 ms': r.append.p99,
        'last-50 p50 ms': r.read.p50,
        'last-50 p99 ms': r.read.p99,
        'rows read': r.returned,
      })),
    );
    const at = (length: number) => rows.find((r) => r.length === length);
    const ratio = (a: number, b: number, pick: (r: (typeof rows)[number]) => number) => {
      const x = at(a);
      const y = at(b);
      return x && y ? pick(x) / pick(y) : Number.NaN;
    };
    const appendRatio = ratio(10_000, 10, (r) => r.append.p50);
    // At message 10 only 10 rows exist to read; 10,000 vs 1,000 compares 50-row reads.
    const readRatio = ratio(10_000, 1_000, (r) => r.read.p50);
    process.stdout.write(
      `p50 ratios: append at 10,000 / at 10 = ${appendRatio.toFixed(2)}x; ` +
        `last-50 read at 10,000 / at 1,000 = ${readRatio.toFixed(2)}x\n`,
    );
    return {
      samples: SAMPLES,
      warmup: WARMUP,
      rows,
      ratio: { append10000over10: appendRatio, read10000over1000: readRatio },
    };
  },
};

export default bench;
