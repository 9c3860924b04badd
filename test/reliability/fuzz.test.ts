import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiRoute, apiRoutes } from '../helpers/routes.js';
import { type Api, api, login } from '../http/helpers.js';

/**
 * Bad input at scale: random JSON shapes, wrong types, huge strings, NUL, lone surrogates, invalid
 * UTF-8, deep nesting and wrong content types at every endpoint. Whatever comes in: never a 5xx,
 * every error a problem+json document, and a rejected request changes nothing in the database.
 * CHATDB_FUZZ_RUNS sets the runs per endpoint (default 60); a failure prints its seed.
 */
const RUNS = Number(process.env.CHATDB_FUZZ_RUNS ?? 60);

/** Every row the API can write, as one text: equal before and after = the request changed nothing. */
const FINGERPRINT = `SELECT md5(concat_ws('|',
  (SELECT string_agg(concat_ws(',', id, email, hashed_password, is_guest, is_active, updated_at), ';' ORDER BY id) FROM users),
  (SELECT string_agg(p::text, ';' ORDER BY user_id) FROM user_profiles p),
  (SELECT string_agg(concat_ws(',', token_hash, revoked_at), ';' ORDER BY token_hash) FROM auth_tokens),
  (SELECT string_agg(s::text, ';' ORDER BY id) FROM chat_sessions s), -- pinned, archived, trashed_at too
  (SELECT string_agg(m::text, ';' ORDER BY id) FROM messages m),
  (SELECT string_agg(c::text, ';' ORDER BY message_id, citation_index) FROM message_citations c),
  (SELECT string_agg(f::text, ';' ORDER BY message_id) FROM message_feedback f),
  (SELECT string_agg(sh::text, ';' ORDER BY id) FROM session_shares sh))) AS f`;

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
/** Strings that are hard to store: NUL, lone surrogates, emoji, right-to-left text, control characters. */
const nasty = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: loneSurrogate, minLength: 1, maxLength: 3 }),
  fc.constantFrom('\u0000', 'a\u0000b', '🤖'.repeat(300), 'مرحبا بالعالم', '\u202e', '\r\n\t', ' '),
  fc.integer({ min: 200_000, max: 1_200_000 }).map((n) => 'x'.repeat(n)),
);
const value: fc.Arbitrary<unknown> = fc.oneof(fc.jsonValue({ maxDepth: 3 }), nasty);

/** A body that looks like the route's own (its field names, random values), or anything else. */
const bodyFor = (fields: readonly string[]) =>
  fc.oneof(
    fc.dictionary(fc.constantFrom(...fields), value, { maxKeys: fields.length }),
    fc.jsonValue(),
    fc.constantFrom(null, [], 'text', 42),
  );

/** Raw payloads: the JSON of a body, invalid UTF-8, truncated JSON, deep nesting, other media types. */
const payload = (fields: readonly string[]) =>
  fc.oneof(
    { weight: 6, arbitrary: bodyFor(fields).map((b) => ({ type: 'application/json', body: json(b) })) },
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({
      type: 'application/json',
      body: Buffer.concat([
        Buffer.from('{"content":"'),
        Buffer.from(b),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}'),
      ]),
    })),
    fc.tuple(fc.constantFrom(...fields), fc.integer({ min: 30, max: 200_000 })).map(([field, d]) => ({
      type: 'application/json',
      body: `{"${field}":${'{"a":['.repeat(d)}1${']}'.repeat(d)}}`,
    })),
    fc.jsonValue().map((b) => ({ type: 'application/json', body: json(b).slice(0, -1) || '{' })),
    fc
      .constantFrom(
        'text/plain',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
      )
      .map((type) => ({ type, body: 'role=user&content=hi' })),
  );

const json = (v: unknown): string => JSON.stringify(v) ?? 'null';

