/**
 * Checks on a message's parts (the AI SDK's UIMessage parts) and what chatdb derives from them:
 * the content (text of the text parts) and the citations (source parts). Parts are stored as
 * given; only what Postgres cannot store, or chatdb cannot use, is refused.
 */
import { invalidInput } from '../errors.js';
import type { JsonObject, MessagePart, MessageStatus } from './types.js';
import * as v from './validate.js';

export const PART_LIMITS = {
  /** Parts of one message. */
  parts: 10_000,
  /** The parts as JSON, in UTF-8 bytes (a 20-step reply with tool outputs fits easily). */
  bytes: 8 * 1024 * 1024,
  /** Nesting of objects and arrays inside one part (tool inputs and outputs are JSON). */
  depth: 64,
  /** A part's type, such as `tool-getWeather` or `data-weather`. */
  type: 255,
} as const;

export const STATUSES: readonly MessageStatus[] = ['streaming', 'complete', 'aborted', 'error'];

/** The client id of a message: 1..255 characters, no control characters or spaces at the ends. */
export function clientId(path: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[^\p{Cc}\s](?:[^\p{Cc}]*[^\p{Cc}\s])?$/u.test(value))
    throw invalidInput(path, 'must be 1..255 visible characters (no control characters)');
  return v.text(path, value, 255, 1);
}

/** A message's status; not given: complete. */
export function status(value: unknown): MessageStatus {
  return optionalStatus(value) ?? 'complete';
}

/** A message's status, or undefined when not given. */
export function optionalStatus(value: unknown): MessageStatus | undefined {
  if (value === undefined) return undefined;
  if (!STATUSES.includes(value as MessageStatus))
    throw invalidInput('status', `must be one of ${STATUSES.join(', ')}`);
  return value as MessageStatus;
}

/** Any JSON below a part: strings and keys storable (no NUL, no lone surrogate), numbers finite. */
function json(path: string, x: unknown, depth: number): void {
  if (depth > PART_LIMITS.depth) throw invalidInput(path, `nests deeper than ${PART_LIMITS.depth}`);
  if (x === null || typeof x === 'boolean') return;
  if (typeof x === 'string') {
    v.text(path, x, Number.MAX_SAFE_INTEGER);
    return;
  }
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw invalidInput(path, 'must be a finite number');
    return;
  }
  if (Array.isArray(x)) {
    for (const [i, y] of x.entries()) json(`${path}[${i}]`, y, depth + 1);
    return;
  }
  const proto = typeof x === 'object' ? Object.getPrototypeOf(x) : undefined;
  if (proto !== Object.prototype && proto !== null)
    throw invalidInput(path, 'must be JSON (string, number, boolean, null, array or object)');
  for (const [k, y] of Object.entries(x as object)) {
    v.text(`${path} key`, k, Number.MAX_SAFE_INTEGER);
    if (y !== undefined) json(`${path}.${k}`, y, depth + 1);
  }
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === 'object' && !Array.isArray(x);

const isTool = (type: string): boolean => type.startsWith('tool-') || type === 'dynamic-tool';

/** A string field a part of this type must have (non-empty when `nonEmpty`). */
function required(path: string, part: Record<string, unknown>, key: string, nonEmpty: boolean): void {
  const x = part[key];
  if (typeof x !== 'string' || (nonEmpty && x.length === 0))
    throw invalidInput(`${path}.${key}`, nonEmpty ? 'must be a non-empty string' : 'must be a string');
}

/**
 * A message's parts: an array of at most 10,000 objects, each with a string `type`; text and
 * reasoning parts have a string `text`, tool parts (`tool-*`, `dynamic-tool`) a `toolCallId`,
 * `source-url` a `url`, `source-document` a `sourceId`; all of it JSON Postgres stores (no NUL
 * anywhere), at most 8 MiB. Other part types (`file`, `data-*`, `step-start`, new ones) pass as
 * they are.
 */
