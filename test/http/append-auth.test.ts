/**
 * POST /chat/sessions/{id}/messages checks its bearer token inside the append's own statement
 * (`messages.appendAs`, one round trip). Every way a token can be invalid is still a 401 with
 * nothing written, whatever the body (bad, too large, not JSON), and a valid token still gets the
 * 400, 404, 413 and 415 the others get.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, api, counts, login } from './helpers.js';

let t: Api;
let owner: { id: string; token: string; h: Record<string, string> };
let sid: string;
beforeAll(async () => {
  t = await api({ bodyLimit: 64 * 1024 });
  owner = await login(t.app, 'append-auth@example.com');
  sid = (await t.app.inject({ method: 'POST', url: '/chat/sessions', headers: owner.h, payload: {} })).json()
    .id;
});
afterAll(() => t.close());

const post = (headers: Record<string, string>, payload: string, contentType = 'application/json') =>
  t.app.inject({
    method: 'POST',
    url: `/chat/sessions/${sid}/messages`,
    headers: { ...headers, 'content-type': contentType },
    payload,
  });
const good = JSON.stringify({ role: 'user', content: 'hello', citations: [{ document_id: 'd' }] });
const bodies = {
  valid: good,
  invalid: JSON.stringify({ role: 'robot', content: 'x' }),
  'not JSON': '{"role":',
  'too large': JSON.stringify({ role: 'user', content: 'x'.repeat(100 * 1024) }),
};

/** A token that was valid and is no longer, in each way the library knows. */
async function invalidTokens(): Promise<Record<string, Record<string, string>>> {
  const revoked = await login(t.app, 'revoked@example.com');
  await t.app.inject({ method: 'POST', url: '/auth/logout', headers: revoked.h });
  const expired = await login(t.app, 'expired@example.com');
  await t.s.db.query("UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1", [
    expired.id,
  ]);
  const inactive = await login(t.app, 'inactive@example.com');
  await t.s.db.query('UPDATE users SET is_active = false WHERE id = $1', [inactive.id]);
  return {
    revoked: revoked.h,
    expired: expired.h,
    'inactive user': inactive.h,
    unknown: { authorization: `Bearer ${'A'.repeat(43)}` },
    'not token-shaped': { authorization: 'Bearer nope' },
    none: {},
  };
}

describe('the append checks its token in its own statement', () => {
  it('a token that is not valid: 401 with WWW-Authenticate, whatever the body, and nothing written', async () => {
    const tokens = await invalidTokens();
    const before = await counts(t.s);
    for (const [how, headers] of Object.entries(tokens)) {
      for (const [what, body] of Object.entries(bodies)) {
        const r = await post(headers, body);
        expect(r.statusCode, `${how} token, ${what} body: ${r.body}`).toBe(401);
        expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(r.headers['www-authenticate']).toBe('Bearer');
        expect(r.json()).toMatchObject({ status: 401, type: 'urn:chatdb:problem:unauthorized' });
      }
      const r = await post(headers, good, 'text/plain');
      expect(r.statusCode, `${how} token, text/plain`).toBe(401);
    }
    expect(await counts(t.s)).toEqual(before);
  });

  it('a valid token: 201 and the message; 400, 413 and 415 for the body; 404 for another user’s session', async () => {
    const ok = await post(owner.h, good);
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ seq: 1, content: 'hello', citations: [{ document_id: 'd' }] });
    expect((await post(owner.h, bodies.invalid)).statusCode).toBe(400);
    expect((await post(owner.h, bodies['not JSON'])).statusCode).toBe(400);
    expect((await post(owner.h, bodies['too large'])).statusCode).toBe(413);
    expect((await post(owner.h, good, 'text/plain')).statusCode).toBe(415);
    const other = await login(t.app, 'other@example.com');
    const before = await counts(t.s);
    const r = await post(other.h, good);
    expect(r.statusCode, r.body).toBe(404);
    expect(await counts(t.s)).toEqual(before);
  });

  it('a token revoked between two appends stops the second at once', async () => {
    const c = await login(t.app, 'revoke-now@example.com');
    const own = (
      await t.app.inject({ method: 'POST', url: '/chat/sessions', headers: c.h, payload: {} })
    ).json().id;
    const send = () =>
      t.app.inject({
        method: 'POST',
        url: `/chat/sessions/${own}/messages`,
        headers: { ...c.h, 'content-type': 'application/json' },
        payload: good,
      });
    expect((await send()).statusCode).toBe(201);
    await t.s.db.query('UPDATE auth_tokens SET revoked_at = now() WHERE user_id = $1', [c.id]);
    expect((await send()).statusCode).toBe(401);
    const n = await t.s.db.query<{ n: number }>(
      'SELECT message_count AS n FROM chat_sessions WHERE id = $1',
      [own],
    );
    expect(n.rows[0]?.n).toBe(1);
  });

  it('an idempotent retry with the same token returns the first message (200)', async () => {
    const headers = { ...owner.h, 'idempotency-key': 'append-auth-retry' };
    const first = await post(headers, good);
    const again = await post(headers, good);
    expect([first.statusCode, again.statusCode]).toEqual([201, 200]);
    expect(again.json().id).toBe(first.json().id);
  });
});
