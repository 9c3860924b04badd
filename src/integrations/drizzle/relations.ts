/**
 * Relations for drizzle-orm's relational queries (`db.query.chatSessions.findFirst({ with: … })`).
 * They describe the foreign keys of chat.ts and auth.ts; they create nothing in the database.
 */
import { relations } from 'drizzle-orm';
import { authTokens, userProfiles, users } from './auth.js';
import { chatSessions, messageCitations, messages } from './chat.js';
import { messageFeedback, sessionShares } from './chat-extras.js';

export const usersRelations = relations(users, ({ one, many }) => ({
  profile: one(userProfiles, { fields: [users.id], references: [userProfiles.userId] }),
  authTokens: many(authTokens),
  chatSessions: many(chatSessions),
}));

export const userProfilesRelations = relations(userProfiles, ({ one }) => ({
  user: one(users, { fields: [userProfiles.userId], references: [users.id] }),
}));

export const authTokensRelations = relations(authTokens, ({ one }) => ({
  user: one(users, { fields: [authTokens.userId], references: [users.id] }),
}));

export const chatSessionsRelations = relations(chatSessions, ({ one, many }) => ({
  user: one(users, { fields: [chatSessions.userId], references: [users.id] }),
  /** Every message of every branch; order them by `seq`. */
  messages: many(messages, { relationName: 'session_messages' }),
  /** The end of the active path. */
  leafMessage: one(messages, {
    fields: [chatSessions.leafMessageId],
    references: [messages.id],
    relationName: 'session_leaf',
  }),
  shares: many(sessionShares),
}));

export const messagesRelations = relations(messages, ({ one, many }) => ({
  session: one(chatSessions, {
    fields: [messages.sessionId],
    references: [chatSessions.id],
    relationName: 'session_messages',
  }),
  parent: one(messages, {
    fields: [messages.parentId],
    references: [messages.id],
    relationName: 'message_parent',
  }),
  children: many(messages, { relationName: 'message_parent' }),
  citations: many(messageCitations),
  feedback: many(messageFeedback),
}));

export const messageCitationsRelations = relations(messageCitations, ({ one }) => ({
  message: one(messages, { fields: [messageCitations.messageId], references: [messages.id] }),
}));

export const messageFeedbackRelations = relations(messageFeedback, ({ one }) => ({
  message: one(messages, { fields: [messageFeedback.messageId], references: [messages.id] }),
}));

export const sessionSharesRelations = relations(sessionShares, ({ one }) => ({
  session: one(chatSessions, { fields: [sessionShares.sessionId], references: [chatSessions.id] }),
  upToMessage: one(messages, { fields: [sessionShares.upToMessageId], references: [messages.id] }),
}));
