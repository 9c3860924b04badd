/**
 * Operator and dashboard reports over the chat tables (scope `chat` or `all`). Each function says
 * what it answers and what serves it; docs/queries.md lists them all. Times are UTC; `since`
 * omitted means all time. Reports needing the users table are in queries-auth.ts.
 */

import { withCheckedOptions } from './options.js';
import { SESSION_COLUMNS, toSession } from './rows.js';
import type { Sql } from './sql-errors.js';
import type { ChatSession, Role } from './types.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

export interface DayCount {
  /** `YYYY-MM-DD` (UTC). */
  readonly day: string;
  readonly count: number;
}
export interface UserActivity {
  readonly userId: string;
  readonly sessions: number;
  readonly messages: number;
}
export interface SessionLengthStats {
  readonly sessions: number;
  readonly avgMessages: number | null;
  readonly medianMessages: number | null;
  readonly maxMessages: number | null;
}
export interface LengthBucket {
  /** `0`, `1-2`, `3-5`, `6-10`, `11-20`, `21-50`, `51-100`, `101+`. */
  readonly bucket: string;
  readonly sessions: number;
}
export interface RoleCount {
  readonly role: Role;
  readonly messages: number;
}
export interface HourCount {
  /** 0..23, UTC. */
  readonly hour: number;
  readonly messages: number;
}
export interface SelectedTextRatio {
  readonly userMessages: number;
  readonly withSelectedText: number;
  readonly ratio: number | null;
}
export interface CitationsPerAnswer {
  readonly assistantMessages: number;
  readonly citations: number;
  readonly avgCitations: number | null;
  /** Assistant messages with no citation at all (answers without a source). */
  readonly uncited: number;
}
export interface ScoreStats {
  readonly citations: number;
  readonly scored: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly avg: number | null;
  readonly p50: number | null;
  readonly p90: number | null;
}
export interface StaleDocument {
  readonly documentId: string;
  readonly citations: number;
  readonly lastCitedAt: Date;
}
export interface TableSize {
  readonly table: string;
  /** The planner's estimate (pg_class.reltuples), not an exact count; -1 if never analyzed. */
  readonly estimatedRows: number;
  readonly totalBytes: number;
}

