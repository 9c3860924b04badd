import { beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/auth/token.js';
import { pathSql } from '../../src/store/branches.js';
import { CONVERSATION_SQL, citingSql, mostCitedSql } from '../../src/store/citations.js';
import { GUEST_PURGE_SQL } from '../../src/store/guests.js';
import { SEARCH_SQL } from '../../src/store/messages.js';
import {
  COUNT_IDLE_SQL,
  COUNT_TRASHED_SQL,
  PURGE_IDLE_SQL,
  PURGE_TRASHED_SQL,
} from '../../src/store/purge.js';
import { CHAT_QUERY_SQL } from '../../src/store/queries.js';
import { FEEDBACK_QUERY_SQL } from '../../src/store/queries-feedback.js';
import { USAGE_QUERY_SQL } from '../../src/store/queries-usage.js';
import {
  SESSIONS_AFTER_SQL,
  SESSIONS_FIRST_SQL,
  SESSIONS_SINCE_SQL,
  SESSIONS_TRASH_SQL,
} from '../../src/store/sessions.js';
import { LIST_SHARES_SQL, READ_SHARE_SQL } from '../../src/store/shares.js';
import { LOGIN_SQL } from '../../src/store/users.js';
import { useChatDb } from './helpers.js';

/**
 * Plans on a realistic volume, chosen by the planner on its own (no enable_* settings): 1,000
 * users with 3 sessions of 6 messages each (half the answers with 2 citations), and one heavy
 * user with 1,500 sessions, one of them 3,000 messages long. Then ANALYZE, as autovacuum would.
 * A few rows per user or session are cheapest to fetch by a bitmap scan and sort; the index order
 * matters where there are many, so the no-Sort assertions are made on the heavy user and session.
 */
const fx = useChatDb();
const ids = { user: '', session: '', email: '', heavy: '', long: '', branched: '' };

beforeAll(async () => {
  await fx.db.exec(`
    INSERT INTO users (email, hashed_password, created_at)
      SELECT 'u' || i || '@example.com', 'x', now() - i * interval '1 hour' FROM generate_series(1, 1000) i;
    INSERT INTO chat_sessions (user_id, title, message_count, created_at, updated_at, last_message_at)
      SELECT u.id, 's' || k, 6, now() - (u.n * 3 + k) * interval '1 minute',
             now() - (u.n * 3 + k) * interval '1 minute', now() - (u.n * 3 + k) * interval '1 minute'
      FROM (SELECT id, row_number() OVER (ORDER BY email) AS n FROM users) u CROSS JOIN generate_series(1, 3) k;
    INSERT INTO messages (session_id, seq, role, content, created_at, user_id, client_id, parts)
      SELECT s.id, k, CASE WHEN k % 2 = 1 THEN 'user' ELSE 'assistant' END,
             'message ' || k || ' about topic' || (abs(hashtext(s.id::text)) % 300), s.created_at + k * interval '1 second',
             s.user_id, gen_random_uuid()::text, '[]'
      FROM chat_sessions s CROSS JOIN generate_series(1, 6) k;
    INSERT INTO message_citations (message_id, citation_index, document_id, score, created_at, user_id)
      SELECT m.id, c, 'doc-' || (abs(hashtext(m.id::text || c)) % 1000), 0.5, m.created_at, m.user_id
      FROM messages m CROSS JOIN generate_series(1, 2) c WHERE m.role = 'assistant' AND m.seq % 4 = 2;
    INSERT INTO users (email, hashed_password) VALUES ('heavy@example.com', 'x');
    INSERT INTO chat_sessions (user_id, title, message_count, created_at, updated_at)
      SELECT (SELECT id FROM users WHERE email = 'heavy@example.com'), 'h' || i, CASE WHEN i = 1 THEN 3000 ELSE 2 END,
             now() - i * interval '1 minute', now() - i * interval '1 minute'
      FROM generate_series(1, 1500) i;
    INSERT INTO messages (session_id, seq, role, content, user_id, client_id, parts)
      SELECT s.id, k, 'user', 'heavy message ' || k || CASE WHEN k % 300 = 0 THEN ' robot arm' ELSE '' END,
             s.user_id, gen_random_uuid()::text, '[]'
      FROM chat_sessions s CROSS JOIN generate_series(1, CASE WHEN s.title = 'h1' THEN 3000 ELSE 2 END) k
      WHERE s.title LIKE 'h%';
    -- Linear chats: each message's parent is the one before, the leaf the last (as the migration does).
    UPDATE messages m SET parent_id = p.prev
      FROM (SELECT id, lag(id) OVER (PARTITION BY session_id ORDER BY seq) AS prev FROM messages) p
      WHERE p.id = m.id AND p.prev IS NOT NULL;
    UPDATE chat_sessions s SET leaf_message_id = l.id
      FROM (SELECT DISTINCT ON (session_id) session_id, id FROM messages ORDER BY session_id, seq DESC) l
      WHERE l.session_id = s.id;
    -- A 200-message active path with 10 branches of 5 messages each (edits of every 20th message).
    INSERT INTO chat_sessions (user_id, title, message_count)
      SELECT id, 'branched', 250 FROM users WHERE email = 'heavy@example.com';
    INSERT INTO messages (session_id, seq, role, content, user_id, client_id, parts)
      SELECT s.id, k, CASE WHEN k % 2 = 1 THEN 'user' ELSE 'assistant' END, 'path ' || k, s.user_id, 'p' || k, '[]'
      FROM chat_sessions s CROSS JOIN generate_series(1, 250) k WHERE s.title = 'branched';
    UPDATE messages m SET parent_id = (SELECT q.id FROM messages q WHERE q.session_id = m.session_id AND q.seq =
        CASE WHEN m.seq <= 200 THEN m.seq - 1
             WHEN (m.seq - 201) % 5 = 0 THEN 20 * ((m.seq - 201) / 5 + 1) - 1 ELSE m.seq - 1 END)
      FROM chat_sessions s WHERE s.id = m.session_id AND s.title = 'branched' AND m.seq > 1;
    UPDATE chat_sessions s SET leaf_message_id = m.id FROM messages m
      WHERE s.title = 'branched' AND m.session_id = s.id AND m.seq = 200;
    -- Pins, the archive and the trash: of the heavy user, 5 pinned, 100 archived, 400 trashed over
    -- the last 25 days; of the others, one session in 20 trashed up to 90 days ago.
    UPDATE chat_sessions SET pinned = true
      WHERE title IN ('h10', 'h20', 'h30', 'h40', 'h50');
    UPDATE chat_sessions SET archived = true
      WHERE title LIKE 'h%' AND substr(title, 2) ~ '^[0-9]+$' AND substr(title, 2)::int BETWEEN 1001 AND 1100;
    UPDATE chat_sessions SET trashed_at = now() - (substr(title, 2)::int % 25) * interval '1 day' - interval '1 hour'
      WHERE title LIKE 'h%' AND substr(title, 2) ~ '^[0-9]+$' AND substr(title, 2)::int BETWEEN 1101 AND 1500;
    UPDATE chat_sessions SET trashed_at = now() - (abs(hashtext(id::text)) % 90) * interval '1 day'
      WHERE title LIKE 's%' AND abs(hashtext(id::text || 't')) % 20 = 0;
    -- Feedback on one answer in ten, a third of it down, spread over the last 90 days.
    INSERT INTO message_feedback (user_id, message_id, rating, comment, created_at, updated_at)
      SELECT m.user_id, m.id, CASE WHEN abs(hashtext(m.id::text)) % 3 = 0 THEN 'down' ELSE 'up' END, 'c', d, d
      FROM messages m, LATERAL (SELECT now() - (abs(hashtext(m.id::text || 'd')) % 90) * interval '1 day' AS d) t WHERE m.role = 'assistant' AND abs(hashtext(m.id::text || 'f')) % 10 = 0;
    -- Usage on every answer: two models, tokens and a latency.
    UPDATE messages SET model = CASE WHEN seq % 4 = 2 THEN 'model-a' ELSE 'model-b' END,
      input_tokens = 100 + seq, output_tokens = 10 + seq % 7, latency_ms = 200 + seq % 500
      WHERE role = 'assistant';
    ANALYZE;`);
  const r = await fx.db.query<{ user_id: string; id: string; email: string }>(
    `SELECT s.user_id, s.id, u.email FROM chat_sessions s JOIN users u ON u.id = s.user_id
     WHERE u.email IN ('u500@example.com', 'heavy@example.com') AND s.title IN ('s1', 'h1') ORDER BY u.email`,
  );
  const [heavy, light] = r.rows;
  const b = await fx.db.query<{ id: string }>(`SELECT id FROM chat_sessions WHERE title = 'branched'`);
  ids.branched = b.rows[0]?.id as string;
  Object.assign(ids, {
    user: light?.user_id,
    session: light?.id,
    email: 'U500@example.com',
    heavy: heavy?.user_id,
    long: heavy?.id,
  });
});

interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Index Name'?: string;
  readonly 'Relation Name'?: string;
  readonly 'Scan Direction'?: string;
  readonly 'Sort Key'?: readonly string[];
  readonly 'Index Cond'?: string;
  readonly 'Subplan Name'?: string;
  readonly Plans?: readonly PlanNode[];
}

