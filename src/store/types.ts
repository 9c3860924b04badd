/**
 * The data-access library's public types: rows as typed objects (camelCase; timestamps as Date,
 * millisecond precision as stored) and the module interfaces that `openChatDb` returns.
 * The HTTP layer maps these to API.md's snake_case JSON.
 */
import type { Share } from './types-shares.js';

export type {
  CreatedShare,
  Share,
  SharedCitation,
  SharedConversation,
  SharedMessage,
  ShareOptions,
  SharesModule,
} from './types-shares.js';

import type { GuestMethods } from './types-guests.js';

export type {
  GuestMethods,
  IdleGuestsOptions,
  PurgeGuestsBatchOptions,
  UpgradeInput,
} from './types-guests.js';

import type { MessageUsage, SessionUsage, UsageInput } from './types-usage.js';

export type { MessageUsage, SessionUsage, UsageInput } from './types-usage.js';

export type Role = 'system' | 'user' | 'assistant' | 'tool';
/** A reply's life: `streaming` while checkpointed, then `complete`, `aborted` (stopped) or `error`. */
export type MessageStatus = 'streaming' | 'complete' | 'aborted' | 'error';
export type ExperienceLevel = 'beginner' | 'intermediate' | 'advanced';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface User {
  readonly id: string;
  /** null for a guest (types-guests.ts). */
  readonly email: string | null;
  /** A guest account: no email, no password, only bearer tokens, until `users.upgrade`. */
  readonly guest: boolean;
  readonly isActive: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface Profile {
  readonly userId: string;
  readonly softwareBackground: string | null;
  readonly hardwareBackground: string | null;
  readonly experienceLevel: ExperienceLevel | null;
  readonly preferredLanguage: string;
  readonly metadata: JsonObject;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Fields of a profile upsert; an omitted field keeps its stored value (or the default on create). */
export interface ProfileInput {
  readonly softwareBackground?: string | null;
  readonly hardwareBackground?: string | null;
  readonly experienceLevel?: ExperienceLevel | null;
  readonly preferredLanguage?: string;
  readonly metadata?: JsonObject;
}

export interface IssuedToken {
  /** The opaque bearer token: shown once, only its SHA-256 is stored. */
  readonly token: string;
  readonly expiresAt: Date;
  /** Seconds until expiry. */
  readonly expiresIn: number;
}

export interface ChatSession {
  readonly id: string;
  readonly userId: string;
  readonly title: string | null;
  readonly metadata: JsonObject;
  readonly messageCount: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly lastMessageAt: Date | null;
  /** The id of the stream that is writing to the session (resumable streams), or null. */
  readonly activeStreamId: string | null;
  /** The last message of the active path (its id), or null before the first message. */
  readonly leafMessageId: string | null;
  /** Listed before the unpinned sessions. */
  readonly pinned: boolean;
  /** Left out of the list; shown by `list({ archived: true })`. */
  readonly archived: boolean;
  /** When it was moved to the trash (only the trash view and the export show trashed sessions), else null. */
  readonly trashedAt: Date | null;
  /** In the trash view only: when `chatdb purge` may delete it (trashedAt + the retention period). */
  readonly purgeAt?: Date;
  /** Tokens of all the session's messages (every branch), kept as they are saved. */
  readonly usage: SessionUsage;
}

export interface SessionInput {
  readonly title?: string | null;
  readonly metadata?: JsonObject;
}

/** A session update: `metadata` is merged into the stored object (top-level keys; null removes). */
export interface SessionPatch {
  readonly title?: string | null;
  readonly metadata?: { [key: string]: JsonValue };
  /** Pin (list first) or unpin. */
  readonly pinned?: boolean;
  /** Archive (leave out of the list) or unarchive. */
  readonly archived?: boolean;
}

export interface Page<T> {
  readonly data: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/** Options of `sessions.list`. */
export interface SessionListOptions {
  /** 1..100, default 20. */
  readonly limit?: number;
  /** The `nextCursor` of the previous page; it carries the walk's `updatedSince` and snapshot. */
  readonly cursor?: string | null;
  /** Only sessions with `updatedAt` at or after this instant (the recovery walk: docs/library.md). */
  readonly updatedSince?: Date | null;
  /** The archive view: archived sessions (not trashed) instead of the list. Default false. */
  readonly archived?: boolean;
  /** The trash: trashed sessions within the retention period, newest trashed first, each with `purgeAt`. */
  readonly trashed?: boolean;
}

/** A page of `sessions.list`. */
export interface SessionPage extends Page<ChatSession> {
  /**
   * The `updatedAt` of the newest session listed when the walk began (the same on every page of a
   * walk): a session active since has `updatedAt` >= it and may have moved above the walk, so list
   * `{ updatedSince: snapshotAt }` once the walk ends. Null when the walk began with no sessions.
   */
  readonly snapshotAt: Date | null;
}

export interface Citation {
  readonly citationIndex: number;
  readonly documentId: string;
  readonly chunkId: string | null;
  readonly score: number | null;
  readonly excerpt: string | null;
  readonly metadata: JsonObject;
  /** When it was stored (with its message). */
  readonly createdAt: Date;
}

export interface CitationInput {
  readonly documentId: string;
  readonly chunkId?: string | null;
  readonly score?: number | null;
  /** Defaults to the citation's position in the list, from 1. Unique per message. */
  readonly citationIndex?: number;
  readonly excerpt?: string | null;
  readonly metadata?: JsonObject;
}

/**
 * One part of a message, as the AI SDK's UIMessage has them (`text`, `reasoning`, `tool-<name>`,
 * `dynamic-tool`, `file`, `source-url`, `source-document`, `data-<name>`, `step-start`, ...):
 * stored as given, returned equal (as JSON).
 */
export type MessagePart = { readonly type: string } & { readonly [key: string]: JsonValue };

export interface Message {
  /** The message's id: the client's string (the AI SDK's), or a UUIDv7 chatdb chose on `append`. */
  readonly id: string;
  readonly sessionId: string;
  /** Order of writes in the session, from 1, gap-free; it grows along every path. */
  readonly seq: number;
  readonly role: Role;
  /** The text of the text parts, joined by blank lines: for search and the plain API. */
  readonly content: string;
  readonly selectedText: string | null;
  readonly metadata: JsonObject;
  readonly citations: Citation[];
  readonly createdAt: Date;
  /** The parts; `append` stores one text part of its content. */
  readonly parts: MessagePart[];
  readonly status: MessageStatus;
  /** The id of the message this one answers or follows; null for a root. */
  readonly parentId: string | null;
  /** When parts, metadata or status last changed. */
  readonly updatedAt: Date;
  /** The model, tokens and latency of the call that wrote it; null when none were recorded. */
  readonly usage: MessageUsage | null;
}

export interface MessageInput {
  readonly role: Role;
  readonly content: string;
  readonly selectedText?: string | null;
  readonly metadata?: JsonObject;
  readonly citations?: readonly CitationInput[];
  /** Makes retries safe: the same key on the same session returns the first message. 1..255 visible ASCII. */
  readonly idempotencyKey?: string;
  /** The model, tokens and latency of the reply (UsageInput); null or omitted: none recorded. */
  readonly usage?: UsageInput | null;
}

/** A message saved by its id (`messages.upsert`), the AI SDK's UIMessage in chatdb's terms. */
export interface UpsertInput {
  /** The client's id: 1..255 visible characters, unique among the owner's messages. */
  readonly id: string;
  readonly role: Role;
  readonly parts: readonly MessagePart[];
  readonly metadata?: JsonObject;
  /** Default `complete`. */
  readonly status?: MessageStatus;
  /**
   * The parent's id; null makes a root; omitted: the session's current leaf (for a new message) or
   * the stored parent (an existing one). A parent never changes: another one is a `conflict`.
   */
  readonly parentId?: string | null;
  /** The reply's model, tokens and latency: given, it replaces the stored usage; null clears it; omitted keeps it. */
  readonly usage?: UsageInput | null;
}

export interface UpsertResult {
  readonly message: Message;
  /** true when the message is new, false when an existing one was replaced (or left as it was). */
  readonly created: boolean;
}

/** A message's siblings (the messages with its parent) and its place among them, for "2 / 3". */
export interface Siblings {
  /** The messages with the same parent (roots: the session's roots), in seq order. */
  readonly data: Message[];
  /** The position of the asked-for message in `data`, from 0. */
  readonly index: number;
}

export interface AppendResult {
  readonly message: Message;
  /** false when an earlier append with the same idempotency key is returned instead. */
  readonly created: boolean;
}

export interface MessagePageOptions {
  /** 1..1000, default 50. */
  readonly limit?: number;
  /** Messages with seq > afterSeq, oldest first. */
  readonly afterSeq?: number;
  /** The newest `limit` messages with seq < beforeSeq, still returned oldest first. */
  readonly beforeSeq?: number;
}

export interface MessagePage {
  readonly data: Message[];
  readonly hasMore: boolean;
}

export interface SearchHit {
  readonly sessionId: string;
  readonly message: Message;
  readonly rank: number;
}

export interface Conversation {
  readonly session: ChatSession;
  readonly messages: Message[];
}

/** A bearer token as the export shows it: its dates, never the token or its hash. */
export interface TokenRecord {
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** Everything one user owns, as one JSON-serializable document (GDPR-style export). */
export interface UserExport {
  readonly exportedAt: Date;
  readonly user: User;
  readonly profile: Profile | null;
  /** Every token issued to the user (active, expired and revoked), oldest first. */
  readonly tokens: TokenRecord[];
  readonly sessions: Conversation[];
  /** The user's ratings of answers, by session and message (`feedback.list` of every session). */
  readonly feedback: Feedback[];
  /** The user's share links (live, expired and revoked), oldest first: never a token or a hash. */
  readonly shares: Share[];
}

/** A rating of an answer. */
export type Rating = 'up' | 'down';

/** One user's feedback on one assistant message (one per user and message). */
export interface Feedback {
  /** The rated message's id (the client's). */
  readonly messageId: string;
  readonly sessionId: string;
  readonly rating: Rating;
  /** Up to 2,000 characters, or null. */
  readonly comment: string | null;
  /** Up to 10 tags of 1..50 characters each, as given (duplicates dropped). */
  readonly tags: string[];
  /** When the message was first rated. */
  readonly createdAt: Date;
  /** When the rating, comment or tags last changed. */
  readonly updatedAt: Date;
}

/** What `feedback.set` stores: it replaces the whole rating (an omitted comment or tags clears them). */
export interface FeedbackInput {
  readonly rating: Rating;
  readonly comment?: string | null;
  readonly tags?: readonly string[];
}

/* ---------- module interfaces (what `openChatDb` returns) ---------- */

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

export type { PurgeOptions, PurgeProgress, PurgeResult } from './types-lifecycle.js';
