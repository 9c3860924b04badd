/**
 * Every check on caller input, in one place. A failure is `invalid_input` (one field, with its
 * path), except malformed ids, which are `not_found`: an id that cannot exist is simply not there.
 * Postgres cannot store NUL in text or jsonb, and a lone UTF-16 surrogate cannot round-trip through
 * UTF-8 (it would come back as U+FFFD), so both are rejected rather than altered.
 */
import { invalidInput, notFound } from '../errors.js';
import { knownKeys } from './options.js';
import type { CitationInput, ExperienceLevel, JsonObject, Role } from './types.js';

/** Shape checks of option and input objects (options.ts), here so `v.` reaches every check. */
export { knownKeys, options } from './options.js';

export const ROLES: readonly Role[] = ['system', 'user', 'assistant', 'tool'];
export const EXPERIENCE_LEVELS: readonly ExperienceLevel[] = ['beginner', 'intermediate', 'advanced'];

/**
 * Length caps, in characters = Unicode code points (an emoji is one, as in Postgres' char_length
 * and JSON Schema's maxLength in the HTTP API), and in UTF-8 bytes where a btree index holds the
 * value: an index entry must fit in 2,704 bytes (a third of a page). The other indexed text
 * columns fit by their character caps, since UTF-8 takes at most 4 bytes per code point: email
 * 320 -> 1,280 bytes, a chat-scope user id 255 -> 1,020, an idempotency key 255 ASCII -> 255.
 */
export const LIMITS = {
  email: 320,
  passwordMin: 8,
  passwordMax: 1024,
  title: 500,
  content: 4 * 1024 * 1024,
  selectedText: 100_000,
  background: 2000,
  language: 35,
  documentId: 1000,
  /** message_citations_document_id_idx: 1,000 CJK characters would be 3,000 bytes, over the btree limit. */
  documentIdBytes: 2048,
  chunkId: 1000,
  excerpt: 20_000,
  metadataBytes: 64 * 1024,
  metadataDepth: 32,
  citationsPerMessage: 100,
  searchQuery: 1000,
  externalUserId: 255,
  feedbackComment: 2000,
  feedbackTags: 10,
  feedbackTag: 50,
} as const;

// String.prototype.isWellFormed is ES2024 (Node >= 20); tsconfig's lib stops at ES2023.
const isWellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * The length in Unicode code points: a surrogate pair (an emoji, U+1F600) counts once. What the
 * caps count, like Postgres' char_length and Ajv's maxLength, so a value fits all three or none.
 */
export function charLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** A string Postgres stores and returns unchanged: no NUL, no lone surrogate, `min`..`max` characters. */
export function text(path: string, value: unknown, max: number, min = 0): string {
  if (typeof value !== 'string') throw invalidInput(path, 'must be a string');
  // Code points <= UTF-16 units <= 2 x code points: count only where the units cannot tell.
  if (value.length < 2 * min && charLength(value) < min)
    throw invalidInput(path, min === 1 ? 'must not be empty' : `must be at least ${min} characters`);
  if (value.length > max && charLength(value) > max)
    throw invalidInput(path, `must be at most ${max} characters`);
  if (value.includes('\u0000')) throw invalidInput(path, 'must not contain NUL (\\u0000)');
  if (!isWellFormed(value)) throw invalidInput(path, 'must be well-formed Unicode (lone surrogate)');
  return value;
}

/** A citation's document id: 1..1000 characters and at most 2,048 bytes in UTF-8 (it is indexed). */
export function documentId(path: string, value: unknown): string {
  const v = text(path, value, LIMITS.documentId, 1);
  if (Buffer.byteLength(v, 'utf8') > LIMITS.documentIdBytes)
    throw invalidInput(path, `must be at most ${LIMITS.documentIdBytes} bytes in UTF-8`);
  return v;
}

/** `text`, or null when the value is null or undefined. */
export function optionalText(path: string, value: unknown, max: number): string | null {
  return value === null || value === undefined ? null : text(path, value, max);
}

// Local part: RFC 5322 dot-atom (plus non-ASCII letters, RFC 6531); domain: LDH labels (or IDN letters).
const LOCAL = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;

