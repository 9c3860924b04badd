/**
 * The read path at scale: one user with 1,000 sessions and 100,000 messages (every assistant answer
 * with 2 citations), beside 50 other users with 20 sessions of 20 messages each. Times listing
 * sessions (first page and a page deep in the cursor chain), a page of messages, the last 50, the
 * whole conversation of a 100-message session with citations, and a full-text search; and checks
 * that each plan uses the index meant to serve it (the run fails if one does not).
 */

import { pathSql } from '../src/store/branches.js';
import { CONVERSATION_SQL } from '../src/store/citations.js';
import { SEARCH_SQL } from '../src/store/messages.js';
import { SESSIONS_AFTER_SQL, SESSIONS_FIRST_SQL } from '../src/store/sessions.js';
import { LINK_SQL } from './history.bench.js';
import type { Bench, BenchContext, Stats } from './lib.js';
import { printTable, stats, timeMany } from './lib.js';

const SESSIONS = 1_000;
const PER_SESSION = 100;
const SAMPLES = 200;

const TOPICS = ['calibration', 'gazebo', 'navigation', 'lidar', 'moveit', 'urdf', 'slam', 'teleop'];

/** Sessions for a user, `n` messages each, assistant messages with 2 citations; one statement. */
const FILL_SQL = `
WITH s AS (
  INSERT INTO chat_sessions (user_id, title, message_count, created_at, updated_at, last_message_at)
  SELECT $1::uuid, 'session ' || g, $3, now() - make_interval(mins => $2 - g), now() - make_interval(mins => $2 - g),
         now() - make_interval(mins => $2 - g)
  FROM generate_series(1, $2::integer) g
  RETURNING id, created_at
), m AS (
  INSERT INTO messages (id, session_id, seq, role, content, created_at, user_id, client_id, parts)
  SELECT x.id, x.session_id, k, CASE WHEN k % 2 = 1 THEN 'user' ELSE 'assistant' END,
         'message ' || k || ' about ' || ($4::text[])[1 + (k % 8)] || ' and ' || ($4::text[])[1 + ((k * 7) % 8)]
           || ': place the arm at rest, then run the routine twice',
         x.created_at + make_interval(secs => k), $1::uuid, x.id::text, '[]'
  -- A new id per row of the join: a subquery of generate_series alone, LATERAL or not, may be
  -- planned once and its rows (and ids) repeated for every session.
  FROM (SELECT gen_random_uuid() AS id, s.id AS session_id, s.created_at, k
        FROM s CROSS JOIN generate_series(1, $3::integer) k) x
  RETURNING id, seq
)
INSERT INTO message_citations (message_id, citation_index, document_id, chunk_id, score, user_id)
SELECT m.id, i, 'doc-' || ((m.seq * i) % 97), 'chunk-' || i, 0.5, $1::uuid FROM m, generate_series(1, 2) i
WHERE m.seq % 2 = 0`;

interface Probe {
  readonly name: string;
  /** Indexes the plan must use; `noSort`: and no Sort node above them. */
  readonly indexes: readonly string[];
  readonly noSort?: boolean;
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly run: () => Promise<unknown>;
}

async function plan(ctx: BenchContext, sql: string, params: readonly unknown[]): Promise<string[]> {
  const r = await ctx.db.query<Record<string, string>>(`EXPLAIN (COSTS OFF) ${sql}`, params);
  return r.rows.map((row) => Object.values(row)[0] as string);
}

