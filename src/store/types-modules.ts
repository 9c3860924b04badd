/**
 * The module interfaces that `openChatDb` returns: users, profiles, tokens, sessions, messages
 * and feedback (shares, guests and the lifecycle have files of their own). Re-exported by
 * types.ts and src/index.ts.
 */

import type {
  AppendResult,
  ChatSession,
  Conversation,
  IssuedToken,
  JsonValue,
  Message,
  MessageInput,
  MessagePage,
  MessagePageOptions,
  Profile,
  ProfileInput,
  SearchHit,
  SessionInput,
  SessionListOptions,
  SessionPage,
  SessionPatch,
  Siblings,
  UpsertInput,
  UpsertResult,
  User,
  UserExport,
} from './types.js';
import type { Feedback, FeedbackInput } from './types-feedback.js';
import type { GuestMethods } from './types-guests.js';

/**
 * Users (auth scope). Passwords are hashed with argon2id; legacy bcrypt hashes verify and are
 * upgraded. Guests (no email, no password) come from `createGuest` and become users by `upgrade`.
 */
export interface UsersModule extends GuestMethods {
  /** Registers a user; `email_taken` when the address exists (case-insensitively), `invalid_input` on a bad email/password (8..1024 chars). */
  register(input: { email: string; password: string }): Promise<User>;
  /** The user for these credentials, or null (unknown email, wrong password, inactive): constant work either way. */
  authenticate(input: { email: string; password: string }): Promise<User | null>;
  get(userId: string): Promise<User | null>;
  /** Marks the user inactive and revokes their tokens. `not_found` if absent. */
  deactivate(userId: string): Promise<void>;
  /** Deletes the user and everything they own (cascade). `not_found` if absent. */
  delete(userId: string): Promise<void>;
  /** Everything the user owns (profile, token records, sessions, messages, citations), one snapshot. `not_found` if absent. */
  export(userId: string): Promise<UserExport>;
}

export interface ProfilesModule {
  get(userId: string): Promise<Profile | null>;
  /** Creates or updates the onboarding profile; omitted fields keep their values. */
  upsert(userId: string, input: ProfileInput): Promise<Profile>;
}

export interface TokensModule {
  /** Issues an opaque bearer token (default lifetime from options, 7 days). */
  issue(userId: string, options?: { ttlSeconds?: number }): Promise<IssuedToken>;
  /** The active user a token belongs to, or null (unknown, expired, revoked, inactive user). */
  resolve(token: string): Promise<User | null>;
  /** Revokes one token; false when it was not active. */
  revoke(token: string): Promise<boolean>;
  /** Revokes all of a user's tokens; returns how many were active. */
  revokeAll(userId: string): Promise<number>;
}

/** Sessions are always addressed with their owner's id: another user's session is `not_found`. */
export interface SessionsModule {
  create(userId: string, input?: SessionInput): Promise<ChatSession>;
  get(userId: string, sessionId: string): Promise<ChatSession>;
  /**
   * Pinned first, then most recently active; keyset pagination. limit 1..100, default 20.
   * Archived and trashed sessions are left out unless `{ archived: true }` / `{ trashed: true }`.
   */
  list(userId: string, options?: SessionListOptions | null): Promise<SessionPage>;
  /** Sets the title, pinned, archived and/or merges metadata (top-level keys, null removes) in one statement. */
  update(userId: string, sessionId: string, patch: SessionPatch): Promise<ChatSession>;
  rename(userId: string, sessionId: string, title: string | null): Promise<ChatSession>;
  mergeMetadata(userId: string, sessionId: string, patch: { [key: string]: JsonValue }): Promise<ChatSession>;
  /** Deletes the session at once (trashed or not), with its messages, citations and feedback. */
  delete(userId: string, sessionId: string): Promise<void>;
  /** Moves the session to the trash: every other call then answers `not_found` for it. */
  trash(userId: string, sessionId: string): Promise<void>;
  /** Takes a trashed session out of the trash within the retention period (`not_found` otherwise). */
  restore(userId: string, sessionId: string): Promise<ChatSession>;
  /** The session and all its messages with citations, oldest first. */
  conversation(userId: string, sessionId: string): Promise<Conversation>;
}

