/**
 * The chat scope with its links to auth (migrations *_chatdb_chat*.sql and *_chatdb_link_*.sql):
 * sessions, messages (a tree of parts), RAG citations. In the `all` schema every user_id is a uuid;
 * chat_sessions.user_id references users, the other tables reach the user through their session.
 * `updated_at` is kept by a trigger; message_count, seq and the token totals by chatdb's writes.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  doublePrecision,
  foreignKey,
  index,
  integer,
  jsonb,
  type PgTableExtraConfigValue,
  pgTable,
  primaryKey,
  text,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { JsonObject, MessagePart } from '../../index.js';
import { users } from './auth.js';
import { timestamptz } from './columns.js';

export const chatSessions = pgTable(
  'chat_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').notNull(),
    title: text('title'),
    metadata: jsonb('metadata').$type<JsonObject>().notNull().default({}),
    messageCount: integer('message_count').notNull().default(0),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
    lastMessageAt: timestamptz('last_message_at'),
    /** The end of the active path (messages.id, the internal uuid); null before the first message. */
    leafMessageId: uuid('leaf_message_id'),
    activeStreamId: text('active_stream_id'),
    pinned: boolean('pinned').notNull().default(false),
    archived: boolean('archived').notNull().default(false),
    /** Set: in the trash, until restored or purged. */
    trashedAt: timestamptz('trashed_at'),
    /** Totals over the session's messages; far below 2^53, so numbers. */
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
  },
  // Annotated: this table and messages reference each other (the leaf, the session).
  (t): PgTableExtraConfigValue[] => [
    // SQL's DESC sorts nulls first; drizzle's .desc() alone would write DESC NULLS LAST.
    index('chat_sessions_user_list_idx')
      .on(
        t.userId,
        t.archived,
        t.pinned.desc().nullsFirst(),
        t.updatedAt.desc().nullsFirst(),
        t.id.desc().nullsFirst(),
      )
      .where(sql`trashed_at IS NULL`),
    index('chat_sessions_user_trash_idx').on(
      t.userId,
      t.trashedAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    index('chat_sessions_trashed_at_idx').on(t.trashedAt).where(sql`trashed_at IS NOT NULL`),
    index('chat_sessions_updated_at_idx').on(t.updatedAt),
    foreignKey({
      name: 'chat_sessions_user_id_fkey',
      columns: [t.userId],
      foreignColumns: [users.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'chat_sessions_leaf_fkey',
      columns: [t.id, t.leafMessageId],
      foreignColumns: [messages.sessionId, messages.id],
    }),
    check('chat_sessions_title_check', sql`char_length(title) <= 500`),
    check('chat_sessions_metadata_check', sql`jsonb_typeof(metadata) = 'object'`),
    check('chat_sessions_message_count_check', sql`message_count >= 0`),
    check('chat_sessions_active_stream_id_check', sql`char_length(active_stream_id) BETWEEN 1 AND 255`),
    check('chat_sessions_input_tokens_check', sql`input_tokens >= 0`),
    check('chat_sessions_output_tokens_check', sql`output_tokens >= 0`),
  ],
);

/** `id` is internal (citations, parents, the leaf reference it); chatdb's public message id is `clientId`. */
export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id').notNull(),
    /** Order of writes in the session, from 1, gap-free. */
    seq: integer('seq').notNull(),
    role: text('role', { enum: ['system', 'user', 'assistant', 'tool'] }).notNull(),
    /** The text of the text parts, joined by blank lines (searched by full text). */
    content: text('content').notNull(),
    selectedText: text('selected_text'),
    metadata: jsonb('metadata').$type<JsonObject>().notNull().default({}),
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    /** The session's owner, copied for per-user indexes. */
    userId: uuid('user_id').notNull(),
    /** The public id (the AI SDK's message id), unique per owner. */
    clientId: text('client_id').notNull(),
    parts: jsonb('parts').$type<MessagePart[]>().notNull(),
    status: text('status', { enum: ['streaming', 'complete', 'aborted', 'error'] })
      .notNull()
      .default('complete'),
    /** The message this one answers (same session); null for a root. */
    parentId: uuid('parent_id'),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
    model: text('model'),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    latencyMs: integer('latency_ms'),
  },
  (t) => [
    foreignKey({
      name: 'messages_session_id_fkey',
      columns: [t.sessionId],
      foreignColumns: [chatSessions.id],
    }).onDelete('cascade'),
    unique('messages_session_seq_key').on(t.sessionId, t.seq),
    unique('messages_session_id_id_key').on(t.sessionId, t.id),
    foreignKey({
      name: 'messages_parent_fkey',
      columns: [t.sessionId, t.parentId],
      foreignColumns: [t.sessionId, t.id],
    }).onDelete('cascade'),
    uniqueIndex('messages_idempotency_key_idx')
      .on(t.sessionId, t.idempotencyKey)
      .where(sql`idempotency_key IS NOT NULL`),
    uniqueIndex('messages_user_client_id_key').on(t.userId, t.clientId),
    index('messages_session_parent_idx').on(t.sessionId, t.parentId, t.seq),
    index('messages_streaming_idx').on(t.updatedAt).where(sql`status = 'streaming'`),
    // user_id through btree_gin's opclass, content through its tsvector: per-user full-text search.
    index('messages_user_content_fts_idx').using('gin', t.userId, sql`to_tsvector('english', content)`),
    check('messages_seq_check', sql`seq >= 1`),
    check('messages_role_check', sql`role IN ('system', 'user', 'assistant', 'tool')`),
    check('messages_metadata_check', sql`jsonb_typeof(metadata) = 'object'`),
    check('messages_idempotency_key_check', sql`char_length(idempotency_key) BETWEEN 1 AND 255`),
    check('messages_status_check', sql`status IN ('streaming', 'complete', 'aborted', 'error')`),
    check('messages_client_id_check', sql`char_length(client_id) BETWEEN 1 AND 255`),
    check('messages_parts_check', sql`jsonb_typeof(parts) = 'array'`),
    check('messages_model_check', sql`char_length(model) BETWEEN 1 AND 200`),
    check('messages_input_tokens_check', sql`input_tokens >= 0`),
    check('messages_output_tokens_check', sql`output_tokens >= 0`),
    check('messages_latency_ms_check', sql`latency_ms >= 0`),
  ],
);

export const messageCitations = pgTable(
  'message_citations',
  {
    messageId: uuid('message_id').notNull(),
    /** From 1, unique per message: the `[n]` of the answer. */
    citationIndex: integer('citation_index').notNull(),
    documentId: text('document_id').notNull(),
    chunkId: text('chunk_id'),
    /** Between 0 and 1. */
    score: doublePrecision('score'),
    excerpt: text('excerpt'),
    metadata: jsonb('metadata').$type<JsonObject>().notNull().default({}),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    userId: uuid('user_id').notNull(),
  },
  (t) => [
    primaryKey({ name: 'message_citations_pkey', columns: [t.messageId, t.citationIndex] }),
    foreignKey({
      name: 'message_citations_message_id_fkey',
      columns: [t.messageId],
      foreignColumns: [messages.id],
    }).onDelete('cascade'),
    index('message_citations_document_id_idx').on(t.documentId),
    index('message_citations_user_document_idx').on(t.userId, t.documentId),
    check('message_citations_citation_index_check', sql`citation_index >= 1`),
    check('message_citations_document_id_check', sql`char_length(document_id) BETWEEN 1 AND 1000`),
    check('message_citations_score_check', sql`score >= 0 AND score <= 1`),
    check('message_citations_metadata_check', sql`jsonb_typeof(metadata) = 'object'`),
  ],
);
