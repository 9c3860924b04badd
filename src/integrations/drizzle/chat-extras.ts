/**
 * The chat scope's feedback and share links (migrations *_chatdb_chat_feedback.sql,
 * *_chatdb_chat_shares.sql and their links to auth). Both key by the owner's user_id first.
 */
import { sql } from 'drizzle-orm';
import { check, foreignKey, index, pgTable, primaryKey, text, unique, uuid } from 'drizzle-orm/pg-core';
import { chatSessions, messages } from './chat.js';
import { bytea, timestamptz } from './columns.js';

/** One rating per user per message; changeable and removable. */
export const messageFeedback = pgTable(
  'message_feedback',
  {
    userId: uuid('user_id').notNull(),
    messageId: uuid('message_id').notNull(),
    rating: text('rating', { enum: ['up', 'down'] }).notNull(),
    comment: text('comment'),
    tags: text('tags').array().notNull().default([]),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'message_feedback_pkey', columns: [t.userId, t.messageId] }),
    foreignKey({
      name: 'message_feedback_message_id_fkey',
      columns: [t.messageId],
      foreignColumns: [messages.id],
    }).onDelete('cascade'),
    index('message_feedback_message_id_idx').on(t.messageId),
    index('message_feedback_updated_at_idx').on(t.updatedAt),
    index('message_feedback_down_idx').on(t.updatedAt.desc().nullsFirst()).where(sql`rating = 'down'`),
    check('message_feedback_rating_check', sql`rating IN ('up', 'down')`),
    check('message_feedback_comment_check', sql`char_length(comment) <= 2000`),
    check('message_feedback_tags_check', sql`cardinality(tags) <= 10 AND array_position(tags, NULL) IS NULL`),
  ],
);

/** A read-only link to a session; only the SHA-256 of its token is stored. */
export const sessionShares = pgTable(
  'session_shares',
  {
    id: uuid('id').notNull().defaultRandom(),
    userId: uuid('user_id').notNull(),
    sessionId: uuid('session_id').notNull(),
    tokenHash: bytea('token_hash').notNull(),
    /** Set: the link shows the path from the root to this message, fixed; null: the active path. */
    upToMessageId: uuid('up_to_message_id'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at'),
    revokedAt: timestamptz('revoked_at'),
  },
  (t) => [
    primaryKey({ name: 'session_shares_pkey', columns: [t.userId, t.id] }),
    unique('session_shares_token_hash_key').on(t.tokenHash),
    foreignKey({
      name: 'session_shares_session_id_fkey',
      columns: [t.sessionId],
      foreignColumns: [chatSessions.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'session_shares_up_to_fkey',
      columns: [t.sessionId, t.upToMessageId],
      foreignColumns: [messages.sessionId, messages.id],
    }).onDelete('cascade'),
    index('session_shares_session_idx').on(t.sessionId, t.upToMessageId),
    check('session_shares_token_hash_check', sql`octet_length(token_hash) = 32`),
  ],
);
