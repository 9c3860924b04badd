import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, api, login } from './helpers.js';

let t: Api;
let h: Record<string, string>;
let sid: string;
beforeAll(async () => {
  t = await api({ loginLimit: { perAddress: 100, perEmail: 3 } });
  ({ h } = await login(t.app, 'err@example.com'));
  sid = (await t.app.inject({ method: 'POST', url: '/chat/sessions', headers: h, payload: {} })).json().id;
});
afterAll(() => t.close());

const isProblem = (
  r: { statusCode: number; headers: Record<string, unknown>; json(): Record<string, unknown> },
  status: number,
) => {
  expect(r.statusCode).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = r.json();
  expect(body).toMatchObject({
    status,
    title: expect.any(String),
    type: expect.any(String),
    detail: expect.any(String),
  });
  expect(JSON.stringify(body)).not.toMatch(/\n\s+at /);
  return body;
};

describe('the error table of API.md', () => {
  it('400 malformed JSON', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/chat/sessions',
      headers: { ...h, 'content-type': 'application/json' },
      payload: '{"title": ',
    });
    isProblem(r, 400);
  });

  it('400 a body failing validation, with errors[]', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: `/chat/sessions/${sid}/messages`,
      headers: h,
      payload: { role: 'robot', content: 'x' },
    });
    const b = isProblem(r, 400);
    const errs = b.errors as { path: string; message: string }[];
    expect(errs.length).toBeGreaterThan(0);
    expect(errs.every((e) => e.path === 'body.role')).toBe(true);
    const extra = await t.app.inject({
      method: 'POST',
      url: '/chat/sessions',
      headers: h,
      payload: { title: 't', colour: 'red' },
    });
    isProblem(extra, 400);
    const q = await t.app.inject({ method: 'GET', url: '/chat/sessions?limit=101', headers: h });
    isProblem(q, 400);
  });

  it('400 text containing NUL, and nothing stored', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: `/chat/sessions/${sid}/messages`,
      headers: h,
      payload: { role: 'user', content: 'a\u0000b' },
    });
    isProblem(r, 400);
    const list = await t.app.inject({ method: 'GET', url: `/chat/sessions/${sid}/messages`, headers: h });
    expect(list.json().data).toEqual([]);
  });

  it('400 a lone surrogate (it cannot round-trip)', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: `/chat/sessions/${sid}/messages`,
      headers: { ...h, 'content-type': 'application/json' },
      payload: '{"role":"user","content":"broken \\ud800 pair"}',
    });
    isProblem(r, 400);
  });

  it('401 without a token, with an unknown one, and the same body for wrong email and wrong password', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/users/me' });
    isProblem(none, 401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    isProblem(
      await t.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: 'Bearer nope' } }),
      401,
    );
    const wrongPw = await t.app.inject({
      method: 'POST',
      url: '/auth/token',
      payload: { email: 'err@example.com', password: 'not the password' },
    });
    const wrongEmail = await t.app.inject({
      method: 'POST',
      url: '/auth/token',
      payload: { email: 'nobody@example.com', password: 'not the password' },
    });
    expect(isProblem(wrongPw, 401)).toEqual(isProblem(wrongEmail, 401));
  });

  it('401 for an expired token', async () => {
    const { h: h2, token } = await login(t.app, 'expired@example.com');
    await t.s.db.query(
      "UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = sha256(convert_to($1, 'UTF8'))",
      [token],
    );
    isProblem(await t.app.inject({ method: 'GET', url: '/users/me', headers: h2 }), 401);
  });

  it('404 for an unknown or malformed session id', async () => {
    isProblem(
      await t.app.inject({
        method: 'GET',
        url: '/chat/sessions/00000000-0000-4000-8000-000000000000',
        headers: h,
      }),
      404,
    );
    isProblem(await t.app.inject({ method: 'GET', url: '/chat/sessions/not-a-uuid', headers: h }), 404);
    isProblem(await t.app.inject({ method: 'GET', url: '/no/such/route' }), 404);
  });

  it('409 email already registered (case-insensitively)', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/users',
      payload: { email: 'ERR@example.com', password: 'another password' },
    });
    expect(isProblem(r, 409).type).toContain('email_taken');
  });

  it('413 a body over the limit', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: `/chat/sessions/${sid}/messages`,
      headers: h,
      payload: { role: 'user', content: 'x'.repeat(1024 * 1024 + 1) },
    });
    isProblem(r, 413);
  });

  it('415 a body that is not JSON', async () => {
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/chat/sessions',
        headers: { ...h, 'content-type': type },
        payload: 'title=x',
      });
      isProblem(r, 415);
    }
  });

  it('429 after repeated logins for one email, with Retry-After', async () => {
    let last = await t.app.inject({
      method: 'POST',
      url: '/auth/token',
      payload: { email: 'rate@example.com', password: 'whatever1' },
    });
    for (let i = 0; i < 3; i++) {
      last = await t.app.inject({
        method: 'POST',
        url: '/auth/token',
        payload: { email: 'Rate@example.com', password: 'whatever1' },
      });
    }
    isProblem(last, 429);
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('400 for a bad Idempotency-Key header', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: `/chat/sessions/${sid}/messages`,
      headers: { ...h, 'idempotency-key': 'has space' },
      payload: { role: 'user', content: 'x' },
    });
    isProblem(r, 400);
  });
});

describe('login rate limit per client address', () => {
  it('answers 429 with Retry-After past the per-address limit', async () => {
    const u = await api({ loginLimit: { perAddress: 2, perEmail: 100 } });
    try {
      const codes: number[] = [];
      let last: Awaited<ReturnType<typeof u.app.inject>> | undefined;
      for (let i = 0; i < 3; i++) {
        last = await u.app.inject({
          method: 'POST',
          url: '/auth/token',
          payload: { email: `x${i}@example.com`, password: 'whatever1' },
        });
        codes.push(last.statusCode);
      }
      expect(codes).toEqual([401, 401, 429]);
      expect(last?.headers['content-type']).toMatch(/problem\+json/);
      expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await u.close();
    }
  });
});
