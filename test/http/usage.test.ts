import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, api, login } from './helpers.js';

/** Usage over HTTP: `usage` on POST and PUT of a message, on every message and session returned. */
let t: Api;
let h: Record<string, string>;
let other: Record<string, string>;
let sid: string;
beforeAll(async () => {
  t = await api();
  ({ h } = await login(t.app, 'usage@example.com'));
  ({ h: other } = await login(t.app, 'usage-other@example.com'));
  sid = (await t.app.inject({ method: 'POST', url: '/chat/sessions', headers: h, payload: {} })).json().id;
});
afterAll(() => t.close());

const post = (payload: unknown, headers = h, session = sid, extra: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: `/chat/sessions/${session}/messages`,
    headers: { ...headers, ...extra },
    payload: payload as never,
  });
const put = (mid: string, payload: unknown, headers = h, session = sid) =>
  t.app.inject({
    method: 'PUT',
    url: `/chat/sessions/${session}/messages/${encodeURIComponent(mid)}`,
    headers,
    payload: payload as never,
  });
const session = async (id = sid) =>
  (await t.app.inject({ method: 'GET', url: `/chat/sessions/${id}`, headers: h })).json();
/** The messages and sessions tables, as text: equal before and after = nothing changed. */
const rows = async () =>
  (
    await t.s.db.query<{ t: string }>(`SELECT
      (SELECT coalesce(string_agg(m::text, ';' ORDER BY m.id), '') FROM messages m) ||
      (SELECT coalesce(string_agg(s::text, ';' ORDER BY s.id), '') FROM chat_sessions s) AS t`)
  ).rows[0]?.t;
const expectProblem = (r: { statusCode: number; headers: Record<string, unknown> }, status: number) => {
  expect(r.statusCode).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
};