/** Every node of the statement's plan (EXPLAIN (FORMAT JSON), run as the application runs it). */
async function plan(sql: string, params: unknown[]): Promise<PlanNode[]> {
  const r = await fx.db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
  return nodesOf(r.rows[0]?.['QUERY PLAN']);
}

/** Every node of an EXPLAIN (FORMAT JSON) document. */
function nodesOf(raw: unknown): PlanNode[] {
  const doc = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
  const nodes: PlanNode[] = [];
  const walk = (n: PlanNode) => {
    nodes.push(n);
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(doc[0]?.Plan as PlanNode);
  return nodes;
}
const indexes = (nodes: PlanNode[]) => nodes.flatMap((n) => (n['Index Name'] ? [n['Index Name']] : []));
/** Sort nodes over the given column: the ones an index in that order makes unnecessary. */
const sortsOn = (nodes: PlanNode[], column: string) =>
  nodes.filter((n) => n['Node Type'] === 'Sort' && n['Sort Key']?.some((k) => k.includes(column)));
const scanOf = (nodes: PlanNode[], index: string) =>
  nodes.find((n) => n['Index Name'] === index && n['Node Type'] === 'Index Scan');

/** A path walk's plan: the session by its key, messages by theirs, no sequential scan. */
function expectPathPlan(p: PlanNode[], sql: string): void {
  expect(indexes(p)).toContain('chat_sessions_pkey');
  expect(scanOf(p, 'messages_pkey'), sql).toBeDefined();
  expect(
    p.filter((n) => n['Node Type'] === 'Seq Scan'),
    sql,
  ).toEqual([]);
}

describe('query plans on realistic data (planner left to itself)', () => {
  it('sessions.list, its archive view and recentSessions({ userId }): the index delivers the order, no Sort', async () => {
    const weekAgo = new Date(Date.now() - 7 * 24 * 3600 * 1000);
    const LAST = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
    for (const archived of [false, true])
      for (const [sql, params] of [
        [SESSIONS_FIRST_SQL, [ids.heavy, 21, archived]],
        [SESSIONS_AFTER_SQL, [ids.heavy, 21, archived, new Date(), ids.long, false]],
        [SESSIONS_AFTER_SQL, [ids.heavy, 21, archived, new Date(), ids.long, true]],
        // The recovery walk (updated_since), first page (the sentinels) and after a cursor.
        [SESSIONS_SINCE_SQL, [ids.heavy, 21, archived, 'infinity', LAST, true, weekAgo]],
        [SESSIONS_SINCE_SQL, [ids.heavy, 21, archived, new Date(), ids.long, false, weekAgo]],
      ] as const) {
        const p = await plan(sql, [...params]);
        expect(scanOf(p, 'chat_sessions_user_list_idx'), sql).toBeDefined();
        expect(sortsOn(p, 'updated_at'), sql).toEqual([]);
        expect(sortsOn(p, 'pinned'), sql).toEqual([]);
        expect(
          p.filter((n) => n['Node Type'] === 'Seq Scan'),
          sql,
        ).toEqual([]);
      }
    const report = await plan(CHAT_QUERY_SQL.recentSessionsOfUser, [20, ids.heavy]);
    expect(scanOf(report, 'chat_sessions_user_list_idx')).toBeDefined();
    expect(sortsOn(report, 'updated_at')).toEqual([]);
    // The cursor's bound (pinned, updated_at, id) is an index condition, not a filter.
    const after = await plan(SESSIONS_AFTER_SQL, [ids.heavy, 21, false, new Date(), ids.long, false]);
    expect(scanOf(after, 'chat_sessions_user_list_idx')?.['Index Cond']).toMatch(
      /ROW\(pinned, updated_at, id\) </,
    );
    // Both bounds of the recovery walk are index conditions, not a filter over the user's rows.
    const since = await plan(SESSIONS_SINCE_SQL, [
      ids.heavy,
      21,
      false,
      new Date(),
      ids.long,
      false,
      weekAgo,
    ]);
    expect(scanOf(since, 'chat_sessions_user_list_idx')?.['Index Cond']).toMatch(/updated_at >=/);
    expect(scanOf(since, 'chat_sessions_user_list_idx')?.['Index Cond']).toMatch(
      /ROW\(pinned, updated_at, id\) </,
    );
    // The walk's snapshot: the newest pinned and the newest unpinned, one index entry each.
    const first = await plan(SESSIONS_FIRST_SQL, [ids.heavy, 21, false]);
    expect(first.filter((n) => n['Index Name'] === 'chat_sessions_user_list_idx').length).toBe(3);
    // A user with three sessions: the same index (then three rows are sorted).
    // (messages_pkey: the look-up of each listed session's leaf id.)
    expect(new Set(indexes(await plan(SESSIONS_FIRST_SQL, [ids.user, 21, false])))).toEqual(
      new Set(['chat_sessions_user_list_idx', 'messages_pkey']),
    );
  });

  it('the trash of a user with 400 trashed sessions: chat_sessions_user_trash_idx, both bounds index conditions', async () => {
    for (const params of [
      [ids.heavy, 21, 'infinity', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 30],
      [ids.heavy, 21, new Date(Date.now() - 5 * 86_400_000), ids.long, 30],
    ]) {
      const p = await plan(SESSIONS_TRASH_SQL, params);
      // An index scan in order, or (a few hundred rows) a bitmap scan and a sort of this user's
      // trash within retention: either way only the user's trash is read.
      const scan = p.find((n) => n['Index Name'] === 'chat_sessions_user_trash_idx');
      expect(scan, JSON.stringify(params)).toBeDefined();
      expect(scan?.['Index Cond']).toMatch(/user_id = /);
      expect(scan?.['Index Cond']).toMatch(/ROW\(trashed_at, id\) </);
      expect(scan?.['Index Cond']).toMatch(/trashed_at >/);
      expect(p.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
    }
  });

  it('purge: one batch of the trash by chat_sessions_trashed_at_idx, of idle sessions by chat_sessions_updated_at_idx', async () => {
    // The ids by the partial index (a small trash: bitmap and sort; a large one: the index in
    // order), locked, then deleted by primary key; never a scan of chat_sessions.
    const trashed = await plan(PURGE_TRASHED_SQL, [30, 500]);
    const byTrash = trashed.find((n) => n['Index Name'] === 'chat_sessions_trashed_at_idx');
    expect(byTrash?.['Index Cond']).toMatch(/trashed_at </);
    const idle = await plan(PURGE_IDLE_SQL, [365, 500, 30]);
    expect(scanOf(idle, 'chat_sessions_updated_at_idx')?.['Index Cond']).toMatch(/updated_at </);
    expect(sortsOn(idle, 'updated_at')).toEqual([]);
    for (const p of [trashed, idle]) {
      expect(p.some((n) => n['Node Type'] === 'LockRows')).toBe(true);
      expect(indexes(p)).toContain('chat_sessions_pkey');
      expect(p.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
    }
    for (const [sql, params] of [
      [COUNT_TRASHED_SQL, [30]],
      [COUNT_IDLE_SQL, [365, 30]],
    ] as const) {
      const p = await plan(sql, [...params]);
      expect(
        p.filter((n) => n['Node Type'] === 'Seq Scan'),
        sql,
      ).toEqual([]);
    }
  });

  it('pages of the active path of a 3,000-message session: a walk from the leaf by primary key, one statement', async () => {
    const cases = [
      [pathSql(true), [ids.long, ids.heavy, 0, 51, 2000]],
      [pathSql(true), [ids.long, ids.heavy, 0, 51, 2 ** 31]],
      [pathSql(false), [ids.long, ids.heavy, 2900, 51, 2 ** 31]],
    ] as const;
    for (const [sql, params] of cases) {
      const p = await plan(sql, [...params]);
      expectPathPlan(p, sql);
    }
    // The last 50: the walk stops once it holds the page (51 rows, not 3,000).
    const last = await fx.chat.messages.last(ids.heavy, ids.long, 50);
    expect(last.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 2951 + i));
  });

  it('a 200-message active path in a session with 10 branches: one statement, index scans only', async () => {
    for (const sql of [pathSql(false), CONVERSATION_SQL]) {
      const params =
        sql === CONVERSATION_SQL ? [ids.branched, ids.heavy] : [ids.branched, ids.heavy, 0, 201, 2 ** 31];
      const p = await plan(sql, params);
      expectPathPlan(p, sql);
    }
    const page = await fx.chat.messages.activePath(ids.heavy, ids.branched, { limit: 200 });
    expect(page.hasMore).toBe(false);
    expect(page.data.map((m) => m.id)).toEqual(Array.from({ length: 200 }, (_, i) => `p${i + 1}`));
    const conv = await fx.chat.sessions.conversation(ids.heavy, ids.branched);
    expect(conv.messages.map((m) => m.seq)).toEqual(page.data.map((m) => m.seq));
    const sib = await fx.chat.messages.siblings(ids.heavy, ids.branched, 'p40');
    expect([sib.data.map((m) => m.id), sib.index]).toEqual([['p40', 'p206'], 0]);
  });

  it('search of a user with many messages: one index for the user and the words, messages_user_content_fts_idx', async () => {
    const p = await plan(SEARCH_SQL, [ids.heavy, 'robot arm', 20]);
    // The other indexes are primary-key look-ups of the hits' parents and citations.
    // Leaving out trashed sessions reads this user's trash (or looks up each hit's session by key).
    const others = indexes(p).filter((i) => !i.endsWith('_pkey'));
    expect(others[0]).toBe('messages_user_content_fts_idx');
    for (const i of others.slice(1)) expect(i).toBe('chat_sessions_user_trash_idx');
    const trash = p.find((n) => n['Index Name'] === 'chat_sessions_user_trash_idx');
    if (trash) expect(trash['Index Cond']).toMatch(/user_id/);
    expect(p.find((n) => n['Index Name'] === 'messages_user_content_fts_idx')?.['Index Cond']).toMatch(
      /user_id/,
    );
  });

  it('append: the function keeps one generic plan; its row lock by chat_sessions_pkey, the retry look-up by messages_idempotency_key_idx', async () => {
    // The statement chatdb_append_message runs, as installed, explained as the generic plan the
    // function keeps (plan_cache_mode = force_generic_plan), inside one transaction (a pooler too).
    const fn = await fx.db.query<{ body: string; args: string[]; config: string[] | null }>(
      `SELECT prosrc AS body, proargnames AS args, proconfig AS config FROM pg_proc
       WHERE proname = 'chatdb_append_message'`,
    );
    const { body, args, config } = fn.rows[0] ?? { body: '', args: [], config: null };
    expect(config).toEqual(['plan_cache_mode=force_generic_plan']);
    const inputs = args.filter((a) => a.startsWith('p_'));
    expect(inputs).toHaveLength(15);
    const statement = (/RETURN QUERY([\s\S]*?);\s*(?:IF|END)/.exec(body)?.[1] ?? '').replace(
      /\bp_\w+\b/g,
      (name) => `$${inputs.indexOf(name) + 1}`,
    );
    const types =
      'uuid, text, uuid, text, text, text, jsonb, text, text, jsonb, text, integer, integer, integer, integer';
    const doc = await fx.db.transaction(async (tx) => {
      await tx.query('SET LOCAL plan_cache_mode = force_generic_plan');
      await tx.query(`PREPARE chatdb_plan_append (${types}) AS ${statement}`);
      const r = await tx.query<{ 'QUERY PLAN': unknown }>(
        `EXPLAIN (FORMAT JSON) EXECUTE chatdb_plan_append (${[...Array(15).keys()].map(() => 'NULL').join(', ')})`,
      );
      await tx.query('DEALLOCATE chatdb_plan_append');
      return r.rows[0]?.['QUERY PLAN'];
    });
    const p = nodesOf(doc);
    expect(p.map((n) => n['Node Type'])).toContain('LockRows');
    expect(indexes(p)).toContain('chat_sessions_pkey');
    expect(indexes(p)).toContain('messages_idempotency_key_idx');
    expect(p.map((n) => n['Node Type'])).not.toContain('Seq Scan');
  });

  it('citations by document, login by email', async () => {
    expect(indexes(await plan(citingSql(false), ['doc-5', 50]))).toContain(
      'message_citations_document_id_idx',
    );
    expect(indexes(await plan(LOGIN_SQL, [ids.email]))).toEqual(['users_email_lower_key']);
  });

  it("a user's citation reports: message_citations_user_document_idx alone, no join to messages or sessions", async () => {
    const hour = new Date(Date.now() - 3_600_000);
    for (const [sql, params] of [
      [mostCitedSql(true), [20, null, ids.user]],
      [mostCitedSql(true), [20, hour, ids.user]],
      [citingSql(true), ['doc-5', 50, ids.user]],
    ] as const) {
      const p = await plan(sql, [...params]);
      // Other than primary-key look-ups (citingSql's messages and their citations): the one index.
      expect(
        indexes(p).filter((i) => !i.endsWith('_pkey')),
        sql,
      ).toEqual(['message_citations_user_document_idx']);
      expect(
        p.filter((n) => n['Node Type'] === 'Seq Scan' || n['Relation Name'] === 'chat_sessions'),
        sql,
      ).toEqual([]);
    }
    // The same report as through the sessions (the owner's before the index): identical.
    const bySession = await fx.db.query(
      `SELECT c.document_id, count(*) AS citations, count(DISTINCT c.message_id) AS messages
       FROM message_citations c JOIN messages m ON m.id = c.message_id JOIN chat_sessions s ON s.id = m.session_id
       WHERE s.user_id = $1 GROUP BY c.document_id ORDER BY citations DESC, c.document_id LIMIT 20`,
      [ids.user],
    );
    const report = await fx.chat.citations.mostCited({ userId: ids.user });
    expect(report.length).toBeGreaterThan(0);
    expect(
      report.map((d) => ({ document_id: d.documentId, citations: d.citations, messages: d.messages })),
    ).toEqual(
      bySession.rows.map((r) => ({ ...r, citations: Number(r.citations), messages: Number(r.messages) })),
    );
  });

  it('citationsPerAnswer reads message_citations once, with no correlated subplan', async () => {
    for (const since of [null, new Date(Date.now() - 3_600_000)]) {
      const p = await plan(CHAT_QUERY_SQL.citationsPerAnswer, [since]);
      expect(p.filter((n) => n['Subplan Name'] !== undefined)).toEqual([]);
      expect(p.filter((n) => n['Relation Name'] === 'message_citations')).toHaveLength(1);
    }
  });

  it('feedback reports over a window: the down ratings by message_feedback_down_idx, then primary keys, no scan', async () => {
    // The dashboard's last days of a 90-day history. All time, the documents report reads every
    // down rating and their citations: a hash join of two scans is then the cheaper plan. Seven
    // days held about 23 down ratings here (random ids pick them), where a hash join of
    // message_citations costs about as much as the index probes: a run in CI chose it. Three days
    // (about 10) keep the window's plan clear of that edge.
    const recent = new Date(Date.now() - 3 * 86_400_000);
    const week = new Date(Date.now() - 7 * 86_400_000);
    for (const [sql, joined] of [
      [FEEDBACK_QUERY_SQL.downRatedDocuments, 'message_citations_pkey'],
      [FEEDBACK_QUERY_SQL.worstRatedAnswers, 'messages_pkey'],
    ] as const) {
      const p = await plan(sql, [recent, 20]);
      // Either index finds a few days of ratings (the down ratings' partial index, or the range of
      // updated_at filtered on down): the planner takes one or the other by a hair; both then join by key.
      const [first, ...rest] = indexes(p);
      expect(['message_feedback_down_idx', 'message_feedback_updated_at_idx'], sql).toContain(first);
      expect(rest, sql).toEqual([joined]);
      expect(p.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
    }
    // The newest down ratings of all time: the index delivers the order, the LIMIT stops the walk.
    const all = await plan(FEEDBACK_QUERY_SQL.worstRatedAnswers, [null, 20]);
    expect(scanOf(all, 'message_feedback_down_idx')).toBeDefined();
    expect(all.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
    expect(all.filter((n) => n['Node Type'] === 'Sort')).toEqual([]);
    // Ratings per day over the window: a range of message_feedback_updated_at_idx.
    const perDay = await plan(FEEDBACK_QUERY_SQL.feedbackPerDay, [week]);
    expect(indexes(perDay)).toEqual(['message_feedback_updated_at_idx']);
    expect(perDay.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
    const docs = await fx.chat.queries.downRatedDocuments({ since: week, limit: 5 });
    expect(docs.length).toBeGreaterThan(0);
    expect(docs[0]?.answers).toBeGreaterThanOrEqual(docs.at(-1)?.answers ?? 0);
  });

  it('the idle-guest purge: candidates from users_guest_created_at_idx, anti-joins by index, no scan of users', async () => {
    // 300 guests over the last 60 days next to the 1,001 registered users, half with a token.
    await fx.db.exec(`
      INSERT INTO users (is_guest, created_at, updated_at)
        SELECT true, now() - i * interval '4 hours', now() - i * interval '4 hours' FROM generate_series(1, 300) i;
      INSERT INTO auth_tokens (token_hash, user_id, created_at, expires_at)
        SELECT sha256(id::text::bytea), id, created_at, created_at + interval '7 days' FROM users
        WHERE is_guest AND abs(hashtext(id::text)) % 2 = 0;
      ANALYZE users; ANALYZE auth_tokens;`);
    for (const [sql, params] of [
      [GUEST_PURGE_SQL.batch(true), [30, 1000]],
      [GUEST_PURGE_SQL.dryRun(true), [30, 1000]],
      [GUEST_PURGE_SQL.count(true), [30]],
    ] as const) {
      const p = await plan(sql, [...params]);
      expect(indexes(p), sql).toContain('users_guest_created_at_idx');
      expect(
        p.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'users'),
        sql,
      ).toEqual([]);
      expect(indexes(p), sql).toContain('chat_sessions_user_trash_idx');
    }
  });

  it('a share link: found by its hash (the unique index), its path walked by primary key; the owner lists by session', async () => {
    // A link on every session, so that only the index finds one.
    await fx.db.exec(`INSERT INTO session_shares (user_id, session_id, token_hash)
      SELECT user_id, id, sha256(convert_to(id::text, 'UTF8')) FROM chat_sessions;
      ANALYZE session_shares;`);
    const link = await fx.chat.shares.create(ids.heavy, ids.branched, { upToMessageId: 'p150' });
    for (const params of [[hashToken(link.token)], [hashToken('shr_unknown')]]) {
      const p = await plan(READ_SHARE_SQL, params);
      expect(indexes(p)).toEqual(
        expect.arrayContaining(['session_shares_token_hash_key', 'chat_sessions_pkey']),
      );
      expect(scanOf(p, 'messages_pkey')).toBeDefined();
      expect(p.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
    }
    const read = await fx.chat.shares.read(link.token);
    expect(read.messages.map((m) => m.id)).toEqual(Array.from({ length: 150 }, (_, i) => `p${i + 1}`));
    const list = await plan(LIST_SHARES_SQL, [ids.branched, ids.heavy]);
    expect(indexes(list)).toEqual(
      expect.arrayContaining(['chat_sessions_pkey', 'session_shares_session_idx']),
    );
    expect(list.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
  });

  it('usage reports: one user by messages_user_client_id_key (no new index), all users by one scan of messages', async () => {
    const week = new Date(Date.now() - 7 * 86_400_000);
    for (const sql of [USAGE_QUERY_SQL.usagePerDayOfUser, USAGE_QUERY_SQL.usageByModelOfUser])
      for (const window of [
        [null, null],
        [week, new Date()],
      ]) {
        // A user with a few dozen messages: the user_id prefix of the client-id key finds them.
        const p = await plan(sql, [...window, ids.user]);
        expect(indexes(p), sql).toEqual(['messages_user_client_id_key']);
        expect(p.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
      }
    // All users: one pass over messages, no join (the usage is on the message row).
    for (const sql of [USAGE_QUERY_SQL.usagePerDay, USAGE_QUERY_SQL.usageByModel]) {
      const p = await plan(sql, [week, null]);
      expect(p.filter((n) => n['Relation Name'] !== undefined).map((n) => n['Relation Name'])).toEqual([
        'messages',
      ]);
    }
    const models = await fx.chat.queries.usageByModel({ userId: ids.user });
    expect(models.map((m) => m.model).sort()).toEqual(['model-a', 'model-b']);
    expect(models.reduce((n, m) => n + m.messages, 0)).toBe(9);
    const days = await fx.chat.queries.usagePerDay({ from: week });
    expect(days.length).toBeGreaterThan(0);
  });
});
