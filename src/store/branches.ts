/**
 * Branches: a session's conversation is the path from a root to its leaf (leaf_message_id),
 * walked up by parent_id. Edits and regenerations add siblings; nothing is deleted.
 */
import { invalidInput, notFound } from '../errors.js';
import { CITATIONS_OF_M, MESSAGE_SELECT, SESSION_COLUMNS, toMessage, toSession } from './rows.js';
import type { Sql } from './sql-errors.js';
import type { MessagePage, MessagesModule } from './types.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

/** Greater than every seq (an integer): the "no before_seq" bound. */
const NO_BEFORE = 2 ** 31;

/**
 * One page of the active path, owner-checked in the same statement (zero rows: not the caller's
 * session; one row of NULLs: an empty page). $1 session, $2 user, $3 after_seq, $4 limit (+1),
 * $5 before_seq. The walk starts at the leaf and climbs parent_id by primary-key look-ups; seq
 * falls at every step (a parent is written before its children), so the walk stops below
 * after_seq, and backward (the last messages, before_seq) once it holds the page: it touches
 * the page, not the history. `p.seq < path.seq` also makes the walk end on any data.
 */
export const pathSql = (backward: boolean): string => `
WITH RECURSIVE s AS (
  SELECT id, leaf_message_id FROM chat_sessions WHERE id = $1::uuid AND user_id = $2 AND trashed_at IS NULL
), path AS (
  SELECT m.id, m.seq, m.parent_id, (m.seq < $5::bigint)::int AS n
  FROM s JOIN messages m ON m.id = s.leaf_message_id
  UNION ALL
  SELECT p.id, p.seq, p.parent_id, path.n + (p.seq < $5::bigint)::int
  FROM path JOIN messages p ON p.id = path.parent_id
  WHERE p.seq < path.seq AND p.seq > $3 ${backward ? 'AND path.n < $4' : ''}
)
SELECT m.* FROM s
LEFT JOIN LATERAL (
  SELECT ${MESSAGE_SELECT}, ${CITATIONS_OF_M} AS citations
  FROM path JOIN messages m ON m.id = path.id
  WHERE path.seq > $3 AND path.seq < $5::bigint
  ORDER BY path.seq ${backward ? 'DESC' : 'ASC'} LIMIT $4
) m ON true`;

/** Reads one page of the active path (see pathSql); backward pages come back oldest first too. */
export async function readPath(
  sql: Sql,
  userId: string,
  sessionId: string,
  p: { limit: number; after: number; before: number | null; backward: boolean },
): Promise<MessagePage> {
  const { backward } = p;
  const r = await sql.query<Row>(
    pathSql(backward),
    [v.uuid('session', sessionId), v.userId(userId), p.after, p.limit + 1, p.before ?? NO_BEFORE],
    'session',
  );
  if (r.rows.length === 0) throw notFound('session');
  const dir = backward ? -1 : 1;
  const rows = r.rows.filter((row) => row.id !== null).sort((a, b) => dir * (Number(a.seq) - Number(b.seq)));
  const data = rows.slice(0, p.limit).map(toMessage);
  if (backward) data.reverse();
  return { data, hasMore: rows.length > p.limit };
}

/** The messages with the same parent as the one named by its client id ($3), in seq order. */
export const SIBLINGS_SQL = `
SELECT ${MESSAGE_SELECT}, ${CITATIONS_OF_M} AS citations, m.id = t.id AS me
FROM chat_sessions s
JOIN messages t ON t.user_id = s.user_id AND t.client_id = $3 AND t.session_id = s.id
JOIN messages m ON m.session_id = s.id
  AND (m.parent_id = t.parent_id OR (t.parent_id IS NULL AND m.parent_id IS NULL))
WHERE s.id = $1::uuid AND s.user_id = $2 AND s.trashed_at IS NULL
ORDER BY m.seq`;

/**
 * Moves the leaf to a message of the session ($3, its client id), or with $4 to the newest
 * message under it (the newest message of a subtree has no children: it is a leaf). The session
 * row is locked first, so a concurrent save waits and then builds on the new leaf.
 */
