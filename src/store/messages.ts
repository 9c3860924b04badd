import { createHash } from 'node:crypto';
import { uuidv7 } from 'uuidv7';
import { type PgError, pgCode } from '../db/errors.js';
import { ChatDbError, invalidInput, notFound } from '../errors.js';
import { createBranches, readPath } from './branches.js';
import { clientId } from './parts.js';
import { CITATIONS_OF_M, MESSAGE_SELECT, toMessage } from './rows.js';
import type { Sql } from './sql-errors.js';
import type {
  AppendResult,
  MessageInput,
  MessagePageOptions,
  MessagesModule,
  UpsertResult,
} from './types.js';
import { checkUpsert, MAX_SAVE_MANY, savePath } from './upsert.js';
import { checkUsage, recorded, usageParams } from './usage.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

export const DEFAULT_MESSAGE_PAGE = 50;
export const MAX_MESSAGE_PAGE = 1000;

/**
 * Append in one round trip: chatdb_append_message (migration 20261203000006_chatdb_chat_append_function)
 * runs the append statement inside a PL/pgSQL function, whose plan the server keeps per connection
 * instead of planning it on every append (docs/design.md, "The append is a function"). It locks the
 * caller's session row (FOR UPDATE: concurrent appends queue there, and each sees the count and leaf
 * the previous one committed), finds an earlier message with the same idempotency key, or else
 * inserts the message (seq = message_count + 1, the content as one text part, the owner's user_id,
 * the uuid as its client id, the session's leaf as its parent) and its citations, and moves the
 * session's counters, leaf and last_message_at (GREATEST: created_at is now(), the start of the
 * transaction, so an append that waited behind a later-started one does not move it back). No row
 * comes back when the session is not the caller's.
 * $1 session, $2 user, $3 message id (UUIDv7), $4 role, $5 content, $6 selected_text, $7 metadata,
 * $8 idempotency key, $9 request hash, $10 citations, $11 model, $12 input tokens, $13 output tokens,
 * $14 latency (ms); the usage parameters are null when not recorded.
 */
export const APPEND_SQL = `SELECT * FROM chatdb_append_message($1::uuid, $2::text, $3::uuid, $4::text, $5::text,
  $6::text, $7::jsonb, $8::text, $9::text, $10::jsonb, $11::text, $12::integer, $13::integer, $14::integer)`;

/** The message a key already names (after losing a race on messages_idempotency_key_idx). */
const BY_KEY_SQL = `
SELECT ${MESSAGE_SELECT}, m.request_hash, ${CITATIONS_OF_M} AS citations
FROM messages m JOIN chat_sessions s ON s.id = m.session_id
WHERE m.session_id = $1::uuid AND s.user_id = $2 AND s.trashed_at IS NULL AND m.idempotency_key = $3`;

/**
 * Full-text search over one user's messages. (user_id, to_tsvector('english', content)) is exactly
 * messages_user_content_fts_idx's key, so the GIN index finds this user's matches alone (btree_gin
 * indexes user_id next to the lexemes); numnode = 0 means the query was only stop words or
 * punctuation, which matches nothing. Ties break on (created_at, id). Messages of a trashed session
 * are left out: the anti-join reads this user's trash (chat_sessions_user_trash_idx) or looks up
 * each match's session by its primary key, whichever the planner finds cheaper.
 */
export const SEARCH_SQL = `
SELECT ${MESSAGE_SELECT}, ${CITATIONS_OF_M} AS citations,
       ts_rank(to_tsvector('english', m.content), websearch_to_tsquery('english', $2)) AS rank
FROM messages m
WHERE numnode(websearch_to_tsquery('english', $2)) > 0 AND m.user_id = $1
  AND to_tsvector('english', m.content) @@ websearch_to_tsquery('english', $2)
  AND NOT EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = m.session_id AND s.user_id = $1 AND s.trashed_at IS NOT NULL)
ORDER BY rank DESC, m.created_at DESC, m.id DESC
LIMIT $3`;

const MESSAGE_KEYS = ['role', 'content', 'selectedText', 'metadata', 'citations', 'idempotencyKey', 'usage'];

/** JSON with object keys sorted, so equal requests hash equally whatever their key order. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    const entries = Object.entries(x as Record<string, unknown>)
      .filter(([, val]) => val !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, val]) => `${JSON.stringify(k)}:${canonical(val)}`).join(',')}}`;
  }
  return JSON.stringify(x);
}

/** SHA-256 (hex) of the canonical JSON of what an append stores. */
export const requestHash = (body: unknown): string =>
  createHash('sha256').update(canonical(body)).digest('hex');

function replayed(row: Row, hash: string | null): AppendResult {
  if (row.request_hash !== hash)
    throw new ChatDbError('conflict', 'idempotency key already used for a different message');
  return { message: toMessage(row), created: false };
}

