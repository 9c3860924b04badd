import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { createChatDb } from '../../src/store/chatdb.js';
import { generateShareToken } from '../../src/store/shares.js';
import { type Api, api, login } from './helpers.js';

/** Share links over HTTP: POST/GET/DELETE /chat/sessions/{id}/shares and the public GET /shared/{token}. */
let t: Api;
let h: Record<string, string>;
let other: Record<string, string>;
let sid: string;
let userId: string;
beforeAll(async () => {
  t = await api();
  ({ h, id: userId } = await login(t.app, 'shares@example.com'));
  ({ h: other } = await login(t.app, 'shares-other@example.com'));
  sid = (
    await t.app.inject({
      method: 'POST',
      url: '/chat/sessions',
      headers: h,
      payload: { title: 'Shared', metadata: { private: 'owner-only' } },
    })
  ).json().id;
  for (const [id, role, text] of [
    ['s 0', 'system', 'internal prompt'],
    ['q 1', 'user', 'How?'],
    ['a/1', 'assistant', 'Like this.'],
  ])
    await t.app.inject({
      method: 'PUT',
      url: `/chat/sessions/${sid}/messages/${encodeURIComponent(id as string)}`,
      headers: h,
      payload: { role, parts: [{ type: 'text', text }], metadata: { hidden: 'message-meta' } },
    });
});
afterAll(() => t.close());

const create = (payload: unknown = {}, headers = h, session = sid) =>
  t.app.inject({
    method: 'POST',
    url: `/chat/sessions/${session}/shares`,
    headers,
    payload: payload as never,
  });
const list = (headers = h, session = sid) =>
  t.app.inject({ method: 'GET', url: `/chat/sessions/${session}/shares`, headers });
const revoke = (id: string, headers = h, session = sid) =>
  t.app.inject({ method: 'DELETE', url: `/chat/sessions/${session}/shares/${id}`, headers });
const read = (path: string) => t.app.inject({ method: 'GET', url: path });
const rows = async () =>
  (
    await t.s.db.query<{ t: string }>(
      `SELECT coalesce(string_agg(sh::text, ';' ORDER BY sh::text), '') AS t FROM session_shares sh`,
    )
  ).rows[0]?.t;
const expectProblem = (r: { statusCode: number; headers: Record<string, unknown> }, status: number) => {
  expect(r.statusCode).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
};

