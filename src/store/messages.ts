import { invalidInput } from '../errors.js';
import { append, appendAs } from './append.js';
import { createBranches, readPath } from './branches.js';
import { clientId } from './parts.js';
import { CITATIONS_OF_M, MESSAGE_SELECT, toMessage } from './rows.js';
import type { Sql } from './sql-errors.js';
import type { MessagePageOptions, MessagesModule, UpsertResult } from './types.js';
import { checkUpsert, MAX_SAVE_MANY, savePath } from './upsert.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

export const DEFAULT_MESSAGE_PAGE = 50;
export const MAX_MESSAGE_PAGE = 1000;

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

/** Validates page options: limit 1..1000 (default 50), after_seq >= 0, before_seq >= 1. */
function page(raw: unknown) {
  const options = v.options(raw as MessagePageOptions | undefined, ['limit', 'afterSeq', 'beforeSeq']);
  const limit = v.limit(options.limit, MAX_MESSAGE_PAGE, DEFAULT_MESSAGE_PAGE);
  const after = options.afterSeq === undefined ? 0 : v.int('after_seq', options.afterSeq, 0, 2 ** 31 - 1);
  const before =
    options.beforeSeq === undefined ? null : v.int('before_seq', options.beforeSeq, 1, 2 ** 31 - 1);
  return { limit, after, before };
}

/** Messages: append (append.ts), upserts of AI SDK messages (upsert.ts), pages, last N, full-text search. */
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
    append: (userId, sessionId, input) => append(sql, userId, sessionId, input),
    appendAs: (token, sessionId, input) => appendAs(sql, token, sessionId, input),

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
