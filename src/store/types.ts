/**
 * The data-access library's public types: rows as typed objects (camelCase; timestamps as Date,
 * millisecond precision as stored), with the module interfaces that `openChatDb` returns
 * (types-modules.ts) and the types of guests, shares, usage, feedback and the lifecycle (their own
 * types-*.ts) re-exported. The HTTP layer maps these to API.md's snake_case JSON.
 */
import type { Share } from './types-shares.js';

export type {
  GuestMethods,
  IdleGuestsOptions,
  PurgeGuestsBatchOptions,
  UpgradeInput,
} from './types-guests.js';
export type {
  CreatedShare,
  Share,
  SharedCitation,
  SharedConversation,
  SharedMessage,
  ShareOptions,
  SharesModule,
} from './types-shares.js';

import type { Feedback } from './types-feedback.js';
import type { MessageUsage, SessionUsage, UsageInput } from './types-usage.js';

export type { Feedback, FeedbackInput, Rating } from './types-feedback.js';
export type {
  AppendAsResult,
  FeedbackModule,
  MessagesModule,
  ProfilesModule,
  SessionsModule,
  TokensModule,
  UsersModule,
} from './types-modules.js';

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

export type { PurgeOptions, PurgeProgress, PurgeResult } from './types-lifecycle.js';
