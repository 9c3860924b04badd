import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/http/body.js';
import { type Api, api, counts, login } from './helpers.js';

let t: Api;
let h: Record<string, string>;
let sid: string;
beforeAll(async () => {
  t = await api();
  ({ h } = await login(t.app, 'input@example.com'));
  sid = (await t.app.inject({ method: 'POST', url: '/chat/sessions', headers: h, payload: {} })).json().id;
});
afterAll(() => t.close());

type Res = Awaited<ReturnType<Api['app']['inject']>>;
const json = { 'content-type': 'application/json' };
const send = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, headers: object, payload?: string) =>
  t.app.inject({
    method,
    url,
    headers: { ...json, ...headers },
    ...(payload === undefined ? {} : { payload }),
  });
const problemOf = (r: Res, status: number) => {
  expect(r.statusCode, r.body).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  return r.json() as { detail: string; errors?: { path: string; message: string }[] };
};
const paths = (r: Res) => (problemOf(r, 400).errors ?? []).map((e) => e.path);
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('deeply nested bodies', () => {
  for (const depth of [10_000, 200_000]) {
    it(`refuses ${depth} nested arrays with 400, without and with a login`, async () => {
      const before = await counts(t.s);
      const anon = await send(
        'POST',
        '/users',
        {},
        `{"email":"deep${depth}@example.com","password":"long enough 1","x":${nested(depth)}}`,
      );
      expect(problemOf(anon, 400).errors).toEqual([
        { path: 'body', message: `nests arrays/objects deeper than ${MAX_JSON_DEPTH} levels` },
      ]);
      const authed = await send('POST', '/chat/sessions', h, `{"metadata":{"deep":${nested(depth)}}}`);
      expect(paths(authed)).toEqual(['body']);
      const message = await send(
        'POST',
        `/chat/sessions/${sid}/messages`,
        h,
        `{"role":"user","content":"x","metadata":{"m":${nested(depth)}}}`,
      );
      expect(paths(message)).toEqual(['body']);
      expect(await counts(t.s)).toEqual(before);
    });
  }

  it('lets a body nested exactly to the limit through to validation (brackets in strings do not count)', async () => {
    const body = (depth: number) =>
      `{"email":"[[[[{{{{@example.com","password":"long enough 1","x":${nested(depth - 1)}}`;
    const at = await send('POST', '/users', {}, body(MAX_JSON_DEPTH));
    expect(problemOf(at, 400).errors).toEqual([{ path: 'body.x', message: 'is not allowed' }]);
    expect(paths(await send('POST', '/users', {}, body(MAX_JSON_DEPTH + 1)))).toEqual(['body']);
    const titled = await send('POST', '/chat/sessions', h, `{"title":"${'['.repeat(100)}","metadata":{}}`);
    expect(titled.statusCode, titled.body).toBe(201);
  });
});

describe('bodies are validated as sent, without coercion', () => {
  it('names every field of a message body with the wrong types', async () => {
    const r = await send(
      'POST',
      `/chat/sessions/${sid}/messages`,
      h,
      '{"role":["user"],"content":12345,"citations":[{"document_id":7,"score":"0.5"}]}',
    );
    expect(problemOf(r, 400).errors).toEqual([
      { path: 'body.role', message: 'must be "user", "assistant", "system" or "tool"' },
      { path: 'body.content', message: 'must be string' },
      { path: 'body.citations.0.document_id', message: 'must be string' },
      { path: 'body.citations.0.score', message: 'must be number or null' },
    ]);
    const list = await t.app.inject({ method: 'GET', url: `/chat/sessions/${sid}/messages`, headers: h });
    expect(list.json().data).toEqual([]);
  });

  it('refuses a boolean title instead of storing "true"', async () => {
    const r = await send('POST', '/chat/sessions', h, '{"title":true}');
    expect(problemOf(r, 400).errors).toEqual([{ path: 'body.title', message: 'must be string or null' }]);
    const patch = await send('PATCH', `/chat/sessions/${sid}`, h, '{"title":1}');
    expect(paths(patch)).toEqual(['body.title']);
    const got = await t.app.inject({ method: 'GET', url: `/chat/sessions/${sid}`, headers: h });
    expect(got.json().title).toBeNull();
  });

  it('still coerces the query string: limit=20 is a number, limit=abc a 400 naming it', async () => {
    const ok = await t.app.inject({ method: 'GET', url: '/chat/sessions?limit=20', headers: h });
    expect(ok.statusCode).toBe(200);
    const bad = await t.app.inject({ method: 'GET', url: '/chat/sessions?limit=abc', headers: h });
    expect(problemOf(bad, 400).errors).toEqual([{ path: 'querystring.limit', message: 'must be integer' }]);
  });
});

