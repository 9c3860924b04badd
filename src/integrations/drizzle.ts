/**
 * `chatdb/drizzle`: a Drizzle ORM schema of chatdb's `all` schema (auth + chat and their links), for
 * querying chatdb's tables with drizzle-orm: `drizzle(pool, { schema })`. chatdb owns the tables
 * and their migrations: never run `drizzle-kit generate` or `push` against them (docs/orm.md).
 * chatdb's test suite checks with drizzle-kit that this schema and the migrated database agree.
 * Only drizzle-orm is loaded at run time; chatdb's own types are used for jsonb columns.
 */
import * as auth from './drizzle/auth.js';
import * as chat from './drizzle/chat.js';
import * as extras from './drizzle/chat-extras.js';
import * as relations from './drizzle/relations.js';

export * from './drizzle/auth.js';
export * from './drizzle/chat.js';
export * from './drizzle/chat-extras.js';
export * from './drizzle/relations.js';

/** Every table and relation, for `drizzle(client, { schema })` and drizzle-kit. */
export const schema = { ...auth, ...chat, ...extras, ...relations };

/** A row of each table as drizzle-orm selects it (timestamps are Date, jsonb typed). */
export type UserRow = typeof auth.users.$inferSelect;
export type UserProfileRow = typeof auth.userProfiles.$inferSelect;
export type AuthTokenRow = typeof auth.authTokens.$inferSelect;
export type ChatSessionRow = typeof chat.chatSessions.$inferSelect;
export type MessageRow = typeof chat.messages.$inferSelect;
export type MessageCitationRow = typeof chat.messageCitations.$inferSelect;
export type MessageFeedbackRow = typeof extras.messageFeedback.$inferSelect;
export type SessionShareRow = typeof extras.sessionShares.$inferSelect;

/** What an insert takes (columns with defaults optional). Prefer chatdb's library for writes. */
export type NewUserRow = typeof auth.users.$inferInsert;
export type NewUserProfileRow = typeof auth.userProfiles.$inferInsert;
export type NewAuthTokenRow = typeof auth.authTokens.$inferInsert;
export type NewChatSessionRow = typeof chat.chatSessions.$inferInsert;
export type NewMessageRow = typeof chat.messages.$inferInsert;
export type NewMessageCitationRow = typeof chat.messageCitations.$inferInsert;
export type NewMessageFeedbackRow = typeof extras.messageFeedback.$inferInsert;
export type NewSessionShareRow = typeof extras.sessionShares.$inferInsert;

/** The schema's type, for `NodePgDatabase<ChatDbSchema>` and the like. */
export type ChatDbSchema = typeof schema;
