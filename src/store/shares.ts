/**
 * Share links: read-only links to a session, by an unguessable token of which only the SHA-256 is
 * stored. The owner's calls are one owner-checked statement each; the public read is one statement
 * that finds the link by its hash and walks the shared path. Every statement reaches the session
 * through chat_sessions, and a trashed session is left out there: its links answer 404 until it is
 * restored.
 */
import { randomBytes } from 'node:crypto';
import { hashToken, TOKEN_BYTES } from '../auth/token.js';
import { invalidInput, notFound } from '../errors.js';
import { toDate, toDateOrNull } from './rows.js';
import type { Sql } from './sql-errors.js';
import type { Share, SharedConversation, SharedMessage, ShareOptions, SharesModule } from './types-shares.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

/**
 * What starts a share token: a token of one kind is never the shape of the other (a bearer token
 * is 43 base64url characters), so a share token is never taken as a bearer token, or the reverse,
 * and secret scanners can tell them apart.
 */
export const SHARE_TOKEN_PREFIX = 'shr_';

const SHARE_TOKEN_SHAPE = /^shr_[A-Za-z0-9_-]{43}$/;

/** A new share token: `shr_` and 32 random bytes in base64url (47 characters). */
export const generateShareToken = (): string =>
  `${SHARE_TOKEN_PREFIX}${randomBytes(TOKEN_BYTES).toString('base64url')}`;

/** True when the value has the shape of an issued share token (checked before any SQL). */
export const isShareTokenShaped = (token: unknown): token is string =>
  typeof token === 'string' && SHARE_TOKEN_SHAPE.test(token);

/** A share row's columns as toShare reads them (`sh`), with the end message's client id. */
export const SHARE_SELECT = `sh.id, sh.session_id, sh.created_at, sh.expires_at, sh.revoked_at,
  (SELECT m.client_id FROM messages m WHERE m.id = sh.up_to_message_id) AS up_to_client_id`;

/** The caller's session ($1, owner $2), as the owner's statements reach it. */
const OWNED_SESSION = `s AS (
  SELECT s.id, s.user_id FROM chat_sessions s
  WHERE s.id = $1::uuid AND s.user_id = $2 AND s.trashed_at IS NULL
)`;

/**
 * Makes a link in one statement: zero rows, not the caller's session; `has_message` false, $3 is
 * no message of it; `future` false, $5 is not after now(). Otherwise the inserted row.
 */
export const CREATE_SHARE_SQL = `
WITH ${OWNED_SESSION}, up AS (
  SELECT m.id, m.client_id FROM s
  JOIN messages m ON m.user_id = s.user_id AND m.client_id = $3 AND m.session_id = s.id
), ok AS (
  SELECT ($3::text IS NULL OR EXISTS (SELECT 1 FROM up)) AS has_message,
         ($5::timestamptz IS NULL OR $5::timestamptz > now()) AS future
), ins AS (
  INSERT INTO session_shares (user_id, session_id, token_hash, up_to_message_id, expires_at)
  SELECT s.user_id, s.id, $4, (SELECT up.id FROM up), $5 FROM s, ok WHERE ok.has_message AND ok.future
  RETURNING id, session_id, created_at, expires_at, revoked_at
)
SELECT ok.has_message, ok.future, ins.*, (SELECT up.client_id FROM up) AS up_to_client_id
FROM s CROSS JOIN ok LEFT JOIN ins ON true`;

/** A session's links, oldest first; zero rows: not the caller's session, one row of NULLs: none. */
export const LIST_SHARES_SQL = `
SELECT sh.* FROM chat_sessions s
LEFT JOIN LATERAL (
  SELECT ${SHARE_SELECT} FROM session_shares sh
  WHERE sh.user_id = s.user_id AND sh.session_id = s.id
  ORDER BY sh.created_at, sh.id
) sh ON true
WHERE s.id = $1::uuid AND s.user_id = $2 AND s.trashed_at IS NULL
`;

/** Revokes a live link ($3) of the caller's session; no row: none such (or revoked already). */
export const REVOKE_SHARE_SQL = `
WITH ${OWNED_SESSION}
UPDATE session_shares sh SET revoked_at = now() FROM s
WHERE sh.user_id = s.user_id AND sh.id = $3::uuid AND sh.session_id = s.id AND sh.revoked_at IS NULL
RETURNING sh.id`;

/** A citation as a link shows it: the row's fields, without its metadata. */
const SHARED_CITATION = `json_build_object('citation_index', c.citation_index, 'document_id', c.document_id,
  'chunk_id', c.chunk_id, 'score', c.score, 'excerpt', c.excerpt)`;

/**
 * The public read ($1, the token's hash): zero rows, no live link; one row of NULLs after the
 * title, an empty conversation. The path is walked up from the link's message (or the session's
 * leaf) by primary-key look-ups, as the owner's active-path read walks it; seq falls at every
 * step, so the walk ends on any data. System messages are left out.
 */