/** Validates page options: limit 1..1000 (default 50), after_seq >= 0, before_seq >= 1. */
function page(raw: unknown) {
  const options = v.options(raw as MessagePageOptions | undefined, ['limit', 'afterSeq', 'beforeSeq']);
  const limit = v.limit(options.limit, MAX_MESSAGE_PAGE, DEFAULT_MESSAGE_PAGE);
  const after = options.afterSeq === undefined ? 0 : v.int('after_seq', options.afterSeq, 0, 2 ** 31 - 1);
  const before =
    options.beforeSeq === undefined ? null : v.int('before_seq', options.beforeSeq, 1, 2 ** 31 - 1);
  return { limit, after, before };
}

/** Messages: append (one round trip, idempotent with a key), pages, last N, full-text search. */
export function createMessages(sql: Sql): MessagesModule {
  const branches = createBranches(sql, page);
  return {
    ...branches,

    upsert: async (userId, sessionId, input) =>
      (await savePath(sql, userId, sessionId, [checkUpsert(input)], 'leaf'))[0] as UpsertResult,

    async saveMany(userId, sessionId, messages, rawOptions) {
      const options = v.options(rawOptions, ['parentId']);
      if (!Array.isArray(messages)) throw invalidInput('messages', 'must be an array');
      if (messages.length > MAX_SAVE_MANY)
        throw invalidInput('messages', `at most ${MAX_SAVE_MANY} messages`);
      const list = messages.map((m, i) => checkUpsert(m, `messages[${i}]`, true));
      for (const [i, m] of list.entries()) {
        const before = i === 0 ? options.parentId : list[i - 1]?.clientId;
        if (m.parentId !== undefined && (i > 0 || options.parentId !== undefined) && m.parentId !== before)
          throw invalidInput(`messages[${i}].parentId`, 'in a path, the parent is the message before');
      }
      const first = list[0];
      if (first && first.parentId === undefined && options.parentId !== undefined)
        list[0] = {
          ...first,
          parentId: options.parentId === null ? null : clientId('parentId', options.parentId),
        };
      return savePath(sql, userId, sessionId, list, 'root');
    },
    async append(userId, sessionId, input: MessageInput) {
      const session = v.uuid('session', sessionId);
      const owner = v.userId(userId);
      if (input === null || typeof input !== 'object' || Array.isArray(input))
        throw invalidInput('message', 'must be an object');
      v.knownKeys(input, MESSAGE_KEYS);
      const role = v.role(input.role);
      const body = {
        role,
        content: v.messageContent(role, input.content),
        selected_text: v.optionalText('selected_text', input.selectedText, v.LIMITS.selectedText),
        metadata: input.metadata === undefined ? {} : v.metadata('metadata', input.metadata),
        citations: v.citations(input.citations),
        // Hashed only when it records something: a retry of a request from before usage existed,
        // or with `usage: null`, still matches.
        usage: recorded(checkUsage(input.usage)),
      };
      const key = v.idempotencyKey(input.idempotencyKey);
      const hash = key === null ? null : requestHash(body);
      const params = [
        session,
        owner,
        uuidv7(),
        body.role,
        body.content,
        body.selected_text,
        JSON.stringify(body.metadata),
        key,
        hash,
        JSON.stringify(body.citations),
        ...usageParams(body.usage),
      ];
      let rows: Row[];
      try {
        rows = (await sql.query<Row>(APPEND_SQL, params, 'session')).rows;
      } catch (e) {
        const pe = (e as { cause?: unknown }).cause ?? e;
        // Lost a race with a concurrent append of the same key: return the winner's message.
        if (
          key !== null &&
          pgCode(pe) === '23505' &&
          (pe as PgError).constraint === 'messages_idempotency_key_idx'
        ) {
          const again = await sql.query<Row>(BY_KEY_SQL, [session, owner, key], 'session');
          if (again.rows[0]) return replayed(again.rows[0], hash);
        }
        throw e;
      }
      const row = rows[0];
      if (!row) throw notFound('session');
      return row.created === true ? { message: toMessage(row), created: true } : replayed(row, hash);
    },

    // The conversation is the active path: for a chat without branches, every message.
    list: (userId, sessionId, options) => branches.activePath(userId, sessionId, options),

    async last(userId, sessionId, n) {
      const limit = v.int('n', n ?? 20, 1, MAX_MESSAGE_PAGE);
      const res = await readPath(sql, userId, sessionId, { limit, after: 0, before: null, backward: true });
      return res.data;
    },

    async search(userId, query, options) {
      const owner = v.userId(userId);
      const q = v.text('q', query, v.LIMITS.searchQuery);
      const limit = v.limit(v.options(options, ['limit']).limit, 100, 20);
      if (q.trim() === '') return [];
      const r = await sql.query<Row>(SEARCH_SQL, [owner, q, limit], 'user');
      return r.rows.map((row) => ({
        sessionId: String(row.session_id),
        message: toMessage(row),
        rank: Number(row.rank),
      }));
    },
  };
}
