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

/**
 * The JSON parser of the API: Fastify's own (secure-json-parse, so `__proto__` and `constructor`
 * keys are still refused) behind two checks: an empty body is no body (routes that take none
 * accept it; see `emptyBodyAsObject` for the others), and a body nested deeper than
 * MAX_JSON_DEPTH is a 400 before anything parses it.
 */
export function registerJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
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
    return parse(req, text, done);
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