/** What `messages.appendAs` returns: the token's user and the append. */
export interface AppendAsResult extends AppendResult {
  readonly user: User;
}

export interface MessagesModule {
  /** Appends in one round trip (ownership, seq under the session's row lock, citations, counters). */
  append(userId: string, sessionId: string, input: MessageInput): Promise<AppendResult>;
  /**
   * Appends as the holder of a bearer token (chatdb's `tokens`), checking the token in the same
   * statement: one round trip for an authenticated append. null when the token is not valid
   * (unknown, expired, revoked, or its user inactive): nothing is written. Needs the `all` scope.
   */
  appendAs(token: string, sessionId: string, input: MessageInput): Promise<AppendAsResult | null>;
  list(userId: string, sessionId: string, options?: MessagePageOptions): Promise<MessagePage>;
  /** The last `n` messages (default 20), oldest first. */
  last(userId: string, sessionId: string, n?: number): Promise<Message[]>;
  /** Full-text search over one user's messages, best first. limit 1..100, default 20. */
  search(userId: string, query: string, options?: { limit?: number }): Promise<SearchHit[]>;
  /**
   * Saves a message by its id in one transaction: a new id is inserted (next seq, parent = the
   * leaf unless given), an id of this session is replaced (parts, metadata, status, content,
   * citations); it becomes the session's leaf. An id used in another session is a `conflict`.
   */
  upsert(userId: string, sessionId: string, input: UpsertInput): Promise<UpsertResult>;
  /**
   * Saves a path in one transaction: each message's parent is the one before it, the first is a
   * root (or `parentId`), the last becomes the leaf. Saving the same list again changes nothing; a
   * message given without a status keeps its stored one (a new one is complete).
   */
  saveMany(
    userId: string,
    sessionId: string,
    messages: readonly UpsertInput[],
    options?: { parentId?: string | null },
  ): Promise<UpsertResult[]>;
  /** The active path (root to leaf), oldest first, keyset-paged by seq like `list` (which it is). */
  activePath(userId: string, sessionId: string, options?: MessagePageOptions): Promise<MessagePage>;
  /** The messages with the same parent as `messageId` (for "2 / 3"), and its index among them. */
  siblings(userId: string, sessionId: string, messageId: string): Promise<Siblings>;
  /**
   * Makes `messageId` the session's leaf (switch branch); with `descend`, the newest message under
   * it instead (the end of its most recent branch). Returns the new active path's last message.
   */
  switchBranch(
    userId: string,
    sessionId: string,
    messageId: string,
    options?: { descend?: boolean },
  ): Promise<Message>;
  /** Sets (a string, 1..255) or clears (null) the session's active stream id. */
  setActiveStream(userId: string, sessionId: string, streamId: string | null): Promise<ChatSession>;
  /** Marks replies `streaming` for longer than `olderThanMs` (since their last save) `aborted`; returns how many. */
  abortStale(options: { olderThanMs: number }): Promise<number>;
}

/**
 * Ratings of answers: only assistant messages of the caller's own sessions (a user-role message
 * is `invalid_input`; another user's session or message `not_found`; either way nothing changes).
 * `messageId` is the message's public (client) id.
 */
export interface FeedbackModule {
  /** Rates a message, or changes its rating (one statement). Returns the stored feedback. */
  set(userId: string, sessionId: string, messageId: string, input: FeedbackInput): Promise<Feedback>;
  /** Removes the caller's rating of a message; false when there was none. */
  remove(userId: string, sessionId: string, messageId: string): Promise<boolean>;
  /** The caller's rating of a message, or null. */
  get(userId: string, sessionId: string, messageId: string): Promise<Feedback | null>;
  /** Every rating in a session (all branches), in message order: what a UI shows after a reload. */
  list(userId: string, sessionId: string): Promise<Feedback[]>;
}