describe('error paths', () => {
  it('one clear error for a value outside a union, and constraints reported as such', async () => {
    const r = await send('PUT', '/users/me/profile', h, '{"experience_level":"guru"}');
    expect(problemOf(r, 400).errors).toEqual([
      { path: 'body.experience_level', message: 'must be "beginner", "intermediate", "advanced" or null' },
    ]);
    const score = await send(
      'POST',
      `/chat/sessions/${sid}/messages`,
      h,
      '{"role":"user","content":"x","citations":[{"document_id":"d","score":1.5}]}',
    );
    expect(problemOf(score, 400).errors).toEqual([
      { path: 'body.citations.0.score', message: 'must be <= 1' },
    ]);
  });

  it('names missing and unknown fields in the path', async () => {
    const r = await send('POST', `/chat/sessions/${sid}/messages`, h, '{"content":"x","colour":"red"}');
    expect(problemOf(r, 400).errors).toEqual(
      expect.arrayContaining([
        { path: 'body.role', message: 'is required' },
        { path: 'body.colour', message: 'is not allowed' },
      ]),
    );
  });

  it('says where a NUL is: the body field or the query parameter', async () => {
    const body = await send(
      'POST',
      `/chat/sessions/${sid}/messages`,
      h,
      JSON.stringify({ role: 'user', content: 'ok', citations: [{ document_id: 'd', excerpt: 'a\u0000b' }] }),
    );
    expect(paths(body)).toEqual(['body.citations.0.excerpt']);
    const query = await t.app.inject({ method: 'GET', url: '/chat/search?q=a%00b', headers: h });
    expect(paths(query)).toEqual(['querystring.q']);
  });

  it('maps a store error to the part of the request it came from', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/chat/sessions?cursor=garbage', headers: h });
    expect(paths(r)).toEqual(['querystring.cursor']);
  });

  it('a bad Idempotency-Key is a header error, and nothing is stored', async () => {
    for (const key of ['has space', 'x'.repeat(256), 'é']) {
      const r = await t.app.inject({
        method: 'POST',
        url: `/chat/sessions/${sid}/messages`,
        headers: { ...h, 'idempotency-key': key },
        payload: { role: 'user', content: 'x' },
      });
      expect(paths(r), key).toEqual(['headers.idempotency-key']);
    }
    const list = await t.app.inject({ method: 'GET', url: `/chat/sessions/${sid}/messages`, headers: h });
    expect(list.json().data).toEqual([]);
  });
});

describe('authentication comes before the body', () => {
  it('no token and a bad body: 401, not 400', async () => {
    for (const payload of ['{"role":', '{"role":"robot"}', `{"m":${nested(100)}}`]) {
      const r = await send('POST', `/chat/sessions/${sid}/messages`, {}, payload);
      problemOf(r, 401);
      expect(r.headers['www-authenticate']).toBe('Bearer');
    }
    problemOf(await send('PUT', '/users/me/profile', {}, '{"experience_level":"guru"}'), 401);
  });

  it('no token and a 2 MB body: 401, not 413', async () => {
    const big = JSON.stringify({ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) });
    problemOf(await send('POST', `/chat/sessions/${sid}/messages`, {}, big), 401);
    problemOf(await send('POST', '/chat/sessions', { authorization: 'Bearer nope' }, big), 401);
    problemOf(await send('POST', '/chat/sessions', h, big), 413);
  });
});

describe('empty bodies', () => {
  it('POST /chat/sessions with no body at all creates an untitled session', async () => {
    const none = await t.app.inject({ method: 'POST', url: '/chat/sessions', headers: h });
    expect(none.statusCode, none.body).toBe(201);
    expect(none.json()).toMatchObject({ title: null, metadata: {} });
    const empty = await send('POST', '/chat/sessions', h, '');
    expect(empty.statusCode, empty.body).toBe(201);
  });

  it('routes that take no body accept an empty JSON one', async () => {
    const s = (await t.app.inject({ method: 'POST', url: '/chat/sessions', headers: h })).json();
    expect((await send('DELETE', `/chat/sessions/${s.id}`, h, '')).statusCode).toBe(204);
    const c = await login(t.app, 'empty-logout@example.com');
    expect((await send('POST', '/auth/logout', c.h, '')).statusCode).toBe(204);
    const d = await login(t.app, 'empty-delete@example.com');
    expect((await send('DELETE', '/users/me', d.h, '')).statusCode).toBe(204);
  });

  it('a body with required fields is still required, and prototype poisoning is still refused', async () => {
    expect(paths(await send('POST', '/users', {}, ''))).toEqual(['body']);
    const poisoned = await send(
      'POST',
      '/users',
      {},
      '{"email":"proto@example.com","password":"long enough 1","__proto__":{"admin":true}}',
    );
    problemOf(poisoned, 400);
    const users = await t.s.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM users WHERE email = 'proto@example.com'",
    );
    expect(users.rows[0]?.n).toBe(0);
  });
});