const bench: Bench = {
  name: 'read-path',
  description: `reads for a user with ${SESSIONS.toLocaleString('en-US')} sessions and ${(SESSIONS * PER_SESSION).toLocaleString('en-US')} messages`,
  async run(ctx) {
    const newUser = async (email: string) =>
      (
        await ctx.db.query<{ id: string }>(
          `INSERT INTO users (email, hashed_password) VALUES ($1, 'x') RETURNING id`,
          [email],
        )
      ).rows[0]?.id as string;
    ctx.progress('filling: 50 other users');
    for (let i = 0; i < 50; i++)
      await ctx.db.query(FILL_SQL, [await newUser(`other${i}@example.com`), 20, 20, TOPICS]);
    const user = await newUser('reader@example.com');
    for (let done = 0; done < SESSIONS; done += 100) {
      ctx.progress(
        `filling: sessions ${done + 1}-${done + 100} of ${SESSIONS} (${PER_SESSION} messages each)`,
      );
      await ctx.db.query(FILL_SQL, [user, 100, PER_SESSION, TOPICS]);
    }
    ctx.progress('linking each session into one path');
    await ctx.db.query(LINK_SQL, [
      (await ctx.db.query<{ id: string }>('SELECT id FROM chat_sessions')).rows.map((r) => r.id),
    ]);
    ctx.progress('ANALYZE');
    await ctx.db.exec('ANALYZE users; ANALYZE chat_sessions; ANALYZE messages; ANALYZE message_citations');

    // The cursor after page 1, one 900 sessions deep, and a session from the middle.
    const second = (await ctx.chat.sessions.list(user, { limit: 20 })).nextCursor;
    let cursor: string | null = null;
    for (let i = 0; i < 9; i++)
      cursor = (await ctx.chat.sessions.list(user, { limit: 100, cursor })).nextCursor;
    const middle = (await ctx.chat.sessions.list(user, { limit: 20, cursor })).data[0];
    if (!second || !cursor || !middle) throw new Error('the fill did not make enough sessions');
    const keys = (c: string) => Buffer.from(c, 'base64url').toString().split('|');

    const probes: Probe[] = [
      {
        name: 'list sessions, first page (20)',
        indexes: ['chat_sessions_user_list_idx'],
        noSort: true,
        sql: SESSIONS_FIRST_SQL,
        params: [user, 21, false],
        run: () => ctx.chat.sessions.list(user, { limit: 20 }),
      },
      {
        name: 'list sessions, page 2 (cursor)',
        indexes: ['chat_sessions_user_list_idx'],
        noSort: true,
        sql: SESSIONS_AFTER_SQL,
        params: [user, 21, false, ...keys(second).slice(0, 2), false],
        run: () => ctx.chat.sessions.list(user, { limit: 20, cursor: second }),
      },
      {
        // 100 sessions are left after this cursor: the planner may fetch them by the index and sort them.
        name: 'list sessions, page 46 (cursor)',
        indexes: ['chat_sessions_user_list_idx'],
        sql: SESSIONS_AFTER_SQL,
        params: [user, 21, false, ...keys(cursor).slice(0, 2), false],
        run: () => ctx.chat.sessions.list(user, { limit: 20, cursor }),
      },
      {
        // Sorts here are bounded: at most `limit` rows, or the citations of one message.
        name: 'messages page (50, after_seq)',
        indexes: ['messages_pkey', 'message_citations_pkey'],
        sql: pathSql(false),
        params: [middle.id, user, 20, 51, 2 ** 31],
        run: () => ctx.chat.messages.list(user, middle.id, { limit: 50, afterSeq: 20 }),
      },
      {
        name: 'last 50 messages with citations',
        indexes: ['messages_pkey', 'message_citations_pkey'],
        sql: pathSql(true),
        params: [middle.id, user, 0, 51, 2 ** 31],
        run: () => ctx.chat.messages.last(user, middle.id, 50),
      },
      {
        name: 'conversation (100 messages + citations)',
        indexes: ['messages_pkey', 'message_citations_pkey'],
        sql: CONVERSATION_SQL,
        params: [middle.id, user],
        run: () => ctx.chat.sessions.conversation(user, middle.id),
      },
      {
        name: 'full-text search (20 best)',
        indexes: ['messages_user_content_fts_idx'],
        sql: SEARCH_SQL,
        params: [user, 'lidar teleop', 20],
        run: () => ctx.chat.messages.search(user, 'lidar teleop', { limit: 20 }),
      },
    ];

    const rows: { name: string; latency: Stats; plan: string[]; indexes: readonly string[] }[] = [];
    for (const p of probes) {
      const lines = await plan(ctx, p.sql, p.params);
      const text = lines.join('\n');
      const missing = p.indexes.filter((ix) => !text.includes(ix));
      if (missing.length > 0)
        throw new Error(`${p.name}: the plan does not use ${missing.join(', ')}:\n${text}`);
      if (p.noSort && /\bSort\b/.test(text)) throw new Error(`${p.name}: the plan sorts:\n${text}`);
      ctx.progress(`${p.name}: ${SAMPLES} runs`);
      for (let i = 0; i < 10; i++) await p.run();
      rows.push({
        name: p.name,
        latency: stats(await timeMany(SAMPLES, () => p.run())),
        plan: lines,
        indexes: p.indexes,
      });
    }
    process.stdout.write('\n');
    printTable(
      rows.map((r) => ({
        read: r.name,
        'p50 ms': r.latency.p50,
        'p99 ms': r.latency.p99,
        'served by': r.indexes.join(' + '),
      })),
    );
    for (const r of rows) process.stdout.write(`\n${r.name}:\n  ${r.plan.join('\n  ')}\n`);
    return { sessions: SESSIONS, messagesPerSession: PER_SESSION, samples: SAMPLES, rows };
  },
};

export default bench;
