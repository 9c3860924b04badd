import { invalidInput, notFound } from '../errors.js';
import { loadConversation } from './citations.js';
import { SESSION_COLUMNS, toSession } from './rows.js';
import { listSessions } from './session-list.js';
import type { Sql } from './sql-errors.js';
import type { ChatSession, JsonValue, SessionPatch, SessionsModule } from './types.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

export {
  type CursorState,
  DEFAULT_SESSION_PAGE,
  decodeCursor,
  encodeCursor,
  MAX_SESSION_PAGE,
  SESSIONS_AFTER_SQL,
  SESSIONS_FIRST_SQL,
  SESSIONS_SINCE_SQL,
  SESSIONS_TRASH_SQL,
} from './session-list.js';

/** The fields of a session input and of a patch. */
const SESSION_KEYS = ['title', 'metadata'];
const PATCH_KEYS = [...SESSION_KEYS, 'pinned', 'archived'];

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

/** An optional boolean field of a patch: undefined (unchanged), or true/false. */
function optionalFlag(name: string, x: unknown): boolean | null {
  if (x === undefined) return null;
  if (typeof x !== 'boolean') throw invalidInput(name, 'must be a boolean');
  return x;
}

/**
 * Chat sessions, always addressed with their owner's id; a trashed session is `not_found` to all
 * but `list({ trashed: true })`, `restore` and `delete`. `retentionDays`: how long the trash keeps one.
 */
export function createSessions(sql: Sql, retentionDays: number): SessionsModule {
  const get = async (userId: string, sessionId: string): Promise<ChatSession> => {
    const r = await sql.query<Row>(
      `SELECT ${SESSION_COLUMNS} FROM chat_sessions WHERE id = $1::uuid AND user_id = $2 AND trashed_at IS NULL`,
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
    v.knownKeys(patch, PATCH_KEYS);
    const hasTitle = patch.title !== undefined;
    const title = hasTitle ? v.optionalText('title', patch.title, v.LIMITS.title) : null;
    const pinned = optionalFlag('pinned', patch.pinned);
    const archived = optionalFlag('archived', patch.archived);
    const { set, remove } =
      patch.metadata === undefined ? { set: '{}', remove: [] } : splitPatch(patch.metadata);
    // Nothing to change: do not bump updated_at (it orders the session list).
    if (!hasTitle && set === '{}' && remove.length === 0 && pinned === null && archived === null)
      return get(owner, id);
    // One UPDATE: the merge happens on the locked row version, so concurrent merges lose no key.
    // Pinning and archiving move updated_at like any change (docs/design.md, "Pin, archive, trash").
    const r = await sql.query<Row>(
      `UPDATE chat_sessions SET
         title = CASE WHEN $3::boolean THEN $4::text ELSE title END,
         metadata = (metadata || $5::jsonb) - $6::text[],
         pinned = coalesce($7::boolean, pinned),
         archived = coalesce($8::boolean, archived)
       WHERE id = $1::uuid AND user_id = $2 AND trashed_at IS NULL
       RETURNING ${SESSION_COLUMNS}`,
      [id, owner, hasTitle, title, set, remove, pinned, archived],
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

    list: (userId, options) => listSessions(sql, retentionDays, userId, options),

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

    async trash(userId, sessionId) {
      const r = await sql.query(
        `UPDATE chat_sessions SET trashed_at = now() WHERE id = $1::uuid AND user_id = $2 AND trashed_at IS NULL`,
        [v.uuid('session', sessionId), v.userId(userId)],
        'session',
      );
      if (r.rowCount === 0) throw notFound('session');
    },

    async restore(userId, sessionId) {
      // Only within the retention period: past it, the session waits for purge and is gone to the user.
      const r = await sql.query<Row>(
        `UPDATE chat_sessions SET trashed_at = NULL
         WHERE id = $1::uuid AND user_id = $2 AND trashed_at > now() - $3::double precision * interval '1 day'
         RETURNING ${SESSION_COLUMNS}`,
        [v.uuid('session', sessionId), v.userId(userId), retentionDays],
        'session',
      );
      if (!r.rows[0]) throw notFound('session');
      return toSession(r.rows[0]);
    },

    conversation: (userId, sessionId) => loadConversation(sql, userId, sessionId),
  };
}