/** The statements, by report name: the plan tests and docs/queries.md read them from here. */
export const CHAT_QUERY_SQL = {
  sessionsPerUser: `SELECT user_id, count(*) AS sessions, coalesce(sum(message_count), 0) AS messages
    FROM chat_sessions GROUP BY user_id ORDER BY sessions DESC, user_id LIMIT $1`,
  messagesPerDay: `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, count(*) AS count
    FROM messages WHERE ($1::timestamptz IS NULL OR created_at >= $1) GROUP BY 1 ORDER BY 1`,
  sessionsPerDay: `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, count(*) AS count
    FROM chat_sessions WHERE ($1::timestamptz IS NULL OR created_at >= $1) GROUP BY 1 ORDER BY 1`,
  averageSessionLength: `SELECT count(*) AS sessions, avg(message_count)::float8 AS avg_messages,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY message_count) AS median_messages, max(message_count) AS max_messages
    FROM chat_sessions WHERE ($1::timestamptz IS NULL OR created_at >= $1)`,
  sessionLengthHistogram: `SELECT b.bucket, count(s.id) AS sessions FROM (VALUES
      (1, '0', 0, 0), (2, '1-2', 1, 2), (3, '3-5', 3, 5), (4, '6-10', 6, 10), (5, '11-20', 11, 20),
      (6, '21-50', 21, 50), (7, '51-100', 51, 100), (8, '101+', 101, 2147483647)) AS b(n, bucket, lo, hi)
    LEFT JOIN chat_sessions s ON s.message_count BETWEEN b.lo AND b.hi
    GROUP BY b.n, b.bucket ORDER BY b.n`,
  sessionsWithoutAssistantReply: `SELECT ${SESSION_COLUMNS} FROM chat_sessions s
    WHERE s.message_count > 0
      AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id AND m.role = 'assistant')
    ORDER BY s.updated_at DESC, s.id DESC LIMIT $1`,
  mostActiveUsers: `SELECT s.user_id, count(DISTINCT s.id) AS sessions, count(*) AS messages
    FROM messages m JOIN chat_sessions s ON s.id = m.session_id
    WHERE ($1::timestamptz IS NULL OR m.created_at >= $1)
    GROUP BY s.user_id ORDER BY messages DESC, s.user_id LIMIT $2`,
  activeUsers: `SELECT count(DISTINCT user_id) AS users FROM chat_sessions WHERE last_message_at >= $1`,
  messagesPerRole: `SELECT role, count(*) AS messages FROM messages
    WHERE ($1::timestamptz IS NULL OR created_at >= $1) GROUP BY role ORDER BY messages DESC, role`,
  busiestHours: `SELECT extract(hour FROM created_at AT TIME ZONE 'UTC')::int AS hour, count(*) AS messages
    FROM messages WHERE ($1::timestamptz IS NULL OR created_at >= $1) GROUP BY 1 ORDER BY 1`,
  longestSessions: `SELECT ${SESSION_COLUMNS} FROM chat_sessions ORDER BY message_count DESC, id LIMIT $1`,
  idleSessions: `SELECT ${SESSION_COLUMNS} FROM chat_sessions
    WHERE coalesce(last_message_at, created_at) < $1 ORDER BY coalesce(last_message_at, created_at), id LIMIT $2`,
  recentSessions: `SELECT ${SESSION_COLUMNS} FROM chat_sessions ORDER BY updated_at DESC, id DESC LIMIT $1`,
  recentSessionsOfUser: `SELECT ${SESSION_COLUMNS} FROM chat_sessions
    WHERE user_id = $2 AND archived = false AND trashed_at IS NULL
    ORDER BY pinned DESC, updated_at DESC, id DESC LIMIT $1`,
  selectedTextRatio: `SELECT count(*) AS user_messages, count(selected_text) AS with_selected_text
    FROM messages WHERE role = 'user' AND ($1::timestamptz IS NULL OR created_at >= $1)`,
  // One join grouped per answer: a correlated count(*) here was run three times (SubPlan 1/2/3).
  citationsPerAnswer: `SELECT count(*) AS assistant_messages, coalesce(sum(n), 0) AS citations,
      avg(n)::float8 AS avg_citations, count(*) FILTER (WHERE n = 0) AS uncited
    FROM (SELECT m.id, count(c.message_id) AS n
          FROM messages m LEFT JOIN message_citations c ON c.message_id = m.id
          WHERE m.role = 'assistant' AND ($1::timestamptz IS NULL OR m.created_at >= $1)
          GROUP BY m.id) x`,
  citationScoreStats: `SELECT count(*) AS citations, count(score) AS scored, min(score) AS min, max(score) AS max,
      avg(score) AS avg, percentile_cont(0.5) WITHIN GROUP (ORDER BY score) AS p50,
      percentile_cont(0.9) WITHIN GROUP (ORDER BY score) AS p90
    FROM message_citations WHERE ($1::timestamptz IS NULL OR created_at >= $1)`,
  staleDocuments: `SELECT document_id, count(*) AS citations, max(created_at) AS last_cited_at
    FROM message_citations GROUP BY document_id HAVING max(created_at) < $1
    ORDER BY last_cited_at, document_id LIMIT $2`,
  tableSizes: `SELECT c.relname AS table, c.reltuples::float8 AS estimated_rows, pg_total_relation_size(c.oid) AS total_bytes
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind = 'r'
      AND c.relname IN ('users', 'user_profiles', 'auth_tokens', 'chat_sessions', 'messages', 'message_citations',
        'message_feedback', 'session_shares')
    ORDER BY c.relname`,
} as const;

const num = (x: unknown): number => Number(x);
const numOrNull = (x: unknown): number | null => (x === null || x === undefined ? null : Number(x));
const since = (x: Date | undefined): Date | null => (x === undefined ? null : v.date('since', x));
const dayCounts = (rows: Row[]): DayCount[] => rows.map((r) => ({ day: String(r.day), count: num(r.count) }));

