/**
 * `chatdb/drizzle`: a Drizzle ORM schema of chatdb's `all` schema (auth + chat and their links), for
 * querying chatdb's tables with drizzle-orm: `drizzle(pool, { schema })`. chatdb owns the tables
 * and their migrations: never run `drizzle-kit generate` or `push` against them (docs/orm.md).
 * chatdb's test suite checks with drizzle-kit that this schema and the migrated database agree.
 * Only drizzle-orm is loaded at run time; chatdb's own types are used for jsonb columns.
 */
import { authTokens, userProfiles, users } from './drizzle/auth.js';
import { chatSessions, messageCitations, messages } from './drizzle/chat.js';
import { messageFeedback, sessionShares } from './drizzle/chat-extras.js';
import {
  authTokensRelations,
  chatSessionsRelations,
  messageCitationsRelations,
  messageFeedbackRelations,
  messagesRelations,
  sessionSharesRelations,
  userProfilesRelations,
  usersRelations,
} from './drizzle/relations.js';

export { authTokens, userProfiles, users } from './drizzle/auth.js';
export { chatSessions, messageCitations, messages } from './drizzle/chat.js';
export { messageFeedback, sessionShares } from './drizzle/chat-extras.js';
export {
  authTokensRelations,
  chatSessionsRelations,
  messageCitationsRelations,
  messageFeedbackRelations,
  messagesRelations,
  sessionSharesRelations,
  userProfilesRelations,
  usersRelations,
} from './drizzle/relations.js';

/** Every table and relation, for `drizzle(client, { schema })` and drizzle-kit. */
export const schema = {
  users,
  userProfiles,
  authTokens,
  chatSessions,
  messages,
  messageCitations,
  messageFeedback,
  sessionShares,
  usersRelations,
  userProfilesRelations,
  authTokensRelations,
  chatSessionsRelations,
  messagesRelations,
  messageCitationsRelations,
  messageFeedbackRelations,
  sessionSharesRelations,
};

/** A row of each table as drizzle-orm selects it (timestamps are Date, jsonb typed). */
export type UserRow = typeof users.$inferSelect;
export type UserProfileRow = typeof userProfiles.$inferSelect;
export type AuthTokenRow = typeof authTokens.$inferSelect;
export type ChatSessionRow = typeof chatSessions.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type MessageCitationRow = typeof messageCitations.$inferSelect;
export type MessageFeedbackRow = typeof messageFeedback.$inferSelect;
export type SessionShareRow = typeof sessionShares.$inferSelect;

/** What an insert takes (columns with defaults optional). Prefer chatdb's library for writes. */
export type NewUserRow = typeof users.$inferInsert;
export type NewUserProfileRow = typeof userProfiles.$inferInsert;
export type NewAuthTokenRow = typeof authTokens.$inferInsert;
export type NewChatSessionRow = typeof chatSessions.$inferInsert;
export type NewMessageRow = typeof messages.$inferInsert;
export type NewMessageCitationRow = typeof messageCitations.$inferInsert;
export type NewMessageFeedbackRow = typeof messageFeedback.$inferInsert;
export type NewSessionShareRow = typeof sessionShares.$inferInsert;

/** The schema's type, for `NodePgDatabase<ChatDbSchema>` and the like. */
export type ChatDbSchema = typeof schema;
