import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, api, counts, login } from './helpers.js';

/** Guests over HTTP: POST /auth/guest, POST /users/me/upgrade, GET /users/me's `guest`. */
let t: Api;
beforeAll(async () => {
  // A high limit here; the default one is tested below on an app of its own.
  t = await api({ registerLimit: { perAddress: 1000 } });
});
afterAll(() => t.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const guest = async () => {
  const r = await t.app.inject({ method: 'POST', url: '/auth/guest' });
  expect(r.statusCode).toBe(201);
  const b = r.json();
  return { id: b.user.id as string, h: bearer(b.access_token) };
};
const upgrade = (h: Record<string, string>, payload: unknown) =>
  t.app.inject({ method: 'POST', url: '/users/me/upgrade', headers: h, payload: payload as never });
const expectProblem = (r: { statusCode: number; headers: Record<string, unknown> }, status: number) => {
  expect(r.statusCode).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
};
const usersRows = async () =>
  (await t.s.db.query<{ t: string }>(`SELECT string_agg(u::text, ';' ORDER BY id) AS t FROM users u`)).rows[0]
    ?.t;

describe('guest routes', () => {
  it('a guest chats, upgrades (200, same id), signs in with the password and sees the same sessions', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/auth/guest' });
    expect(r.statusCode).toBe(201);
    const body = r.json();
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 7 * 24 * 3600,
      user: { id: expect.any(String), guest: true },
    });
    const h = bearer(body.access_token);
    const me = await t.app.inject({ method: 'GET', url: '/users/me', headers: h });
    expect(me.json()).toMatchObject({ id: body.user.id, email: null, guest: true, profile: null });

    const sid = (
      await t.app.inject({ method: 'POST', url: '/chat/sessions', headers: h, payload: {} })
    ).json().id;
    const m = await t.app.inject({
      method: 'POST',
      url: `/chat/sessions/${sid}/messages`,
      headers: h,
      payload: { role: 'user', content: 'hello as a guest' },
    });
    expect(m.statusCode).toBe(201);

    const up = await upgrade(h, { email: 'Guest.Now@example.com', password: 'a real password' });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toEqual({
      id: body.user.id,
      email: 'Guest.Now@example.com',
      guest: false,
      created_at: expect.any(String),
    });
    // The guest token stays valid (same user, now registered).
    expect((await t.app.inject({ method: 'GET', url: '/users/me', headers: h })).json()).toMatchObject({
      guest: false,
      email: 'Guest.Now@example.com',
    });
    const tok = await t.app.inject({
      method: 'POST',
      url: '/auth/token',
      payload: { email: 'guest.now@example.com', password: 'a real password' },
    });
    expect(tok.statusCode).toBe(200);
    const h2 = bearer(tok.json().access_token);
    const list = await t.app.inject({ method: 'GET', url: '/chat/sessions', headers: h2 });
    expect(list.json().data.map((s: { id: string }) => s.id)).toEqual([sid]);
    const msgs = await t.app.inject({ method: 'GET', url: `/chat/sessions/${sid}/messages`, headers: h2 });
    expect(msgs.json().data.map((x: { content: string }) => x.content)).toEqual(['hello as a guest']);
    // Registered now: a second upgrade is 409, and nothing changes.
    const before = await usersRows();
    const again = await upgrade(h2, { email: 'other@example.com', password: 'another password' });
    expectProblem(again, 409);
    expect(again.json().type).toBe('urn:chatdb:problem:conflict');
    expect(await usersRows()).toBe(before);
  });

  it('POST /auth/guest takes no body or {}; anything else is 400/415 and creates nothing', async () => {
    expect((await t.app.inject({ method: 'POST', url: '/auth/guest', payload: {} })).statusCode).toBe(201);
    const before = await counts(t.s);
    for (const [payload, type, status] of [
      ['{"email":"x@example.com"}', 'application/json', 400],
      ['[]', 'application/json', 400],
      ['"guest"', 'application/json', 400],
      ['{"a":"\\u0000"}', 'application/json', 400],
      ['{', 'application/json', 400],
      ['guest=1', 'application/x-www-form-urlencoded', 415],
      ['hi', 'text/plain', 415],
    ] as const) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/auth/guest',
        headers: { 'content-type': type },
        payload,
      });
      expectProblem(r, status);
    }
    expect(await counts(t.s)).toEqual(before);
  });

  it('upgrade refuses no token (401), bad input (400) and a taken email (409 email_taken), changing nothing', async () => {
    await login(t.app, 'taken-by-someone@example.com');
    const g = await guest();
    const before = await usersRows();
    const noToken = await t.app.inject({
      method: 'POST',
      url: '/users/me/upgrade',
      payload: { email: 'x@example.com', password: 'long enough' },
    });
    expectProblem(noToken, 401);
    for (const payload of [
      {},
      { email: 'x@example.com' },
      { password: 'long enough' },
      { email: 'not-an-email', password: 'long enough' },
      { email: 'x@example.com', password: 'short' },
      { email: 'x@example.com', password: 'x'.repeat(1025) },
      { email: 'x\u0000@example.com', password: 'long enough' },
      { email: 'x@example.com', password: 'long\ud800enough' },
      { email: 'x@example.com', password: 'long enough', guest: false },
      { email: 42, password: 'long enough' },
      ['x@example.com', 'long enough'],
    ]) {
      const r = await upgrade(g.h, payload);
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const taken = await upgrade(g.h, { email: 'TAKEN-by-someone@example.com', password: 'long enough' });
    expectProblem(taken, 409);
    expect(taken.json().type).toBe('urn:chatdb:problem:email_taken');
    expect(await usersRows()).toBe(before);
    const me = await t.app.inject({ method: 'GET', url: '/users/me', headers: g.h });
    expect(me.json()).toMatchObject({ guest: true, email: null });
  });

  it('two upgrades at once: one 200, the other 409, and the stored email is the winner', async () => {
    const g = await guest();
    const [a, b] = await Promise.all([
      upgrade(g.h, { email: 'race-a@example.com', password: 'password a' }),
      upgrade(g.h, { email: 'race-b@example.com', password: 'password b' }),
    ]);
    expect([a?.statusCode, b?.statusCode].sort()).toEqual([200, 409]);
    const winner = a?.statusCode === 200 ? a : b;
    const me = await t.app.inject({ method: 'GET', url: '/users/me', headers: g.h });
    expect(me.json().email).toBe(winner?.json().email);
    const n = await t.s.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM users WHERE email IN ('race-a@example.com', 'race-b@example.com')`,
    );
    expect(n.rows[0]?.n).toBe(1);
  });

  it('a deleted guest (DELETE /users/me) takes its sessions with it', async () => {
    const g = await guest();
    await t.app.inject({ method: 'POST', url: '/chat/sessions', headers: g.h, payload: {} });
    expect((await t.app.inject({ method: 'DELETE', url: '/users/me', headers: g.h })).statusCode).toBe(204);
    const left = await t.s.db.query<{ n: number }>(
      'SELECT (SELECT count(*) FROM users WHERE id = $1) + (SELECT count(*) FROM chat_sessions WHERE user_id = $1) AS n',
      [g.id],
    );
    expect(Number(left.rows[0]?.n)).toBe(0);
  });
});

describe('guest creation limit (POST /auth/guest, per client address)', () => {
  let l: Api;
  beforeAll(async () => {
    l = await api();
  });
  afterAll(() => l.close());

  it('the default 10 a minute per address, then 429 with Retry-After; another address still gets one', async () => {
    const create = (from: string) =>
      l.app.inject({ method: 'POST', url: '/auth/guest', remoteAddress: from });
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await create('10.2.0.1')).statusCode);
    expect(codes).toEqual([...Array(10).fill(201), 429, 429]);
    const refused = await create('10.2.0.1');
    expectProblem(refused, 429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json().detail).toMatch(/too many guest accounts from this address/);
    expect((await create('10.2.0.2')).statusCode).toBe(201);
    const n = await l.s.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE is_guest');
    expect(n.rows[0]?.n).toBe(11);
  });
});