export const SWITCH_SQL = `
WITH RECURSIVE s AS (
  SELECT id, user_id FROM chat_sessions WHERE id = $1::uuid AND user_id = $2 AND trashed_at IS NULL FOR UPDATE
), t AS (
  SELECT m.id, m.seq FROM s JOIN messages m
    ON m.user_id = s.user_id AND m.client_id = $3 AND m.session_id = s.id
), below AS (
  SELECT id, seq FROM t
  UNION ALL
  SELECT c.id, c.seq FROM below JOIN messages c ON c.session_id = $1::uuid AND c.parent_id = below.id
  WHERE $4::boolean AND c.seq > below.seq
), target AS (
  SELECT id FROM below ORDER BY seq DESC LIMIT 1
), upd AS (
  UPDATE chat_sessions cs SET leaf_message_id = target.id FROM target
  WHERE cs.id = $1::uuid AND cs.leaf_message_id IS DISTINCT FROM target.id
)
SELECT ${MESSAGE_SELECT}, ${CITATIONS_OF_M} AS citations FROM target JOIN messages m ON m.id = target.id`;

/** A stream id: 1..255 characters, or null. */
function streamId(value: unknown): string | null {
  if (value === null) return null;
  return v.text('active_stream_id', value, 255, 1);
}

type BranchFunctions = Pick<
  MessagesModule,
  'activePath' | 'siblings' | 'switchBranch' | 'setActiveStream' | 'abortStale'
>;

/** Branch, stream and lifecycle functions of the messages module. */
export function createBranches(
  sql: Sql,
  page: (o: unknown) => { limit: number; after: number; before: number | null },
): BranchFunctions {
  return {
    async activePath(userId, sessionId, options) {
      const p = page(options);
      return readPath(sql, userId, sessionId, { ...p, backward: p.before !== null });
    },

    async siblings(userId, sessionId, messageId) {
      const r = await sql.query<Row>(
        SIBLINGS_SQL,
        [v.uuid('session', sessionId), v.userId(userId), v.text('message', messageId, 255, 1)],
        'session',
      );
      if (r.rows.length === 0) throw notFound('message');
      return { data: r.rows.map(toMessage), index: r.rows.findIndex((row) => row.me === true) };
    },

    async switchBranch(userId, sessionId, messageId, rawOptions) {
      const options = v.options(rawOptions, ['descend']);
      if (options.descend !== undefined && typeof options.descend !== 'boolean')
        throw invalidInput('descend', 'must be a boolean');
      const r = await sql.query<Row>(
        SWITCH_SQL,
        [
          v.uuid('session', sessionId),
          v.userId(userId),
          v.text('message', messageId, 255, 1),
          options.descend === true,
        ],
        'session',
      );
      if (!r.rows[0]) throw notFound('message');
      return toMessage(r.rows[0]);
    },

    async setActiveStream(userId, sessionId, id) {
      const r = await sql.query<Row>(
        `UPDATE chat_sessions SET active_stream_id = $3 WHERE id = $1::uuid AND user_id = $2 AND trashed_at IS NULL
         RETURNING ${SESSION_COLUMNS}`,
        [v.uuid('session', sessionId), v.userId(userId), streamId(id)],
        'session',
      );
      if (!r.rows[0]) throw notFound('session');
      return toSession(r.rows[0]);
    },

    async abortStale(rawOptions) {
      const options = v.options(rawOptions, ['olderThanMs']);
      // Up to 100 years: far past any reply, and inside what an interval holds.
      const ms = v.int('olderThanMs', options.olderThanMs, 0, 100 * 365 * 86_400_000);
      // messages_streaming_idx holds only the streaming rows: this reads nothing else.
      const r = await sql.query(
        `UPDATE messages SET status = 'aborted'
         WHERE status = 'streaming' AND updated_at < now() - $1::double precision * interval '1 millisecond'`,
        [ms],
      );
      return r.rowCount;
    },
  };
}
