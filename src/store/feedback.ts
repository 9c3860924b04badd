/**
 * Feedback on answers: one rating (up or down, a comment, tags) per user and assistant message of
 * their own sessions. Each call is one statement that checks the owner and the role as it writes.
 */
import { invalidInput, notFound } from '../errors.js';
import { toDate } from './rows.js';
import type { Sql } from './sql-errors.js';
import type { Feedback, FeedbackInput, FeedbackModule, Rating } from './types.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

export const RATINGS: readonly Rating[] = ['up', 'down'];

/** A feedback row (`f`) with its message's public id and session, as toFeedback reads it. */
export const FEEDBACK_SELECT =
  'm.client_id, m.session_id, f.rating, f.comment, f.tags, f.created_at, f.updated_at';

/** Tags come back as a JS array from both drivers; an unparsed array literal would be a bug. */
export const toFeedback = (r: Row): Feedback => ({
  messageId: String(r.client_id),
  sessionId: String(r.session_id),
  rating: r.rating as Rating,
  comment: r.comment === null || r.comment === undefined ? null : String(r.comment),
  tags: ((r.tags ?? []) as unknown[]).map(String),
  createdAt: toDate(r.created_at),
  updatedAt: toDate(r.updated_at),
});

/** A feedback input: rating up|down, comment <= 2,000 characters, <= 10 distinct tags of 1..50. */
export function feedbackInput(value: unknown): { rating: Rating; comment: string | null; tags: string[] } {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidInput('feedback', 'must be an object');
  const input = value as FeedbackInput;
  v.knownKeys(input, ['rating', 'comment', 'tags']);
  if (!RATINGS.includes(input.rating)) throw invalidInput('rating', `must be one of ${RATINGS.join(', ')}`);
  const comment = v.optionalText('comment', input.comment, v.LIMITS.feedbackComment);
  const raw: unknown = input.tags ?? [];
  if (!Array.isArray(raw)) throw invalidInput('tags', 'must be an array of strings');
  if (raw.length > v.LIMITS.feedbackTags) throw invalidInput('tags', `at most ${v.LIMITS.feedbackTags} tags`);
  const tags = [...new Set(raw.map((t, i) => v.text(`tags[${i}]`, t, v.LIMITS.feedbackTag, 1)))];
  return { rating: input.rating, comment, tags };
}

/** The message ($3, its client id) in the caller's session ($1, owner $2), with its role. */
const TARGET = `m AS (
  SELECT m.id, m.role, m.client_id, m.session_id FROM chat_sessions s
  JOIN messages m ON m.user_id = s.user_id AND m.client_id = $3 AND m.session_id = s.id
  WHERE s.id = $1::uuid AND s.user_id = $2 AND s.trashed_at IS NULL
)`;

/**
 * Rates the message or changes its rating, in one statement: the insert reads only an assistant
 * message of the caller's session. Zero rows: not theirs; a row with no rating: not an answer.
 */
export const SET_FEEDBACK_SQL = `
WITH ${TARGET}, f AS (
  INSERT INTO message_feedback (user_id, message_id, rating, comment, tags)
  SELECT $2, m.id, $4, $5, $6::text[] FROM m WHERE m.role = 'assistant'
  ON CONFLICT (user_id, message_id) DO UPDATE
    SET rating = EXCLUDED.rating, comment = EXCLUDED.comment, tags = EXCLUDED.tags
  RETURNING *
)
SELECT m.role, ${FEEDBACK_SELECT} FROM m LEFT JOIN f ON f.message_id = m.id`;

export const REMOVE_FEEDBACK_SQL = `
WITH ${TARGET}, f AS (
  DELETE FROM message_feedback f USING m
  WHERE f.user_id = $2 AND f.message_id = m.id AND m.role = 'assistant'
  RETURNING f.message_id
)
SELECT m.role, (SELECT count(*) FROM f) AS removed FROM m`;

export const GET_FEEDBACK_SQL = `
WITH ${TARGET}
SELECT m.role, ${FEEDBACK_SELECT} FROM m LEFT JOIN message_feedback f ON f.user_id = $2 AND f.message_id = m.id`;

/** A session's ratings in message order; zero rows: not the caller's session, one row of NULLs: none. */
export const LIST_FEEDBACK_SQL = `
SELECT f.* FROM chat_sessions s
LEFT JOIN LATERAL (
  SELECT ${FEEDBACK_SELECT} FROM messages m
  JOIN message_feedback f ON f.user_id = s.user_id AND f.message_id = m.id
  WHERE m.session_id = s.id
  ORDER BY m.seq
) f ON true
WHERE s.id = $1::uuid AND s.user_id = $2 AND s.trashed_at IS NULL`;

const notAnswer = () => invalidInput('message_id', 'feedback is only for assistant messages');

/** The feedback module (chat scope). */
export function createFeedback(sql: Sql): FeedbackModule {
  const ids = (userId: string, sessionId: string, messageId: string) => [
    v.uuid('session', sessionId),
    v.userId(userId),
    v.text('message', messageId, 255, 1),
  ];
  return {
    async set(userId, sessionId, messageId, input) {
      const params = ids(userId, sessionId, messageId);
      const f = feedbackInput(input);
      const r = await sql.query<Row>(SET_FEEDBACK_SQL, [...params, f.rating, f.comment, f.tags], 'session');
      const row = r.rows[0];
      if (!row) throw notFound('message');
      if (row.role !== 'assistant') throw notAnswer();
      return toFeedback(row);
    },

    async remove(userId, sessionId, messageId) {
      const r = await sql.query<Row>(REMOVE_FEEDBACK_SQL, ids(userId, sessionId, messageId), 'session');
      const row = r.rows[0];
      if (!row) throw notFound('message');
      if (row.role !== 'assistant') throw notAnswer();
      return Number(row.removed) > 0;
    },

    async get(userId, sessionId, messageId) {
      const r = await sql.query<Row>(GET_FEEDBACK_SQL, ids(userId, sessionId, messageId), 'session');
      const row = r.rows[0];
      if (!row) throw notFound('message');
      return row.rating === null || row.rating === undefined ? null : toFeedback(row);
    },

    async list(userId, sessionId) {
      const r = await sql.query<Row>(
        LIST_FEEDBACK_SQL,
        [v.uuid('session', sessionId), v.userId(userId)],
        'session',
      );
      if (r.rows.length === 0) throw notFound('session');
      return r.rows.filter((row) => row.client_id !== null).map(toFeedback);
    },
  };
}