/** A practical RFC 5321 address: local@domain, local <= 64, domain <= 255 with a dot, total <= 320. */
export function email(value: unknown): string {
  const v = text('email', value, LIMITS.email, 1);
  const at = v.lastIndexOf('@');
  const local = v.slice(0, at);
  const domain = v.slice(at + 1);
  const labels = domain.split('.');
  const ok =
    at > 0 &&
    charLength(local) <= 64 &&
    charLength(domain) <= 255 &&
    LOCAL.test(local) &&
    labels.length >= 2 &&
    labels.every((l) => LABEL.test(l)) &&
    !/^\d+$/.test(labels.at(-1) ?? '');
  if (!ok) throw invalidInput('email', 'must be a valid email address');
  return v;
}

/** 8..1024 characters, no NUL, well-formed. */
export function password(value: unknown): string {
  return text('password', value, LIMITS.passwordMax, LIMITS.passwordMin);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for the canonical uuid text form. */
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** An id that must be a uuid; anything else is `not_found` (a malformed id names nothing). */
export function uuid(what: string, value: unknown): string {
  if (!isUuid(value)) throw notFound(what);
  return value;
}

/**
 * A chat user id: a uuid in the `all` scope, an external provider's id (1..255 chars) in the `chat`
 * scope. Postgres tells which (a non-uuid against a uuid column is mapped to not_found).
 */
export function userId(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || charLength(value) > LIMITS.externalUserId)
    throw notFound('user');
  if (value.includes('\u0000') || !isWellFormed(value)) throw notFound('user');
  return value;
}

export function role(value: unknown): Role {
  if (!ROLES.includes(value as Role)) throw invalidInput('role', `must be one of ${ROLES.join(', ')}`);
  return value as Role;
}

/**
 * Message content, up to 4 MiB. A user message must say something (not empty, not only
 * whitespace); the other roles may be empty: an assistant turn that only carries tool calls or
 * citations in metadata, a tool that returned nothing, a placeholder system prompt.
 */
export function messageContent(role: Role, value: unknown): string {
  const content = text('content', value, LIMITS.content);
  if (role === 'user' && content.trim() === '')
    throw invalidInput('content', 'a user message must not be empty or only whitespace');
  return content;
}

export function experienceLevel(value: unknown): ExperienceLevel | null {
  if (value === null) return null;
  if (!EXPERIENCE_LEVELS.includes(value as ExperienceLevel))
    throw invalidInput('experience_level', `must be one of ${EXPERIENCE_LEVELS.join(', ')} or null`);
  return value as ExperienceLevel;
}

/**
 * A BCP 47-ish language tag as the schema accepts it, in any case (tags are case-insensitive) and
 * returned in BCP 47's canonical case: language lowercase, 2-letter region uppercase, 4-letter
 * script titlecase, the rest (and all after a singleton such as `x-`) lowercase. `EN` -> `en`,
 * `zh-hant-tw` -> `zh-Hant-TW`.
 */
export function language(value: unknown): string {
  const v = text('preferred_language', value, LIMITS.language, 2);
  if (!/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(v))
    throw invalidInput('preferred_language', 'must be a language tag such as en or pt-BR');
  let extension = false;
  return v
    .split('-')
    .map((part, i) => {
      const lower = part.toLowerCase();
      if (i === 0 || extension) return lower;
      if (part.length === 1) extension = true;
      if (part.length === 2) return part.toUpperCase();
      if (part.length === 4 && /^[A-Za-z]+$/.test(part)) return lower[0]?.toUpperCase() + lower.slice(1);
      return lower;
    })
    .join('-');
}

function jsonValue(path: string, v: unknown, depth: number): void {
  if (depth > LIMITS.metadataDepth) throw invalidInput(path, `nests deeper than ${LIMITS.metadataDepth}`);
  if (v === null || typeof v === 'boolean') return;
  if (typeof v === 'string') {
    text(path, v, Number.MAX_SAFE_INTEGER);
    return;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw invalidInput(path, 'must be a finite number');
    return;
  }
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) jsonValue(`${path}[${i}]`, x, depth + 1);
    return;
  }
  const proto = typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
  if (proto === Object.prototype || proto === null) {
    for (const [k, x] of Object.entries(v as object)) {
      text(`${path} key`, k, Number.MAX_SAFE_INTEGER);
      if (x !== undefined) jsonValue(`${path}.${k}`, x, depth + 1);
    }
    return;
  }
  throw invalidInput(path, 'must be JSON (string, number, boolean, null, array or object)');
}

