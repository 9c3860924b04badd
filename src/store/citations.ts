import { notFound } from '../errors.js';
import {
  CITATION_JSON,
  CITATIONS_OF_M,
  leafOf,
  MESSAGE_SELECT,
  SESSION_PLAIN_COLUMNS,
  toCitation,
  toMessage,
  toSession,
  unprefix,
} from './rows.js';
import type { Sql } from './sql-errors.js';
import type { Citation, Conversation, Message } from './types.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

/** A document and how often it is cited. */
export interface DocumentCitationCount {
  readonly documentId: string;
  readonly citations: number;
  /** Distinct messages that cite it. */
  readonly messages: number;
  readonly avgScore: number | null;
  readonly lastCitedAt: Date;
}

/** A message that cites a document, with where it lives. */
export interface CitingMessage {
  readonly userId: string;
  readonly sessionId: string;
  /** The message with all its citations. */
  readonly message: Message;
}

export interface CitationsModule {
  /** The citations of one of the user's messages, in citation_index order. `not_found` if not theirs. */
  forMessage(userId: string, messageId: string): Promise<Citation[]>;
  /** A session with every message and its citations, oldest first (one statement). */
  conversation(userId: string, sessionId: string): Promise<Conversation>;
  /** Most cited documents, optionally of one user's messages and/or since a time. limit 1..1000, default 20. */
  mostCited(options?: { userId?: string; since?: Date; limit?: number }): Promise<DocumentCitationCount[]>;
  /** Messages citing `documentId`, newest first; owner-scoped when `userId` is given. limit 1..1000, default 50. */
  messagesCiting(documentId: string, options?: { userId?: string; limit?: number }): Promise<CitingMessage[]>;
}

const S_COLUMNS = `${SESSION_PLAIN_COLUMNS.replace(/(\w+)/g, 's.$1 AS s_$1')}, ${leafOf('s')} AS s_leaf_client_id`;
const M_COLUMNS = MESSAGE_SELECT;

/**
 * The conversation in one statement: the active path, walked up from the session's leaf by
 * primary-key look-ups (see branches.ts), with the session's columns on every row (consistent
 * with the messages by construction) and each message with `json_agg(...) FILTER (WHERE ...)` of
 * its citations, so a message without citations gets `[]` rather than `[null]`.
 */
export const CONVERSATION_SQL = `
  WITH RECURSIVE s AS (
    SELECT * FROM chat_sessions WHERE id = $1::uuid AND user_id = $2 AND trashed_at IS NULL
  ), path AS (
    SELECT m.id, m.seq, m.parent_id FROM s JOIN messages m ON m.id = s.leaf_message_id
    UNION ALL
    SELECT p.id, p.seq, p.parent_id FROM path JOIN messages p ON p.id = path.parent_id WHERE p.seq < path.seq
  )
  SELECT ${S_COLUMNS}, m.*
  FROM s
  LEFT JOIN LATERAL (
    SELECT ${M_COLUMNS},
      coalesce(json_agg(${CITATION_JSON} ORDER BY c.citation_index) FILTER (WHERE c.message_id IS NOT NULL),
               '[]'::json) AS citations
    FROM path JOIN messages m ON m.id = path.id LEFT JOIN message_citations c ON c.message_id = m.id
    GROUP BY m.id
  ) m ON true
  ORDER BY m.seq`;

/**
 * Messages citing a document ($1), newest first, at most $2; of one owner ($3) when scoped. A
 * citation carries its owner's user_id (written with it, from the session's), so
 * message_citations_user_document_idx finds an owner's citing rows (unscoped:
 * message_citations_document_id_idx); the messages are primary-key look-ups.
 */
export const citingSql = (ownerScoped: boolean): string => `
  SELECT m.user_id AS owner_id, ${M_COLUMNS}, ${CITATIONS_OF_M} AS citations
  FROM messages m
  WHERE m.id IN (SELECT message_id FROM message_citations WHERE document_id = $1${ownerScoped ? ' AND user_id = $3' : ''})
  ORDER BY m.created_at DESC, m.id DESC
  LIMIT $2`;

