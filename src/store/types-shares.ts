/**
 * Share links: the public types of the shares module (`chat.shares`). docs/design.md, "Share
 * links", says what a link exposes and why.
 */
import type { MessagePart, Role } from './types.js';

/** A share link as its owner sees it (list, export): never the token, never its hash. */
export interface Share {
  readonly id: string;
  readonly sessionId: string;
  /** The message (client id) the shared conversation ends at, or null: the active path as it is when read. */
  readonly upToMessageId: string | null;
  readonly createdAt: Date;
  /** Null: never expires. */
  readonly expiresAt: Date | null;
  /** Null: not revoked. */
  readonly revokedAt: Date | null;
}

/** A link just made: the only time its token is shown. */
export interface CreatedShare extends Share {
  /** `shr_` and 43 base64url characters (256 random bits); only its SHA-256 is stored. */
  readonly token: string;
}

/** What `shares.create` takes. */
export interface ShareOptions {
  /** A message of the session (its client id, on any branch): the link shows root -> that message, fixed now. */
  readonly upToMessageId?: string | null;
  /** When the link stops working; must be in the future. Omitted or null: never. */
  readonly expiresAt?: Date | null;
}

/** A citation as a share link shows it: the row's own fields, not its metadata. */
export interface SharedCitation {
  readonly citationIndex: number;
  readonly documentId: string;
  readonly chunkId: string | null;
  readonly score: number | null;
  readonly excerpt: string | null;
}

/** A message as a share link shows it: no session, owner, metadata, status or internal id. */
export interface SharedMessage {
  /** The message's client id (what the owner's client sees; other routes take it only with the owner's token). */
  readonly id: string;
  readonly role: Exclude<Role, 'system'>;
  readonly parts: MessagePart[];
  readonly content: string;
  readonly citations: SharedCitation[];
  readonly createdAt: Date;
}

/** What a share link shows: the session's title and the shared path's messages, oldest first. */
export interface SharedConversation {
  readonly title: string | null;
  readonly messages: SharedMessage[];
}

/**
 * Share links (chat scope). The owner's calls are owner-checked in one statement each; another
 * user's session, message or link is `not_found`. `sessionId` is the session's uuid.
 */
export interface SharesModule {
  /**
   * Makes a read-only link to the session (optionally ending at one message, optionally
   * expiring). Returns it with its token, shown this once.
   * Example: `const { token } = await chat.shares.create(userId, sessionId, { expiresAt })`.
   */
  create(userId: string, sessionId: string, options?: ShareOptions): Promise<CreatedShare>;
  /** The session's links, oldest first, revoked and expired ones included; no tokens. */
  list(userId: string, sessionId: string): Promise<Share[]>;
  /** Revokes a link at once. `not_found` when it is not a live link of this session (also when revoked already). */
  revoke(userId: string, sessionId: string, shareId: string): Promise<void>;
  /**
   * The public read: the conversation a token shows. `not_found` for an unknown, revoked or
   * expired token (and for one of the wrong shape, without a query).
   */
  read(token: string): Promise<SharedConversation>;
}
