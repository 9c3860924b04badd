/**
 * Row -> object mapping (snake_case columns to the camelCase types of types.ts), and the column
 * lists the modules select, so every query returns the same shape.
 */
import type {
  ChatSession,
  Citation,
  ExperienceLevel,
  JsonObject,
  Message,
  MessageStatus,
  Profile,
  Role,
  TokenRecord,
  User,
} from './types.js';
import { sessionUsageOfRow, usageOfRow } from './usage.js';

export const USER_COLUMNS = 'id, email, is_guest, is_active, created_at, updated_at';
export const PROFILE_COLUMNS =
  'user_id, software_background, hardware_background, experience_level, preferred_language, metadata, created_at, updated_at';
/** A session's own columns (plain names, to qualify). */
export const SESSION_PLAIN_COLUMNS =
  'id, user_id, title, metadata, message_count, created_at, updated_at, last_message_at, active_stream_id, pinned, archived, trashed_at' +
  ', input_tokens, output_tokens';
/** The public (client) id of the session's leaf, a primary-key look-up; `alias` qualifies the session. */
export const leafOf = (alias = ''): string =>
  `(SELECT lm.client_id FROM messages lm WHERE lm.id = ${alias ? `${alias}.` : ''}leaf_message_id)`;
/** What toSession reads, selected from (or returned by) chat_sessions unaliased or as-is. */
export const SESSION_COLUMNS = `${SESSION_PLAIN_COLUMNS}, ${leafOf()} AS leaf_client_id`;
/** `id` is the internal uuid (citations reference it); the public id is `client_id`. */
export const MESSAGE_COLUMNS =
  'id, session_id, seq, role, content, selected_text, metadata, created_at, client_id, parts, status, updated_at' +
  ', model, input_tokens, output_tokens, latency_ms';

/** The public id of `m`'s parent (a primary-key look-up; null for a root). */
export const PARENT_OF_M = '(SELECT p.client_id FROM messages p WHERE p.id = m.parent_id)';

/** `a, b` -> `m.a, m.b`: a column list qualified with a table alias. */
export const qualify = (columns: string, alias: string): string => columns.replace(/(\w+)/g, `${alias}.$1`);

/** A message's columns as toMessage reads them, from `messages m` (with its parent's public id). */
export const MESSAGE_SELECT = `${qualify(MESSAGE_COLUMNS, 'm')}, ${PARENT_OF_M} AS parent_client_id`;

/** A citation as a JSON object (json_build_object), for json_agg over `c`. */
export const CITATION_JSON = `json_build_object('citation_index', c.citation_index, 'document_id', c.document_id,
  'chunk_id', c.chunk_id, 'score', c.score, 'excerpt', c.excerpt, 'metadata', c.metadata, 'created_at', c.created_at)`;

/** A message's citations as a JSON array, in order (a correlated subquery on `m.id`). */
export const CITATIONS_OF_M = `coalesce((SELECT json_agg(${CITATION_JSON} ORDER BY c.citation_index)
  FROM message_citations c WHERE c.message_id = m.id), '[]'::json)`;

type Row = Record<string, unknown>;

// Timestamps are Date from both drivers; inside json_agg they are ISO strings.
export const toDate = (v: unknown): Date => (v instanceof Date ? v : new Date(v as string));
export const toDateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : toDate(v));
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const obj = (v: unknown): JsonObject => (v ?? {}) as JsonObject;

export const toUser = (r: Row): User => ({
  id: str(r.id),
  email: strOrNull(r.email),
  guest: r.is_guest === true,
  isActive: r.is_active === true,
  createdAt: toDate(r.created_at),
  updatedAt: toDate(r.updated_at),
});

export const toProfile = (r: Row): Profile => ({
  userId: str(r.user_id),
  softwareBackground: strOrNull(r.software_background),
  hardwareBackground: strOrNull(r.hardware_background),
  experienceLevel: strOrNull(r.experience_level) as ExperienceLevel | null,
  preferredLanguage: str(r.preferred_language),
  metadata: obj(r.metadata),
  createdAt: toDate(r.created_at),
  updatedAt: toDate(r.updated_at),
});

export const toSession = (r: Row): ChatSession => ({
  id: str(r.id),
  userId: str(r.user_id),
  title: strOrNull(r.title),
  metadata: obj(r.metadata),
  messageCount: Number(r.message_count),
  createdAt: toDate(r.created_at),
  updatedAt: toDate(r.updated_at),
  lastMessageAt: toDateOrNull(r.last_message_at),
  activeStreamId: strOrNull(r.active_stream_id),
  leafMessageId: strOrNull(r.leaf_client_id),
  pinned: r.pinned === true,
  archived: r.archived === true,
  trashedAt: toDateOrNull(r.trashed_at),
  usage: sessionUsageOfRow(r),
});

export const toCitation = (r: Row): Citation => ({
  citationIndex: Number(r.citation_index),
  documentId: str(r.document_id),
  chunkId: strOrNull(r.chunk_id),
  score: r.score === null || r.score === undefined ? null : Number(r.score),
  excerpt: strOrNull(r.excerpt),
  metadata: obj(r.metadata),
  createdAt: toDate(r.created_at),
});

/** A token's record without its hash (for the export): when issued, expiring, last used, revoked. */
export const toTokenRecord = (r: Row): TokenRecord => ({
  createdAt: toDate(r.created_at),
  expiresAt: toDate(r.expires_at),
  lastUsedAt: toDateOrNull(r.last_used_at),
  revokedAt: toDateOrNull(r.revoked_at),
});

/** A message row; `citations` is the JSON array column (absent = none). */
export const toMessage = (r: Row): Message => ({
  id: str(r.client_id ?? r.id),
  sessionId: str(r.session_id),
  seq: Number(r.seq),
  role: str(r.role) as Role,
  content: str(r.content),
  selectedText: strOrNull(r.selected_text),
  metadata: obj(r.metadata),
  citations: ((r.citations ?? []) as Row[]).map(toCitation),
  createdAt: toDate(r.created_at),
  parts: ((r.parts ?? []) as Message['parts']).slice(),
  status: (r.status ?? 'complete') as MessageStatus,
  parentId: strOrNull(r.parent_client_id),
  updatedAt: toDate(r.updated_at ?? r.created_at),
  usage: usageOfRow(r),
});

/** Picks the columns of a row that carry a prefix (`s_id` -> `id`), for joined rows. */
export function unprefix(r: Row, prefix: string): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}