/** Percent-encodes every UTF-8 byte (a lone surrogate becomes U+FFFD's bytes, as on the wire). */
const pct = (s: string): string =>
  [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

describe('fuzzing every endpoint with bad input', () => {
  let a: Api;
  let auth: Record<string, string>;
  let guestAuth: Record<string, string>;
  let session: string;
  /** A session in the trash: restore and DELETE with odd query strings have one to act on. */
  let spare: string;

  beforeAll(async () => {
    a = await api({
      loginLimit: { perAddress: 1_000_000, perEmail: 1_000_000 },
      registerLimit: { perAddress: 1_000_000 },
    });
    auth = (await login(a.app, 'fuzz@example.com')).h;
    // A guest to upgrade: a body that passes makes it a user (200), any other changes nothing.
    const g = await a.app.inject({ method: 'POST', url: '/auth/guest' });
    guestAuth = { authorization: `Bearer ${g.json().access_token}` };
    const s = await a.app.inject({
      method: 'POST',
      url: '/chat/sessions',
      headers: auth,
      payload: { title: 't' },
    });
    session = s.json().id;
    await a.app.inject({
      method: 'POST',
      url: `/chat/sessions/${session}/messages`,
      headers: auth,
      payload: { role: 'user', content: 'calibrate the arm', citations: [{ document_id: 'd' }] },
    });
    spare = (
      await a.app.inject({
        method: 'POST',
        url: '/chat/sessions',
        headers: auth,
        payload: { title: 'spare' },
      })
    ).json().id;
    await a.app.inject({ method: 'DELETE', url: `/chat/sessions/${spare}`, headers: auth });
    // An answer with a rating: the feedback routes have a target to change (or, rejected, not).
    await a.app.inject({
      method: 'PUT',
      url: `/chat/sessions/${session}/messages/fuzz-answer`,
      headers: auth,
      payload: { role: 'assistant', parts: [{ type: 'text', text: 'the answer' }] },
    });
    await a.app.inject({
      method: 'PUT',
      url: `/chat/sessions/${session}/messages/fuzz-answer/feedback`,
      headers: auth,
      payload: { rating: 'up', comment: 'good', tags: ['t'] },
    });
    // A share link: the share routes have a live link to revoke (or, rejected, not).
    await a.app.inject({
      method: 'POST',
      url: `/chat/sessions/${session}/shares`,
      headers: auth,
      payload: { up_to_message_id: 'fuzz-answer' },
    });
  });
  afterAll(() => a.close());

  const fingerprint = async () => (await a.s.db.query<{ f: string }>(FINGERPRINT)).rows[0]?.f;
  /** Every request sent (method and URL), for the last test: every route with input was fuzzed. */
  const sent: { method: string; url: string }[] = [];

  /** Sends one request and checks the invariants. */
  async function check(req: InjectOptions): Promise<void> {
    sent.push({ method: String(req.method), url: String(req.url) });
    const before = await fingerprint();
    const r = await a.app.inject(req);
    const where = `${req.method} ${String(req.url).slice(0, 80)} -> ${r.statusCode} ${r.body.slice(0, 200)}`;
    expect(r.statusCode, where).toBeLessThan(500);
    if (r.statusCode >= 400) {
      expect(r.headers['content-type'], where).toMatch(/^application\/problem\+json/);
      const p = r.json();
      expect(p, where).toMatchObject({
        status: r.statusCode,
        type: expect.any(String),
        title: expect.any(String),
      });
      expect(typeof p.detail, where).toBe('string');
      expect(r.body, where).not.toMatch(/\bat .+\.(ts|js):\d+/); // no stack trace
      expect(await fingerprint(), `${where}: a rejected request changed the database`).toBe(before);
    }
  }

  const bodies: {
    method: 'POST' | 'PUT' | 'PATCH';
    url: () => string;
    fields: string[];
    auth: boolean | 'guest';
  }[] = [
    { method: 'POST', url: () => '/users', fields: ['email', 'password'], auth: false },
    {
      method: 'POST',
      url: () => '/auth/token',
      fields: ['email', 'username', 'password', 'grant_type'],
      auth: false,
    },
    {
      method: 'PUT',
      url: () => '/users/me/profile',
      fields: [
        'software_background',
        'hardware_background',
        'experience_level',
        'preferred_language',
        'metadata',
      ],
      auth: true,
    },
    { method: 'POST', url: () => '/chat/sessions', fields: ['title', 'metadata'], auth: true },
    {
      method: 'PATCH',
      url: () => `/chat/sessions/${session}`,
      fields: ['title', 'metadata', 'leaf_message_id', 'active_stream_id', 'pinned', 'archived'],
      auth: true,
    },
    {
      method: 'PUT',
      url: () => `/chat/sessions/${session}/messages/fuzz-message`,
      fields: ['role', 'parts', 'metadata', 'parent_id', 'status', 'usage'],
      auth: true,
    },
    {
      method: 'POST',
      url: () => `/chat/sessions/${session}/messages`,
      fields: ['role', 'content', 'selected_text', 'metadata', 'citations', 'usage'],
      auth: true,
    },
    {
      method: 'PUT',
      url: () => `/chat/sessions/${session}/messages/fuzz-answer/feedback`,
      fields: ['rating', 'comment', 'tags'],
      auth: true,
    },
    { method: 'POST', url: () => '/auth/guest', fields: ['email', 'password', 'guest'], auth: false },
    { method: 'POST', url: () => '/users/me/upgrade', fields: ['email', 'password', 'guest'], auth: 'guest' },
    { method: 'POST', url: () => '/users/me/upgrade', fields: ['email', 'password'], auth: true },
    {
      method: 'POST',
      url: () => `/chat/sessions/${session}/shares`,
      fields: ['up_to_message_id', 'expires_at'],
      auth: true,
    },
  ];

  for (const e of bodies) {
    it(`${e.method} ${e.url().replace('undefined', '{id}')}: bodies${e.auth === 'guest' ? ' (a guest)' : ''}`, async () => {
      await fc.assert(
        fc.asyncProperty(payload(e.fields), async (p) => {
          await check({
            method: e.method,
            url: e.url(),
            headers: { ...(e.auth === 'guest' ? guestAuth : e.auth ? auth : {}), 'content-type': p.type },
            payload: p.body,
          });
        }),
        { numRuns: RUNS },
      );
    });
  }

  it("PUT /chat/sessions/{id}/messages/{message_id}: parts that look like the AI SDK's", async () => {
    const type = fc.oneof(
      fc.constantFrom('text', 'reasoning', 'tool-search', 'dynamic-tool', 'source-url', 'file', 'data-x'),
      nasty.map((x) => x.slice(0, 300)),
      fc.jsonValue({ maxDepth: 1 }),
    );
    const key = fc.constantFrom('text', 'toolCallId', 'state', 'input', 'output', 'url', 'sourceId', 'data');
    const part = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.tuple(type, fc.dictionary(key, value)).map(([t, rest]) => ({ ...rest, type: t })),
      },
      value,
    );
    const body = fc.record(
      {
        role: fc.constantFrom('user', 'assistant', 'tool', 'nobody'),
        parts: fc.array(part, { maxLength: 4 }),
        parent_id: fc.oneof(fc.constant(null), fc.string({ maxLength: 5 }), value),
        status: fc.oneof(fc.constantFrom('streaming', 'complete', 'aborted', 'error'), value),
      },
      { requiredKeys: ['role', 'parts'] },
    );
    await fc.assert(
      fc.asyncProperty(body, fc.string({ minLength: 1, maxLength: 8 }), async (b, id) => {
        await check({
          method: 'PUT',
          url: `/chat/sessions/${session}/messages/${pct(id)}`,
          headers: { ...auth, 'content-type': 'application/json' },
          payload: json(b),
        });
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('POST and PUT of a message: usage that looks like usage (counts at and past their bounds, odd models)', async () => {
    const count = fc.oneof(
      fc.integer({ min: -5, max: 5 }),
      fc.constantFrom(2 ** 31 - 1, 2 ** 31, 2 ** 53, -(2 ** 31), 0.5, 1e300, -0, null, '12', 'NaN', true),
      fc.double(),
    );
    const model = fc.oneof(
      fc.string({ maxLength: 210 }),
      nasty.map((x) => x.slice(0, 400)),
      value,
    );
    const usage = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record(
          { model, input_tokens: count, output_tokens: count, latency_ms: count },
          { requiredKeys: [] },
        ),
      },
      value,
    );
    await fc.assert(
      fc.asyncProperty(usage, fc.boolean(), async (u, viaPut) => {
        await check({
          method: viaPut ? 'PUT' : 'POST',
          url: `/chat/sessions/${session}/messages${viaPut ? '/fuzz-usage' : ''}`,
          headers: { ...auth, 'content-type': 'application/json' },
          payload: json(
            viaPut
              ? { role: 'assistant', parts: [{ type: 'text', text: 'u' }], usage: u }
              : { role: 'assistant', content: 'u', usage: u },
          ),
        });
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('query strings, path ids and headers', async () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      nasty.map((s) => s.slice(0, 3000)),
      fc.integer().map(String),
    );
    // One arbitrary per route and method, so that each is sent below whatever the random picks.
    const alternatives: fc.Arbitrary<InjectOptions>[] = [
      fc
        .record({ limit: text, cursor: text })
        .map((q) => ({ method: 'GET' as const, url: '/chat/sessions', query: q })),
      fc
        .record(
          { limit: text, cursor: text, archived: text, trashed: text, updated_since: text },
          { requiredKeys: [] },
        )
        .map((q) => ({ method: 'GET' as const, url: '/chat/sessions', query: q })),
      // Restore and DELETE ?permanent=…: of random ids, of the live session (not in the trash:
      // 404) and of the trashed one with a permanent value that is not a boolean (400).
      fc.tuple(text, text).map(([id, permanent]) => ({
        method: 'DELETE' as const,
        url: `/chat/sessions/${pct(id)}?permanent=${pct(permanent)}`,
      })),
      text
        .filter((x) => !['true', 'false'].includes(x))
        .map((permanent) => ({
          method: 'DELETE' as const,
          url: `/chat/sessions/${spare}?permanent=${pct(permanent)}`,
        })),
      fc.tuple(text, fc.constantFrom('id', 'live')).map(([id, which]) => ({
        method: 'POST' as const,
        url: `/chat/sessions/${which === 'live' ? session : pct(id)}/restore`,
      })),
      fc.record({ limit: text, after_seq: text, before_seq: text }).map((q) => ({
        method: 'GET' as const,
        url: `/chat/sessions/${session}/messages`,
        query: q,
      })),
      fc
        .record({ q: text, limit: text })
        .map((q) => ({ method: 'GET' as const, url: '/chat/search', query: q })),
      ...(['GET', 'PATCH', 'DELETE', 'POST'] as const).map((method) =>
        text.map((id) => ({
          method,
          url: `/chat/sessions/${pct(id)}${method === 'POST' ? '/messages' : ''}`,
          payload: method === 'GET' || method === 'DELETE' ? undefined : { role: 'user', content: 'x' },
        })),
      ),
      ...(['GET', 'PUT'] as const).map((method) =>
        text.map((id) => ({
          method,
          url: `/chat/sessions/${session}/messages/${pct(id)}${method === 'GET' ? '/siblings' : ''}`,
          payload: method === 'GET' ? undefined : { role: 'user', parts: [{ type: 'text', text: 'x' }] },
        })),
      ),
      ...(['PUT', 'DELETE', 'GET'] as const).map((method) =>
        fc.tuple(text, text).map(([sid, mid]) => ({
          method,
          url:
            method === 'GET'
              ? `/chat/sessions/${pct(sid)}/feedback`
              : `/chat/sessions/${session}/messages/${pct(mid)}/feedback`,
          payload: method === 'PUT' ? { rating: 'down', comment: 'x' } : undefined,
        })),
      ),
      ...(['GET', 'DELETE', 'PUBLIC'] as const).map((which) =>
        text.map((id) => ({
          method: which === 'DELETE' ? ('DELETE' as const) : ('GET' as const),
          url:
            which === 'GET'
              ? `/chat/sessions/${pct(id)}/shares`
              : which === 'DELETE'
                ? `/chat/sessions/${session}/shares/${pct(id)}`
                : `/shared/${pct(id)}`,
        })),
      ),
      text.map((key) => ({
        method: 'POST' as const,
        url: `/chat/sessions/${session}/messages`,
        headers: { 'idempotency-key': pct(key).slice(0, 400) || ' ' },
        payload: { role: 'user', content: 'retry me' },
      })),
      text.map((token) => ({
        method: 'GET' as const,
        url: '/users/me',
        headers: { authorization: `Bearer ${pct(token)}` },
      })),
    ];
    const request = fc.oneof(...alternatives);
    const send = async (r: InjectOptions) => {
      const { headers, ...rest } = r as InjectOptions & { headers?: Record<string, string> };
      const useAuth = !(headers && 'authorization' in headers);
      await check({ ...rest, headers: { ...(useAuth ? auth : {}), ...headers } });
    };
    await fc.assert(fc.asyncProperty(request, send), { numRuns: RUNS * 3 });
    // And each route and method at least twice, whatever the picks above were.
    for (const alternative of alternatives) for (const r of fc.sample(alternative, 2)) await send(r);
  });
  // Last in the file (vitest runs a file's tests in order): it reads what the tests above sent.
  it('every route that takes input (path ids, query, headers or a body) was fuzzed above', async () => {
    const withInput = (await apiRoutes(a.app)).filter((r: ApiRoute) => r.input);
    expect(withInput.length).toBeGreaterThan(20);
    const missing = withInput.filter((r) => !sent.some((q) => r.matches(q.method, q.url)));
    expect(missing.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });
});