describe('usage over HTTP', () => {
  it('POST and PUT take usage; messages return it, sessions their totals', async () => {
    const q = await post({ role: 'user', content: 'Hi' });
    expect(q.statusCode).toBe(201);
    expect(q.json().usage).toBeNull();
    const a = await post({
      role: 'assistant',
      content: 'Hello',
      usage: { model: 'gpt-4o-mini', input_tokens: 12, output_tokens: 3, latency_ms: 800 },
    });
    expect(a.statusCode).toBe(201);
    expect(a.json().usage).toEqual({
      model: 'gpt-4o-mini',
      input_tokens: 12,
      output_tokens: 3,
      latency_ms: 800,
    });
    const p = await put('a2', {
      role: 'assistant',
      parts: [{ type: 'text', text: 'More' }],
      status: 'streaming',
      usage: { input_tokens: 5 },
    });
    expect(p.statusCode).toBe(201);
    expect(p.json().usage).toEqual({ model: null, input_tokens: 5, output_tokens: null, latency_ms: null });
    expect((await session()).usage).toEqual({ input_tokens: 17, output_tokens: 3 });
    // The final save replaces it: the totals move by the difference.
    const done = await put('a2', {
      role: 'assistant',
      parts: [{ type: 'text', text: 'More text' }],
      usage: { model: 'm', input_tokens: 20, output_tokens: 9, latency_ms: 1500 },
    });
    expect([done.statusCode, done.json().usage.output_tokens]).toEqual([200, 9]);
    expect((await session()).usage).toEqual({ input_tokens: 32, output_tokens: 12 });
    // Without usage, PUT keeps it.
    const kept = await put('a2', { role: 'assistant', parts: [{ type: 'text', text: 'More text!' }] });
    expect(kept.json().usage.model).toBe('m');
    const list = await t.app.inject({ method: 'GET', url: '/chat/sessions', headers: h });
    expect(list.json().data[0].usage).toEqual({ input_tokens: 32, output_tokens: 12 });
    const msgs = await t.app.inject({ method: 'GET', url: `/chat/sessions/${sid}/messages`, headers: h });
    expect(
      msgs.json().data.map((m: { usage: { input_tokens: number } | null }) => m.usage?.input_tokens ?? null),
    ).toEqual([null, 12, 20]);
    // null clears.
    const cleared = await put('a2', {
      role: 'assistant',
      parts: [{ type: 'text', text: 'More text!' }],
      usage: null,
    });
    expect(cleared.json().usage).toBeNull();
    expect((await session()).usage).toEqual({ input_tokens: 12, output_tokens: 3 });
  });

  it('an Idempotency-Key retry with the same usage is 200; with other usage 409', async () => {
    const body = { role: 'assistant', content: 'A', usage: { model: 'm', output_tokens: 1 } };
    const key = { 'idempotency-key': 'usage-key-1' };
    expect((await post(body, h, sid, key)).statusCode).toBe(201);
    expect((await post(body, h, sid, key)).statusCode).toBe(200);
    expectProblem(await post({ ...body, usage: { model: 'm', output_tokens: 2 } }, h, sid, key), 409);
  });

  it('bad usage is 400 problem+json and writes nothing', async () => {
    const before = await rows();
    const bad: unknown[] = [
      { input_tokens: -1 },
      { output_tokens: 1.5 },
      { latency_ms: 2 ** 31 },
      { input_tokens: 1e300 },
      { input_tokens: 'NaN' },
      { input_tokens: '12' },
      { model: 'gpt\u0000' },
      { model: '' },
      { model: 'x'.repeat(201) },
      { model: 7 },
      { tokens: 1 },
      { inputTokens: 1 },
      'usage',
      [1],
      true,
    ];
    for (const usage of bad) {
      const r = await post({ role: 'assistant', content: 'x', usage });
      expectProblem(r, 400);
      expect(r.json().errors?.[0]?.path ?? '', JSON.stringify(usage)).toMatch(/usage/);
      expectProblem(
        await put('bad', { role: 'assistant', parts: [{ type: 'text', text: 'x' }], usage }),
        400,
      );
    }
    // NaN and Infinity cannot be written in JSON: a body carrying them is malformed.
    const raw = await t.app.inject({
      method: 'POST',
      url: `/chat/sessions/${sid}/messages`,
      headers: { ...h, 'content-type': 'application/json' },
      payload: '{"role":"assistant","content":"x","usage":{"input_tokens":NaN}}',
    });
    expectProblem(raw, 400);
    expect(await rows()).toBe(before);
  });

  it('the OpenAPI document shows usage on both message bodies, on messages and on sessions', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const ops = doc.paths['/chat/sessions/{id}/messages'];
    const put = doc.paths['/chat/sessions/{id}/messages/{message_id}'].put;
    const bodyOf = (op: { requestBody: { content: Record<string, { schema: { properties: object } }> } }) =>
      op.requestBody.content['application/json']?.schema.properties as Record<string, unknown>;
    for (const body of [bodyOf(ops.post), bodyOf(put)])
      expect(JSON.stringify(body.usage)).toMatch(/input_tokens.*output_tokens.*latency_ms/);
    const message = ops.post.responses['201'].content['application/json'].schema.properties;
    expect(JSON.stringify(message.usage)).toMatch(/"model"/);
    const sessionSchema =
      doc.paths['/chat/sessions/{id}'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(sessionSchema.properties.usage.properties)).toEqual(['input_tokens', 'output_tokens']);
  });

  it("another user's session is 404 with usage too, and nothing changes", async () => {
    const before = await rows();
    const usage = { model: 'm', input_tokens: 1 };
    expectProblem(await post({ role: 'assistant', content: 'x', usage }, other), 404);
    expectProblem(
      await put('z', { role: 'assistant', parts: [{ type: 'text', text: 'x' }], usage }, other),
      404,
    );
    expect(await rows()).toBe(before);
    expect((await session()).usage).toEqual({ input_tokens: 12, output_tokens: 4 });
  });
});
