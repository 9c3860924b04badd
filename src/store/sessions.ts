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

/** Where a walk is: the last session listed, the walk's snapshot and its updatedSince. */
export interface CursorState {
  readonly updatedAt: Date;
  readonly id: string;
  readonly snapshotAt: Date | null;
  readonly updatedSince: Date | null;
}

const iso = (d: Date | null): string => (d ? d.toISOString() : '');

/**
 * The opaque cursor after `s`: base64url of its updated_at (ISO, ms) and id, then the walk's
 * snapshot and updatedSince (empty when null), so every page of a walk answers alike.
 */
export const encodeCursor = (
  s: ChatSession,
  walk: Omit<CursorState, 'updatedAt' | 'id'> = { snapshotAt: null, updatedSince: null },
): string =>
  Buffer.from(
    `${s.updatedAt.toISOString()}|${s.id}|${iso(walk.snapshotAt)}|${iso(walk.updatedSince)}`,
    'utf8',
  ).toString('base64url');

/** Reads a cursor back; anything that `encodeCursor` did not make is invalid_input. */
export function decodeCursor(cursor: string): CursorState {
  const bad = () => invalidInput('cursor', 'is not a cursor this API returned');
  if (typeof cursor !== 'string' || cursor.length > 300 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  // Only the one spelling encodeCursor makes (base64url lets trailing bits vary).
  if (Buffer.from(text, 'utf8').toString('base64url') !== cursor) throw bad();
  const parts = text.split('|');
  // Two parts: a cursor from before walks carried a snapshot.
  if (parts.length !== 2 && parts.length !== 4) throw bad();
  const [at, id, snap = '', since = ''] = parts;
  const instant = (text: string | undefined, optional: boolean): Date | null => {
    if (optional && text === '') return null;
    const d = new Date(text ?? '');
    if (!v.isDateInRange(d) || d.toISOString() !== text) throw bad();
    return d;
  };
  const updatedAt = instant(at, false) as Date;
  if (!v.isUuid(id)) throw bad();
  return { updatedAt, id, snapshotAt: instant(snap, true), updatedSince: instant(since, true) };
}

/** First page of a user's sessions: chat_sessions_user_recent_idx (user_id, updated_at DESC, id DESC), no sort. */
export const SESSIONS_FIRST_SQL = `SELECT ${SESSION_COLUMNS} FROM chat_sessions WHERE user_id = $1
  ORDER BY updated_at DESC, id DESC LIMIT $2`;

/** The page after a cursor: the row comparison is an index condition on the same index. */
export const SESSIONS_AFTER_SQL = `SELECT ${SESSION_COLUMNS} FROM chat_sessions
  WHERE user_id = $1 AND (updated_at, id) < ($3::timestamptz, $4::uuid)
  ORDER BY updated_at DESC, id DESC LIMIT $2`;

/**
 * A page of the sessions updated since $5 (the recovery walk), first page or after a cursor (the
 * first page passes 'infinity' and the greatest uuid): both bounds are index conditions on
 * chat_sessions_user_recent_idx, in its order.
 */
export const SESSIONS_SINCE_SQL = `SELECT ${SESSION_COLUMNS} FROM chat_sessions
  WHERE user_id = $1 AND (updated_at, id) < ($3::timestamptz, $4::uuid) AND updated_at >= $5::timestamptz
  ORDER BY updated_at DESC, id DESC LIMIT $2`;

const LAST_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

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
      const options = v.options(rawOptions, ['limit', 'cursor', 'updatedSince']);
      const limit = v.limit(options.limit, MAX_SESSION_PAGE, DEFAULT_SESSION_PAGE);
      const after = options.cursor ? decodeCursor(options.cursor) : null;
      const given =
        options.updatedSince === undefined || options.updatedSince === null
          ? null
          : v.date('updatedSince', options.updatedSince);
      if (after && given && after.updatedSince?.getTime() !== given.getTime())
        throw invalidInput('updatedSince', 'differs from the one of the walk its cursor belongs to');
      const since = after ? after.updatedSince : given;
      const r = since
        ? await sql.query<Row>(
            SESSIONS_SINCE_SQL,
            [owner, limit + 1, after ? after.updatedAt : 'infinity', after ? after.id : LAST_UUID, since],
            'user',
          )
        : after
          ? await sql.query<Row>(SESSIONS_AFTER_SQL, [owner, limit + 1, after.updatedAt, after.id], 'user')
          : await sql.query<Row>(SESSIONS_FIRST_SQL, [owner, limit + 1], 'user');
      const data = r.rows.slice(0, limit).map(toSession);
      // The walk's snapshot is fixed by its first page: the newest session then (or, for a walk
      // of what moved, its updatedSince when nothing had).
      const snapshotAt = after ? after.snapshotAt : (data[0]?.updatedAt ?? since);
      const last = data.at(-1);
      return {
        data,
        nextCursor:
          r.rows.length > limit && last ? encodeCursor(last, { snapshotAt, updatedSince: since }) : null,
        snapshotAt,
      };
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
