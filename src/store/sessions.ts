import { invalidInput, notFound } from '../errors.js';
import { loadConversation } from './citations.js';
import { SESSION_COLUMNS, toSession } from './rows.js';
import type { Sql } from './sql-errors.js';
import type { ChatSession, JsonValue, SessionPatch, SessionsModule } from './types.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

/** Page size of `sessions.list`: default 20, at most 100. */
export const DEFAULT_SESSION_PAGE = 20;
export const MAX_SESSION_PAGE = 100;

/** The opaque cursor after `s`: base64url of its updated_at (ISO, ms) and id. */
export const encodeCursor = (s: ChatSession): string =>
  Buffer.from(`${s.updatedAt.toISOString()}|${s.id}`, 'utf8').toString('base64url');

/** Reads a cursor back; anything that `encodeCursor` did not make is invalid_input. */
export function decodeCursor(cursor: string): { updatedAt: Date; id: string } {
  const bad = () => invalidInput('cursor', 'is not a cursor this API returned');
  if (typeof cursor !== 'string' || cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  const [iso, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const updatedAt = new Date(iso ?? '');
  if (extra !== undefined || !v.isUuid(id) || !v.isDateInRange(updatedAt) || updatedAt.toISOString() !== iso)
    throw bad();
  return { updatedAt, id };
}

/** First page of a user's sessions: chat_sessions_user_recent_idx (user_id, updated_at DESC, id DESC), no sort. */
export const SESSIONS_FIRST_SQL = `SELECT ${SESSION_COLUMNS} FROM chat_sessions WHERE user_id = $1
  ORDER BY updated_at DESC, id DESC LIMIT $2`;

/** The page after a cursor: the row comparison is an index condition on the same index. */
export const SESSIONS_AFTER_SQL = `SELECT ${SESSION_COLUMNS} FROM chat_sessions
  WHERE user_id = $1 AND (updated_at, id) < ($3::timestamptz, $4::uuid)
  ORDER BY updated_at DESC, id DESC LIMIT $2`;

/** The fields of a session input and of a patch. */
const SESSION_KEYS = ['title', 'metadata'];

/** Splits a metadata patch into keys to set and keys to remove (null values). */
function splitPatch(patch: { [key: string]: JsonValue }): { set: string; remove: string[] } {
  const checked = v.metadata('metadata', patch);
  const set: { [key: string]: JsonValue } = {};
  const remove: string[] = [];
  for (const [k, x] of Object.entries(checked)) {
    if (x === null) remove.push(k);
    else if (x !== undefined) set[k] = x;
  }
  return { set: JSON.stringify(set), remove };
}

/** Chat sessions, always addressed with their owner's id. */
export function createSessions(sql: Sql): SessionsModule {
  const get = async (userId: string, sessionId: string): Promise<ChatSession> => {
    const r = await sql.query<Row>(
      `SELECT ${SESSION_COLUMNS} FROM chat_sessions WHERE id = $1::uuid AND user_id = $2`,
      [v.uuid('session', sessionId), v.userId(userId)],
      'session',
    );
    if (!r.rows[0]) throw notFound('session');
    return toSession(r.rows[0]);
  };

  const update = async (userId: string, sessionId: string, patch: SessionPatch): Promise<ChatSession> => {
    const id = v.uuid('session', sessionId);
    const owner = v.userId(userId);
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
      throw invalidInput('patch', 'must be an object');
    v.knownKeys(patch, SESSION_KEYS);
    const hasTitle = patch.title !== undefined;
    const title = hasTitle ? v.optionalText('title', patch.title, v.LIMITS.title) : null;
    const { set, remove } =
      patch.metadata === undefined ? { set: '{}', remove: [] } : splitPatch(patch.metadata);
    // Nothing to change: do not bump updated_at (it orders the session list).
    if (!hasTitle && set === '{}' && remove.length === 0) return get(owner, id);
    // One UPDATE: the merge happens on the locked row version, so concurrent merges lose no key.
    const r = await sql.query<Row>(
      `UPDATE chat_sessions SET
         title = CASE WHEN $3::boolean THEN $4::text ELSE title END,
         metadata = (metadata || $5::jsonb) - $6::text[]
       WHERE id = $1::uuid AND user_id = $2
       RETURNING ${SESSION_COLUMNS}`,
      [id, owner, hasTitle, title, set, remove],
      'session',
    );
    if (!r.rows[0]) throw notFound('session');
    return toSession(r.rows[0]);
  };

  return {
    async create(userId, rawInput) {
      const input = v.options(rawInput, SESSION_KEYS, 'input');
      const title = v.optionalText('title', input.title, v.LIMITS.title);
      const metadata = input.metadata === undefined ? {} : v.metadata('metadata', input.metadata);
      const r = await sql.query<Row>(
        `INSERT INTO chat_sessions (user_id, title, metadata) VALUES ($1, $2, $3::jsonb) RETURNING ${SESSION_COLUMNS}`,
        [v.userId(userId), title, JSON.stringify(metadata)],
        'user',
      );
      return toSession(r.rows[0] as Row);
    },

    get,

    async list(userId, rawOptions) {
      const owner = v.userId(userId);
      const options = v.options(rawOptions, ['limit', 'cursor']);
      const limit = v.limit(options.limit, MAX_SESSION_PAGE, DEFAULT_SESSION_PAGE);
      const after = options.cursor ? decodeCursor(options.cursor) : null;
      const r = after
        ? await sql.query<Row>(SESSIONS_AFTER_SQL, [owner, limit + 1, after.updatedAt, after.id], 'user')
        : await sql.query<Row>(SESSIONS_FIRST_SQL, [owner, limit + 1], 'user');
      const data = r.rows.slice(0, limit).map(toSession);
      const last = data.at(-1);
      return { data, nextCursor: r.rows.length > limit && last ? encodeCursor(last) : null };
    },

    update,
    rename: (userId, sessionId, title) => update(userId, sessionId, { title }),
    mergeMetadata: async (userId, sessionId, patch) => {
      if (patch === null || typeof patch !== 'object')
        throw invalidInput('metadata', 'must be a JSON object');
      return update(userId, sessionId, { metadata: patch });
    },

    async delete(userId, sessionId) {
      const r = await sql.query(
        `DELETE FROM chat_sessions WHERE id = $1::uuid AND user_id = $2`,
        [v.uuid('session', sessionId), v.userId(userId)],
        'session',
      );
      if (r.rowCount === 0) throw notFound('session');
    },

    conversation: (userId, sessionId) => loadConversation(sql, userId, sessionId),
  };
}