export const READ_SHARE_SQL = `
WITH RECURSIVE sh AS (
  SELECT s.title, coalesce(sh.up_to_message_id, s.leaf_message_id) AS last_id
  FROM session_shares sh JOIN chat_sessions s ON s.id = sh.session_id AND s.user_id = sh.user_id
  WHERE sh.token_hash = $1 AND sh.revoked_at IS NULL
    AND (sh.expires_at IS NULL OR sh.expires_at > now()) AND s.trashed_at IS NULL
), path AS (
  SELECT m.id, m.seq, m.parent_id FROM sh JOIN messages m ON m.id = sh.last_id
  UNION ALL
  SELECT p.id, p.seq, p.parent_id FROM path JOIN messages p ON p.id = path.parent_id
  WHERE p.seq < path.seq
)
SELECT sh.title, m.* FROM sh
LEFT JOIN LATERAL (
  SELECT m.client_id, m.role, m.parts, m.content, m.created_at, m.seq,
    coalesce((SELECT json_agg(${SHARED_CITATION} ORDER BY c.citation_index)
      FROM message_citations c WHERE c.message_id = m.id), '[]'::json) AS citations
  FROM path JOIN messages m ON m.id = path.id
  WHERE m.role <> 'system'
) m ON true`;

export const toShare = (r: Row): Share => ({
  id: String(r.id),
  sessionId: String(r.session_id),
  upToMessageId:
    r.up_to_client_id === null || r.up_to_client_id === undefined ? null : String(r.up_to_client_id),
  createdAt: toDate(r.created_at),
  expiresAt: toDateOrNull(r.expires_at),
  revokedAt: toDateOrNull(r.revoked_at),
});

/** Keys of a part that carry the provider's or the application's own data, never shown by a link. */
const PRIVATE_PART_KEYS = ['providerMetadata', 'callProviderMetadata'];

/**
 * A part as a link shows it: without provider metadata; `data-*` parts (the application's own
 * data, which the owner never wrote as conversation) are left out by `sharedParts`.
 */
const sharedPart = (part: SharedMessage['parts'][number]): SharedMessage['parts'][number] =>
  Object.fromEntries(
    Object.entries(part).filter(([k]) => !PRIVATE_PART_KEYS.includes(k)),
  ) as SharedMessage['parts'][number];

const sharedParts = (parts: SharedMessage['parts']): SharedMessage['parts'] =>
  parts.filter((p) => !String(p.type).startsWith('data-')).map(sharedPart);

const toSharedMessage = (r: Row): SharedMessage => ({
  id: String(r.client_id),
  role: r.role as SharedMessage['role'],
  parts: sharedParts((r.parts ?? []) as SharedMessage['parts']),
  content: String(r.content),
  citations: ((r.citations ?? []) as Row[]).map((c) => ({
    citationIndex: Number(c.citation_index),
    documentId: String(c.document_id),
    chunkId: c.chunk_id === null || c.chunk_id === undefined ? null : String(c.chunk_id),
    score: c.score === null || c.score === undefined ? null : Number(c.score),
    excerpt: c.excerpt === null || c.excerpt === undefined ? null : String(c.excerpt),
  })),
  createdAt: toDate(r.created_at),
});

/** `create`'s options: an end message (a client id) and an expiry (a Date), each optional. */
function shareOptions(raw: ShareOptions | null | undefined): { upTo: string | null; expiresAt: Date | null } {
  const o: ShareOptions = v.options(raw, ['upToMessageId', 'expiresAt']);
  const upTo =
    o.upToMessageId === undefined || o.upToMessageId === null
      ? null
      : v.text('upToMessageId', o.upToMessageId, 255, 1);
  const expiresAt =
    o.expiresAt === undefined || o.expiresAt === null ? null : v.date('expiresAt', o.expiresAt);
  return { upTo, expiresAt };
}

/** The shares module (chat scope). */
export function createShares(sql: Sql): SharesModule {
  const session = (userId: string, sessionId: string) => [v.uuid('session', sessionId), v.userId(userId)];
  return {
    async create(userId, sessionId, options) {
      const params = session(userId, sessionId);
      const o = shareOptions(options);
      const token = generateShareToken();
      const r = await sql.query<Row>(
        CREATE_SHARE_SQL,
        [...params, o.upTo, hashToken(token), o.expiresAt],
        'session',
      );
      const row = r.rows[0];
      if (!row) throw notFound('session');
      if (row.has_message !== true) throw notFound('message');
      if (row.future !== true) throw invalidInput('expiresAt', 'must be in the future');
      return { ...toShare(row), token };
    },

    async list(userId, sessionId) {
      const r = await sql.query<Row>(LIST_SHARES_SQL, session(userId, sessionId), 'session');
      if (r.rows.length === 0) throw notFound('session');
      return r.rows.filter((row) => row.id !== null).map(toShare);
    },

    async revoke(userId, sessionId, shareId) {
      const params = [...session(userId, sessionId), v.uuid('share', shareId)];
      const r = await sql.query<Row>(REVOKE_SHARE_SQL, params, 'share');
      if (r.rows.length === 0) throw notFound('share');
    },

    async read(token): Promise<SharedConversation> {
      if (typeof token !== 'string') throw invalidInput('token', 'must be a string');
      if (!isShareTokenShaped(token)) throw notFound('share');
      const r = await sql.query<Row>(READ_SHARE_SQL, [hashToken(token)], 'share');
      const first = r.rows[0];
      if (!first) throw notFound('share');
      return {
        title: first.title === null || first.title === undefined ? null : String(first.title),
        messages: r.rows
          .filter((row) => row.client_id !== null)
          .sort((a, b) => Number(a.seq) - Number(b.seq))
          .map(toSharedMessage),
      };
    },
  };
}