export function parts(value: unknown): MessagePart[] {
  if (!Array.isArray(value)) throw invalidInput('parts', 'must be an array');
  if (value.length > PART_LIMITS.parts) throw invalidInput('parts', `at most ${PART_LIMITS.parts} parts`);
  for (const [i, part] of value.entries()) {
    const p = `parts[${i}]`;
    if (!isObject(part)) throw invalidInput(p, 'must be an object');
    const type = part.type;
    if (typeof type !== 'string' || type.length === 0 || v.charLength(type) > PART_LIMITS.type)
      throw invalidInput(`${p}.type`, `must be a string of 1..${PART_LIMITS.type} characters`);
    json(p, part, 0);
    if (type === 'text' || type === 'reasoning') required(p, part, 'text', false);
    if (isTool(type)) required(p, part, 'toolCallId', true);
    if (type === 'source-url') required(p, part, 'url', true);
    if (type === 'source-document') required(p, part, 'sourceId', true);
  }
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > PART_LIMITS.bytes)
    throw invalidInput('parts', `must be at most ${PART_LIMITS.bytes} bytes as JSON`);
  return value as MessagePart[];
}

/** The text of the text parts, joined by blank lines (what search and the plain API read). */
export function contentOf(list: readonly MessagePart[]): string {
  const content = list
    .filter((p) => p.type === 'text')
    .map((p) => p.text as string)
    .join('\n\n');
  return v.text('parts', content, v.LIMITS.content);
}

const pick = (part: MessagePart, keys: readonly string[]): JsonObject => {
  const out: JsonObject = {};
  for (const k of keys) {
    const x = part[k];
    if (typeof x === 'string') out[k] = x;
  }
  return out;
};

/** The citation of one `text` part citation (`{ source, citedText?, startIndex?, endIndex? }`). */
function textCitation(p: string, c: unknown): Omit<v.NormalizedCitation, 'citation_index'> {
  const source = c !== null && typeof c === 'object' ? (c as JsonObject).source : undefined;
  if (source === null || typeof source !== 'object' || Array.isArray(source))
    throw invalidInput(`${p}.source`, 'must be an object (a source-url or source-document source)');
  const src = source as MessagePart;
  const url = src.sourceType === 'url';
  const cited = (c as JsonObject).citedText;
  const metadata: JsonObject = {
    type: 'text-citation',
    ...pick(src, ['sourceType', 'title', 'mediaType', 'filename']),
  };
  if (typeof src.id === 'string') metadata.sourceId = src.id;
  for (const k of ['startIndex', 'endIndex'] as const) {
    const n = (c as JsonObject)[k];
    if (typeof n === 'number') metadata[k] = n;
  }
  return {
    document_id: url ? v.documentId(`${p}.source.url`, src.url) : v.documentId(`${p}.source.id`, src.id),
    chunk_id: null,
    score: null,
    excerpt: cited === undefined ? null : v.optionalText(`${p}.citedText`, cited, v.LIMITS.excerpt),
    metadata,
  };
}

/**
 * The citations of a message, in the order of its parts: a `source-url` cites its url, a
 * `source-document` its sourceId (the other fields, type, sourceId, title, mediaType, filename, go
 * into the citation's metadata), and each of a `text` part's `citations` (the AI SDK's
 * `{ source, citedText?, startIndex?, endIndex? }`) cites its source's url or id, with the cited
 * passage as the excerpt. The parts themselves keep everything.
 */
export function citationsOf(list: readonly MessagePart[]): v.NormalizedCitation[] {
  const out: v.NormalizedCitation[] = [];
  for (const [i, part] of list.entries()) {
    const p = `parts[${i}]`;
    if (part.type === 'text' && part.citations !== undefined) {
      if (!Array.isArray(part.citations)) throw invalidInput(`${p}.citations`, 'must be an array');
      for (const [k, c] of part.citations.entries())
        out.push({ citation_index: out.length + 1, ...textCitation(`${p}.citations[${k}]`, c) });
      continue;
    }
    const url = part.type === 'source-url';
    if (!url && part.type !== 'source-document') continue;
    out.push({
      citation_index: out.length + 1,
      document_id: url ? v.documentId(`${p}.url`, part.url) : v.documentId(`${p}.sourceId`, part.sourceId),
      chunk_id: null,
      score: null,
      excerpt: null,
      metadata: pick(part, ['type', 'sourceId', 'title', 'mediaType', 'filename']),
    });
  }
  if (out.length > v.LIMITS.citationsPerMessage)
    throw invalidInput('parts', `at most ${v.LIMITS.citationsPerMessage} citations per message`);
  return out;
}