/**
 * The most cited documents ($1 limit, $2 since or null), of one owner ($3) when scoped: then
 * message_citations_user_document_idx holds that owner's citations, grouped by document already.
 */
export const mostCitedSql = (ownerScoped: boolean): string => `
  SELECT document_id, count(*) AS citations, count(DISTINCT message_id) AS messages,
         avg(score) AS avg_score, max(created_at) AS last_cited_at
  FROM message_citations
  WHERE ${ownerScoped ? 'user_id = $3 AND ' : ''}($2::timestamptz IS NULL OR created_at >= $2::timestamptz)
  GROUP BY document_id
  ORDER BY citations DESC, document_id
  LIMIT $1`;

/** A message's public id (a client id, at most 255 code points); anything else names nothing. */
const messageIdOf = (id: unknown): string => {
  if (typeof id !== 'string' || id.length === 0 || v.charLength(id) > 255 || id.includes('\u0000'))
    throw notFound('message');
  return id;
};

/** Loads a conversation (shared by `sessions.conversation` and `citations.conversation`). */
export async function loadConversation(sql: Sql, userId: string, sessionId: string): Promise<Conversation> {
  const r = await sql.query<Row>(
    CONVERSATION_SQL,
    [v.uuid('session', sessionId), v.userId(userId)],
    'session',
  );
  const first = r.rows[0];
  if (!first) throw notFound('session');
  return {
    session: toSession(unprefix(first, 's_')),
    messages: r.rows.filter((row) => row.id !== null).map(toMessage),
  };
}

/** Citation reports and look-ups (chat scope). */
export function createCitations(sql: Sql): CitationsModule {
  return {
    async forMessage(userId, messageId) {
      const r = await sql.query<Row>(
        // The public id is the client id: messages_user_client_id_key finds it among the user's.
        `SELECT m.id, ${CITATIONS_OF_M} AS citations FROM messages m WHERE m.client_id = $1 AND m.user_id = $2
         AND NOT EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = m.session_id AND s.trashed_at IS NOT NULL)`,
        [messageIdOf(messageId), v.userId(userId)],
        'message',
      );
      if (!r.rows[0]) throw notFound('message');
      return (r.rows[0].citations as Row[]).map(toCitation);
    },

    conversation: (userId, sessionId) => loadConversation(sql, userId, sessionId),

    async mostCited(rawOptions) {
      const options = v.options(rawOptions, ['userId', 'since', 'limit']);
      const limit = v.limit(options.limit, 1000, 20);
      const since = options.since === undefined ? null : v.date('since', options.since);
      const owner = options.userId === undefined ? null : v.userId(options.userId);
      const r = await sql.query<Row>(
        mostCitedSql(owner !== null),
        owner === null ? [limit, since] : [limit, since, owner],
        'user',
      );
      return r.rows.map((row) => ({
        documentId: String(row.document_id),
        citations: Number(row.citations),
        messages: Number(row.messages),
        avgScore: row.avg_score === null ? null : Number(row.avg_score),
        lastCitedAt: row.last_cited_at as Date,
      }));
    },

    async messagesCiting(documentId, rawOptions) {
      const doc = v.documentId('document_id', documentId);
      const options = v.options(rawOptions, ['userId', 'limit']);
      const limit = v.limit(options.limit, 1000, 50);
      const owner = options.userId === undefined ? null : v.userId(options.userId);
      const r = await sql.query<Row>(
        citingSql(owner !== null),
        owner === null ? [doc, limit] : [doc, limit, owner],
        'user',
      );
      return r.rows.map((row) => ({
        userId: String(row.owner_id),
        sessionId: String(row.session_id),
        message: toMessage(row),
      }));
    },
  };
}
