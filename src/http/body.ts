import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ChatDbError, type ErrorDetail } from '../errors.js';

/**
 * How deeply arrays and objects may nest in a JSON body (the body itself is level 1). Deeper
 * bodies are refused before they are parsed: nothing legitimate nests this far, and recursive code
 * (JSON.stringify, validators, jsonb) would otherwise overflow its stack on them.
 */
export const MAX_JSON_DEPTH = 64;

/** True when JSON text nests arrays/objects deeper than `max`; one pass, no recursion. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** UTF-8 as JSON must be: a byte sequence that is not UTF-8 throws instead of becoming U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A body's bytes as text, or a 400 naming the body when they are not valid UTF-8. */
export function decodeBody(bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    const message = 'is not valid UTF-8';
    throw new ChatDbError('invalid_input', `the request body ${message}`, {
      details: [{ path: 'body', message }],
    });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';

/**
 * The first key of parsed JSON that secure-json-parse refuses as prototype poisoning (`__proto__`,
 * or `constructor` holding a `prototype`), as a dotted path under `root`. JSON.parse makes
 * `__proto__` an own data property (it never sets a prototype), so walking its result is safe.
 */
export function findForbiddenKey(value: unknown, root: string): ErrorDetail | undefined {
  const stack: [unknown, string][] = [[value, root]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [v, path] = item;
    if (!isObject(v)) continue;
    if (Object.hasOwn(v, '__proto__'))
      return { path: `${path}.__proto__`, message: 'is a reserved key (__proto__ is not allowed)' };
    const ctor = Object.hasOwn(v, 'constructor') ? v.constructor : undefined;
    if (isObject(ctor) && Object.hasOwn(ctor, 'prototype'))
      return {
        path: `${path}.constructor`,
        message: 'is a reserved key (constructor.prototype is not allowed)',
      };
    const entries = Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, x] = entries[i] as [string, unknown];
      stack.push([x, `${path}.${k}`]);
    }
  }
  return undefined;
}

/**
 * The JSON parser of the API: Fastify's own (secure-json-parse, so `__proto__` and `constructor`
 * keys are still refused, now with the path of the key) behind three checks: the bytes must be
 * UTF-8 (a fatal decoder, not U+FFFD), an empty body is no body (routes that take none accept it;
 * see `emptyBodyAsObject` for the others), and a body nested deeper than MAX_JSON_DEPTH is a 400
 * before anything parses it.
 */
export function registerJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    let text: string;
    try {
      text = decodeBody(body as Buffer);
    } catch (e) {
      return done(e as Error, undefined);
    }
    if (text.trim() === '') return done(null, undefined);
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      const message = `nests arrays/objects deeper than ${MAX_JSON_DEPTH} levels`;
      return done(
        new ChatDbError('invalid_input', `the JSON body ${message}`, {
          details: [{ path: 'body', message }],
        }),
        undefined,
      );
    }
    return parse(req, text, (err, value) => {
      if (!err) return done(null, value);
      let forbidden: ErrorDetail | undefined;
      try {
        forbidden = findForbiddenKey(JSON.parse(text), 'body');
      } catch {
        forbidden = undefined;
      }
      if (!forbidden) return done(err, undefined);
      return done(
        new ChatDbError('invalid_input', 'the JSON body has a reserved key', { details: [forbidden] }),
        undefined,
      );
    });
  });
}

/**
 * A preValidation hook: a route whose body schema requires nothing (`POST /chat/sessions`) treats
 * a missing or empty body as `{}`.
 */
export async function emptyBodyAsObject(req: FastifyRequest): Promise<void> {
  const schema = req.routeOptions.schema?.body as { type?: string; required?: unknown[] } | undefined;
  if (req.body === undefined && schema?.type === 'object' && !schema.required?.length) req.body = {};
}

/**
 * A route without a body schema takes no body: none, an empty one or `{}` pass; anything else
 * (`{"x":1}` to DELETE /users/me) is refused as an unknown field would be, not ignored.
 */
export function unexpectedBody(req: FastifyRequest): ErrorDetail | undefined {
  if (req.routeOptions.schema?.body !== undefined || req.body === undefined) return undefined;
  const b = req.body;
  if (b !== null && typeof b === 'object' && !Array.isArray(b) && Object.keys(b).length === 0)
    return undefined;
  return { path: 'body', message: 'must be empty: this route takes no body' };
}

/**
 * Where a value (a parsed body or query) holds a NUL, which Postgres text cannot store: the dotted
 * path of the first string (or object key) that contains one, or undefined. Iterative, so any
 * nesting is safe.
 */
export function findNul(value: unknown, root: string): ErrorDetail | undefined {
  const stack: [unknown, string][] = [[value, root]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [v, path] = item;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { path, message: 'must not contain NUL (\\u0000)' };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}.${i}`]);
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (const [k] of entries)
        if (k.includes('\u0000')) return { path, message: 'has a key containing NUL (\\u0000)' };
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i] as [string, unknown];
        stack.push([x, `${path}.${k}`]);
      }
    }
  }
  return undefined;
}