describe('share routes', () => {
  it('POST makes a link (201, token once); GET /shared/{token} reads it without auth; DELETE revokes (204, then 404)', async () => {
    const r = await create({});
    expect(r.statusCode).toBe(201);
    const s = r.json();
    expect(s).toEqual({
      id: expect.any(String),
      token: expect.stringMatching(/^shr_[A-Za-z0-9_-]{43}$/),
      path: `/shared/${s.token}`,
      up_to_message_id: null,
      created_at: expect.any(String),
      expires_at: null,
    });
    const shared = await read(s.path);
    expect(shared.statusCode).toBe(200);
    expect(shared.headers).toMatchObject({
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-robots-tag': 'noindex, nofollow',
    });
    expect(shared.json()).toEqual({
      title: 'Shared',
      messages: [
        {
          id: 'q 1',
          role: 'user',
          parts: [{ type: 'text', text: 'How?' }],
          content: 'How?',
          citations: [],
          created_at: expect.any(String),
        },
        {
          id: 'a/1',
          role: 'assistant',
          parts: [{ type: 'text', text: 'Like this.' }],
          content: 'Like this.',
          citations: [],
          created_at: expect.any(String),
        },
      ],
    });
    for (const hidden of [userId, sid, 'owner-only', 'message-meta', 'internal prompt', 'shares@example.com'])
      expect(shared.body, hidden).not.toContain(hidden);

    const l = await list();
    expect(l.statusCode).toBe(200);
    expect(l.json().data).toEqual([
      { id: s.id, up_to_message_id: null, created_at: s.created_at, expires_at: null, revoked_at: null },
    ]);
    expect(l.body).not.toContain(s.token);
    expect((await revoke(s.id)).statusCode).toBe(204);
    const gone = await read(s.path);
    expectProblem(gone, 404);
    expect(gone.headers['cache-control']).toBe('no-store');
    expect(gone.headers['referrer-policy']).toBe('no-referrer');
    const before = await rows();
    expectProblem(await revoke(s.id), 404);
    expect(await rows()).toBe(before);
    expect((await list()).json().data[0].revoked_at).toEqual(expect.any(String));
  });

  it('up to a message, expiring: only the path to it; an expired link is 404', async () => {
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    const r = await create({ up_to_message_id: 'q 1', expires_at: expires });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ up_to_message_id: 'q 1', expires_at: expires });
    expect((await read(r.json().path)).json().messages.map((m: { id: string }) => m.id)).toEqual(['q 1']);
    await t.s.db.query(`UPDATE session_shares SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      r.json().id,
    ]);
    expectProblem(await read(r.json().path), 404);
  });

  it('a session in the trash: sharing it is 404, its links are 404 until it is restored', async () => {
    const r = await create();
    expect(r.statusCode).toBe(201);
    const session = (op: 'DELETE' | 'POST', path = '') =>
      t.app.inject({ method: op, url: `/chat/sessions/${sid}${path}`, headers: h });
    expect((await session('DELETE')).statusCode).toBe(204);
    const before = await rows();
    expectProblem(await create(), 404);
    expectProblem(await list(), 404);
    expectProblem(await read(r.json().path), 404);
    expect(await rows()).toBe(before);
    expect((await session('POST', '/restore')).statusCode).toBe(200);
    expect((await read(r.json().path)).statusCode).toBe(200);
  });

  it('bad input: 4xx problem, nothing changed', async () => {
    const before = await rows();
    const past = await create({ expires_at: '2001-01-01T00:00:00Z' });
    expect(past.json().errors).toEqual([{ path: 'body.expires_at', message: 'must be in the future' }]);
    for (const body of [
      { expires_at: '2001-01-01T00:00:00Z' },
      { expires_at: 'tomorrow' },
      { expires_at: '2026-13-45T00:00:00Z' },
      { expires_at: 12 },
      { up_to_message_id: '' },
      { up_to_message_id: 'a\u0000b' },
      { up_to_message_id: 'x'.repeat(256) },
      { up_to_message_id: 5 },
      { token: 'mine' },
      [],
    ])
      expectProblem(await create(body), 400);
    expectProblem(await create('x'), 415);
    expectProblem(await create({ up_to_message_id: 'no such' }), 404);
    expectProblem(await create({}, h, '00000000-0000-4000-8000-000000000000'), 404);
    expectProblem(await create({}, h, 'not-a-uuid'), 404);
    expectProblem(await revoke('not-a-uuid'), 404);
    expectProblem(await revoke('00000000-0000-4000-8000-000000000000'), 404);
    expectProblem(await create({}, {}), 401);
    expectProblem(await list({}), 401);
    expect(await rows()).toBe(before);
  });

  it("another user's session, message or link: 404, nothing changed", async () => {
    const mine = (await create({})).json();
    const before = await rows();
    const own = (
      await t.app.inject({ method: 'POST', url: '/chat/sessions', headers: other, payload: {} })
    ).json().id as string;
    for (const r of [
      await create({}, other),
      await list(other),
      await revoke(mine.id, other),
      await revoke(mine.id, other, own),
      await create({ up_to_message_id: 'a/1' }, other, own),
    ])
      expectProblem(r, 404);
    expect(await rows()).toBe(before);
    expect((await read(mine.path)).statusCode).toBe(200);
  });

  it('guessed tokens are 404: wrong shape, random, a bearer token, too long', async () => {
    const { token } = await login(t.app, 'shares-guess@example.com');
    for (const guess of [
      generateShareToken(),
      'shr_',
      'x',
      token,
      encodeURIComponent('shr_\u0000'),
      `shr_${'A'.repeat(43)}`,
      'A'.repeat(99),
    ])
      expectProblem(await read(`/shared/${guess}`), 404);
    expect((await read(`/shared/${'A'.repeat(200)}`)).statusCode).toBeGreaterThanOrEqual(400);
    expect((await read(`/shared/${'A'.repeat(200)}`)).statusCode).toBeLessThan(500);
    expectProblem(await read('/shared/'), 404);
  });

  it('a share token is no bearer token', async () => {
    const s = (await create({})).json();
    expectProblem(await list({ authorization: `Bearer ${s.token}` }), 401);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths['/chat/sessions/{id}/shares']).sort()).toEqual(['get', 'post']);
    expect(doc.paths['/chat/sessions/{id}/shares/{share_id}'].delete).toBeDefined();
    const pub = doc.paths['/shared/{token}'].get;
    expect(pub.security).toBeUndefined();
    expect(Object.keys(pub.responses)).toEqual(expect.arrayContaining(['200', '404', '429']));
  });
});

describe('the public read', () => {
  it('is rate limited per client address (429 with Retry-After)', async () => {
    const app = await buildApp({ chat: createChatDb(t.s.db), shareLimit: { perAddress: 2 } });
    try {
      const path = `/shared/${generateShareToken()}`;
      expect((await app.inject({ method: 'GET', url: path })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: path })).statusCode).toBe(404);
      const r = await app.inject({ method: 'GET', url: path });
      expectProblem(r, 429);
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      expect(r.headers['cache-control']).toBe('no-store');
    } finally {
      await app.close();
    }
  });

  it('CHATDB_SHARE_LIMIT_PER_ADDRESS sets the limit, and a bad value names the variable', () => {
    expect(loadConfig({}).shareLimit).toEqual({ perAddress: 60 });
    expect(loadConfig({ CHATDB_SHARE_LIMIT_PER_ADDRESS: '500' }).shareLimit).toEqual({ perAddress: 500 });
    expect(() => loadConfig({ CHATDB_SHARE_LIMIT_PER_ADDRESS: '0' })).toThrow(
      /^CHATDB_SHARE_LIMIT_PER_ADDRESS /,
    );
  });

  it('never writes its token to the request log', async () => {
    const raw: string[] = [];
    const app = await buildApp({
      chat: createChatDb(t.s.db),
      logger: { level: 'info', stream: { write: (l: string) => raw.push(l) } },
    });
    try {
      const s = (await create({})).json();
      expect((await app.inject({ method: 'GET', url: s.path })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: `${s.path}?x=1` })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: `${s.path}/more` })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: `/SHARED/${s.token}` })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: `/nowhere/${s.token}` })).statusCode).toBe(404);
      expect(raw).toHaveLength(5);
      const all = raw.join('');
      expect(all).not.toContain(s.token);
      expect(all).not.toContain(s.token.slice(4));
      expect(JSON.parse(raw[0] as string)).toMatchObject({
        path: '/shared/[redacted]',
        route: '/shared/:token',
      });
    } finally {
      await app.close();
    }
  });
});