/**
 * A metadata object: a plain JSON object (not an array), strings and keys free of NUL and lone
 * surrogates (jsonb rejects \u0000), finite numbers, at most 64 KiB serialized.
 */
export function metadata(path: string, value: unknown): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidInput(path, 'must be a JSON object');
  jsonValue(path, value, 0);
  const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (size > LIMITS.metadataBytes)
    throw invalidInput(path, `must be at most ${LIMITS.metadataBytes} bytes as JSON`);
  return value as JsonObject;
}

/** An integer in [min, max], or `fallback` when undefined. */
export function int(path: string, value: unknown, min: number, max: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalidInput(path, `must be an integer from ${min} to ${max}`);
  return value;
}

/** A page size: 1..max, default `fallback`. */
export const limit = (value: unknown, max: number, fallback: number): number =>
  int('limit', value, 1, max, fallback);

/**
 * The instants a date input may name: 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z, the
 * four-digit years of ISO 8601. Wider than any chat history, narrower than both what JavaScript
 * (+-275760) and Postgres (4713 BC..294276) accept, and both drivers send every date in it intact.
 */
export const DATE_RANGE = { min: -62135596800000, max: 253402300799999 } as const;

/** True for a Date that is a real instant in DATE_RANGE. */
export const isDateInRange = (value: unknown): value is Date =>
  value instanceof Date && value.getTime() >= DATE_RANGE.min && value.getTime() <= DATE_RANGE.max;

/** A Date that is a real instant in DATE_RANGE (years 1..9999, UTC). */
export function date(path: string, value: unknown): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime()))
    throw invalidInput(path, 'must be a valid Date');
  if (!isDateInRange(value)) throw invalidInput(path, 'must be a Date from year 1 to 9999 (UTC)');
  return value;
}

/** `Idempotency-Key`: 1..255 visible ASCII characters. */
export function idempotencyKey(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(value))
    throw invalidInput('idempotency_key', 'must be 1..255 visible ASCII characters');
  return value;
}

const CITATION_KEYS = ['documentId', 'chunkId', 'score', 'citationIndex', 'excerpt', 'metadata'];

/** A citation with every default filled in: what is stored and hashed. */
export interface NormalizedCitation {
  readonly citation_index: number;
  readonly document_id: string;
  readonly chunk_id: string | null;
  readonly score: number | null;
  readonly excerpt: string | null;
  readonly metadata: JsonObject;
}

/**
 * Citations of one message: at most 100; document_id 1..1000 chars, 2,048 bytes; score 0..1 or null;
 * citation_index an integer >= 1, defaulting to the position (from 1), unique in the message.
 */
export function citations(value: unknown): NormalizedCitation[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidInput('citations', 'must be an array');
  if (value.length > LIMITS.citationsPerMessage)
    throw invalidInput('citations', `at most ${LIMITS.citationsPerMessage} per message`);
  const seen = new Set<number>();
  return value.map((raw: unknown, i) => {
    const p = `citations[${i}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw invalidInput(p, 'must be an object');
    const c = raw as CitationInput;
    knownKeys(c, CITATION_KEYS, p);
    const index = int(`${p}.citation_index`, c.citationIndex, 1, 1_000_000, i + 1);
    if (seen.has(index)) throw invalidInput(`${p}.citation_index`, `duplicate citation_index ${index}`);
    seen.add(index);
    const score = c.score ?? null;
    if (score !== null && (typeof score !== 'number' || !(score >= 0 && score <= 1)))
      throw invalidInput(`${p}.score`, 'must be a number from 0 to 1, or null');
    return {
      citation_index: index,
      document_id: documentId(`${p}.document_id`, c.documentId),
      chunk_id: optionalText(`${p}.chunk_id`, c.chunkId, LIMITS.chunkId),
      score,
      excerpt: optionalText(`${p}.excerpt`, c.excerpt, LIMITS.excerpt),
      metadata: c.metadata === undefined ? {} : metadata(`${p}.metadata`, c.metadata),
    };
  });
}
