import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, api, login } from './helpers.js';

/** Feedback over HTTP: PUT/DELETE …/messages/{message_id}/feedback and GET …/feedback. */
let t: Api;
let h: Record<string, string>;
let other: Record<string, string>;
let sid: string;
beforeAll(async () => {
  t = await api();
  ({ h } = await login(t.app, 'feedback@example.com'));
  ({ h: other } = await login(t.app, 'feedback-other@example.com'));
  sid = (await t.app.inject({ method: 'POST', url: '/chat/sessions', headers: h, payload: {} })).json().id;
  for (const [id, role] of [
    ['q 1', 'user'],
    ['a/1', 'assistant'],
  ])
    await t.app.inject({
      method: 'PUT',
      url: `/chat/sessions/${sid}/messages/${encodeURIComponent(id as string)}`,
      headers: h,
      payload: { role, parts: [{ type: 'text', text: 'x' }] },
    });
});
afterAll(() => t.close());

const A = encodeURIComponent('a/1');
const Q = encodeURIComponent('q 1');
const url = (mid: string, session = sid) => `/chat/sessions/${session}/messages/${mid}/feedback`;
const put = (mid: string, payload: unknown, headers = h, session = sid) =>
  t.app.inject({ method: 'PUT', url: url(mid, session), headers, payload: payload as never });
const del = (mid: string, headers = h, session = sid) =>
  t.app.inject({ method: 'DELETE', url: url(mid, session), headers });
const list = (headers = h, session = sid) =>
  t.app.inject({ method: 'GET', url: `/chat/sessions/${session}/feedback`, headers });
const rows = async () =>
  (
    await t.s.db.query<{ t: string }>(
      `SELECT coalesce(string_agg(f::text, ';'), '') AS t FROM message_feedback f`,
    )
  ).rows[0]?.t;
const expectProblem = (r: { statusCode: number; headers: Record<string, unknown> }, status: number) => {
  expect(r.statusCode).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
};

describe('feedback routes', () => {
  it('PUT rates (200), changes; GET lists after a reload; DELETE removes (204, again 204)', async () => {
    const r = await put(A, { rating: 'up', tags: ['clear'] });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      message_id: 'a/1',
      session_id: sid,
      rating: 'up',
      comment: null,
      tags: ['clear'],
    });
    const changed = await put(A, { rating: 'down', comment: 'outdated 😀', tags: ['wrong', 'wrong'] });
    expect(changed.json()).toMatchObject({ rating: 'down', comment: 'outdated 😀', tags: ['wrong'] });
    expect((await list()).json()).toEqual({ data: [changed.json()] });
    expect((await del(A)).statusCode).toBe(204);
    expect((await del(A)).statusCode).toBe(204);
    expect((await list()).json()).toEqual({ data: [] });
  });

  it('bad input: 400 problem, nothing changed', async () => {
    await put(A, { rating: 'up', comment: 'keep' });
    const before = await rows();
    for (const body of [
      { rating: 'meh' },
      {},
      { rating: 'down', comment: 'x'.repeat(2001) },
      { rating: 'down', comment: 'a\u0000b' },
      { rating: 'down', tags: ['a\u0000'] },
      { rating: 'down', tags: Array.from({ length: 11 }, (_, i) => `t${i}`) },
      { rating: 'down', tags: ['x'.repeat(51)] },
      { rating: 'down', tags: [''] },
      { rating: 'down', note: 'unknown key' },
      [],
    ])
      expectProblem(await put(A, body), 400);
    // A user-role message: 400, on PUT and DELETE.
    expectProblem(await put(Q, { rating: 'up' }), 400);
    expectProblem(await del(Q), 400);
    expect(await rows()).toBe(before);
  });

  it("another user's session or message: 404, nothing changed", async () => {
    await put(A, { rating: 'up', comment: 'mine' });
    const before = await rows();
    const own = (
      await t.app.inject({ method: 'POST', url: '/chat/sessions', headers: other, payload: {} })
    ).json().id as string;
    for (const r of [
      await put(A, { rating: 'down' }, other),
      await del(A, other),
      await list(other),
      await put(A, { rating: 'down' }, other, own),
      await del(A, other, own),
      await put('no-such', { rating: 'down' }),
      await put(A, { rating: 'down' }, h, '00000000-0000-4000-8000-000000000000'),
    ])
      expectProblem(r, 404);
    expect(await rows()).toBe(before);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const p = doc.paths['/chat/sessions/{id}/messages/{message_id}/feedback'];
    expect(Object.keys(p).sort()).toEqual(['delete', 'put']);
    expect(Object.keys(p.put.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '404']));
    expect(doc.paths['/chat/sessions/{id}/feedback'].get).toBeDefined();
  });
});