/** The options each report takes (one without an entry takes none). */
const CHAT_REPORT_OPTIONS = {
  sessionsPerUser: ['limit'],
  messagesPerDay: ['since'],
  sessionsPerDay: ['since'],
  averageSessionLength: ['since'],
  sessionsWithoutAssistantReply: ['limit'],
  mostActiveUsers: ['since', 'limit'],
  activeUsers: ['since'],
  messagesPerRole: ['since'],
  busiestHours: ['since'],
  longestSessions: ['limit'],
  idleSessions: ['idleSince', 'limit'],
  recentSessions: ['userId', 'limit'],
  selectedTextRatio: ['since'],
  citationsPerAnswer: ['since'],
  citationScoreStats: ['since'],
  staleDocuments: ['notCitedSince', 'limit'],
} as const;

/** Reports over sessions, messages and citations (no users table needed). */
export function createChatQueries(sql: Sql) {
  const q = async (name: keyof typeof CHAT_QUERY_SQL, params: unknown[]): Promise<Row[]> =>
    (await sql.query<Row>(CHAT_QUERY_SQL[name], params, 'user')).rows;
  return withCheckedOptions(
    {
      /** Sessions and messages per user, most sessions first. Full scan of chat_sessions (counters, no message read). */
      sessionsPerUser: async (o: { limit?: number } = {}): Promise<UserActivity[]> =>
        (await q('sessionsPerUser', [v.limit(o.limit, 1000, 20)])).map((r) => ({
          userId: String(r.user_id),
          sessions: num(r.sessions),
          messages: num(r.messages),
        })),
      /** Messages written per UTC day. Scan of messages (no created_at index; see docs/queries.md). */
      messagesPerDay: async (o: { since?: Date } = {}): Promise<DayCount[]> =>
        dayCounts(await q('messagesPerDay', [since(o.since)])),
      /** Sessions started per UTC day. Scan of chat_sessions. */
      sessionsPerDay: async (o: { since?: Date } = {}): Promise<DayCount[]> =>
        dayCounts(await q('sessionsPerDay', [since(o.since)])),
      /** Average, median and longest session length in messages. Scan of chat_sessions (message_count). */
      averageSessionLength: async (o: { since?: Date } = {}): Promise<SessionLengthStats> => {
        const [r] = await q('averageSessionLength', [since(o.since)]);
        return {
          sessions: num(r?.sessions),
          avgMessages: numOrNull(r?.avg_messages),
          medianMessages: numOrNull(r?.median_messages),
          maxMessages: numOrNull(r?.max_messages),
        };
      },
      /** How many sessions have 0, 1-2, 3-5 … 101+ messages. Scan of chat_sessions. */
      sessionLengthHistogram: async (): Promise<LengthBucket[]> =>
        (await q('sessionLengthHistogram', [])).map((r) => ({
          bucket: String(r.bucket),
          sessions: num(r.sessions),
        })),
      /** Sessions with messages but no assistant reply (the bot never answered). Scan, hash anti-join with messages. */
      sessionsWithoutAssistantReply: async (o: { limit?: number } = {}): Promise<ChatSession[]> =>
        (await q('sessionsWithoutAssistantReply', [v.limit(o.limit, 1000, 50)])).map(toSession),
      /** Users with the most messages in a window. Scan of messages in the window, hash join to chat_sessions. */
      mostActiveUsers: async (o: { since?: Date; limit?: number } = {}): Promise<UserActivity[]> =>
        (await q('mostActiveUsers', [since(o.since), v.limit(o.limit, 1000, 20)])).map((r) => ({
          userId: String(r.user_id),
          sessions: num(r.sessions),
          messages: num(r.messages),
        })),
      /** Distinct users who wrote a message since `since`. Scan of chat_sessions (last_message_at). */
      activeUsers: async (o: { since: Date }): Promise<number> =>
        num((await q('activeUsers', [v.date('since', o?.since)]))[0]?.users),
      /** Messages per role. Scan of messages. */
      messagesPerRole: async (o: { since?: Date } = {}): Promise<RoleCount[]> =>
        (await q('messagesPerRole', [since(o.since)])).map((r) => ({
          role: r.role as Role,
          messages: num(r.messages),
        })),
      /** Messages per hour of the day (UTC), for capacity planning. Scan of messages. */
      busiestHours: async (o: { since?: Date } = {}): Promise<HourCount[]> =>
        (await q('busiestHours', [since(o.since)])).map((r) => ({
          hour: num(r.hour),
          messages: num(r.messages),
        })),
      /** The sessions with the most messages. Scan of chat_sessions with a top-N sort. */
      longestSessions: async (o: { limit?: number } = {}): Promise<ChatSession[]> =>
        (await q('longestSessions', [v.limit(o.limit, 1000, 20)])).map(toSession),
      /** Sessions idle (no message, or never used) since `idleSince`, longest idle first. Scan of chat_sessions. */
      idleSessions: async (o: { idleSince: Date; limit?: number }): Promise<ChatSession[]> =>
        (await q('idleSessions', [v.date('idleSince', o?.idleSince), v.limit(o?.limit, 1000, 50)])).map(
          toSession,
        ),
      /**
       * Most recently active sessions; of one user when `userId` is given (then the user's list as
       * `sessions.list` shows it: pinned first, archived and trashed ones left out; served by
       * chat_sessions_user_list_idx, in index order for a user with many sessions), otherwise a
       * scan of chat_sessions with a top-N sort.
       */
      recentSessions: async (o: { userId?: string; limit?: number } = {}): Promise<ChatSession[]> => {
        const lim = v.limit(o.limit, 1000, 20);
        const rows =
          o.userId === undefined
            ? await q('recentSessions', [lim])
            : await q('recentSessionsOfUser', [lim, v.userId(o.userId)]);
        return rows.map(toSession);
      },
      /** Share of user messages that carry selected text (asked about a highlighted passage). Scan of messages. */
      selectedTextRatio: async (o: { since?: Date } = {}): Promise<SelectedTextRatio> => {
        const [r] = await q('selectedTextRatio', [since(o.since)]);
        const total = num(r?.user_messages);
        const withText = num(r?.with_selected_text);
        return {
          userMessages: total,
          withSelectedText: withText,
          ratio: total === 0 ? null : withText / total,
        };
      },
      /** Citations per assistant message, and how many answers cite nothing. One scan of messages and of message_citations. */
      citationsPerAnswer: async (o: { since?: Date } = {}): Promise<CitationsPerAnswer> => {
        const [r] = await q('citationsPerAnswer', [since(o.since)]);
        return {
          assistantMessages: num(r?.assistant_messages),
          citations: num(r?.citations),
          avgCitations: numOrNull(r?.avg_citations),
          uncited: num(r?.uncited),
        };
      },
      /** Retrieval score distribution (min, max, avg, median, p90). Scan of message_citations. */
      citationScoreStats: async (o: { since?: Date } = {}): Promise<ScoreStats> => {
        const [r] = await q('citationScoreStats', [since(o.since)]);
        return {
          citations: num(r?.citations),
          scored: num(r?.scored),
          min: numOrNull(r?.min),
          max: numOrNull(r?.max),
          avg: numOrNull(r?.avg),
          p50: numOrNull(r?.p50),
          p90: numOrNull(r?.p90),
        };
      },
      /** Documents cited before but not since `notCitedSince` (stale or replaced sources). Scan of message_citations. */
      staleDocuments: async (o: { notCitedSince: Date; limit?: number }): Promise<StaleDocument[]> =>
        (
          await q('staleDocuments', [v.date('notCitedSince', o?.notCitedSince), v.limit(o?.limit, 1000, 50)])
        ).map((r) => ({
          documentId: String(r.document_id),
          citations: num(r.citations),
          lastCitedAt: r.last_cited_at as Date,
        })),
      /** Estimated rows and on-disk size of each chatdb table. Reads pg_class (no table scan). */
      tableSizes: async (): Promise<TableSize[]> =>
        (await q('tableSizes', [])).map((r) => ({
          table: String(r.table),
          estimatedRows: num(r.estimated_rows),
          totalBytes: num(r.total_bytes),
        })),
    },
    CHAT_REPORT_OPTIONS,
  );
}
