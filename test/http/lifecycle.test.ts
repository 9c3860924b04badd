import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, api, counts, login } from './helpers.js';

/** Pin, archive and trash over HTTP: PATCH pinned/archived, the list's views, DELETE, restore. */
let t: Api;
let h: Record<string, string>;
let other: Record<string, string>;
beforeAll(async () => {
  t = await api();
  ({ h } = await login(t.app, 'lifecycle@example.com'));
  ({ h: other } = await login(t.app, 'lifecycle-other@example.com'));
});
afterAll(() => t.close());

type S = { id: string; title: string; pinned: boolean; archived: boolean; trashed_at: string | null };
const req = (method: string, url: string, payload?: unknown, headers = h) =>
  t.app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as never }),
  });
const create = async (title: string): Promise<string> =>
  (await req('POST', '/chat/sessions', { title })).json().id;
const list = async (query = '') => {
  const r = await req('GET', `/chat/sessions?limit=100${query}`);
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as { data: (S & { purge_at?: string })[]; next_cursor: string | null };
};
const titles = async (query = '') => (await list(query)).data.map((s) => s.title);

describe('pin and archive', () => {
  it('PATCH pinned/archived: pinned first, archived only with ?archived=true', async () => {
    const a = await create('A');
    const b = await create('B');
    await create('C');
    const r = await req('PATCH', `/chat/sessions/${a}`, { pinned: true });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ id: a, pinned: true, archived: false, trashed_at: null });
    expect(r.json()).not.toHaveProperty('purge_at');
    expect((await req('PATCH', `/chat/sessions/${b}`, { archived: true })).statusCode).toBe(200);
    expect(await titles()).toEqual(['A', 'C']);
    expect(await titles('&archived=true')).toEqual(['B']);
    expect(await titles('&archived=false')).toEqual(['A', 'C']);
    // Paged one at a time, the same order.
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await req('GET', `/chat/sessions?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.json().data.map((s: S) => s.title));
      cursor = page.json().next_cursor;
    }
    expect(seen).toEqual(['A', 'C']);
  });

  it('bad values are 400 and change nothing; another user is 404', async () => {
    const a = await create('bad');
    const before = await counts(t.s);
    const row = async () => (await req('GET', `/chat/sessions/${a}`)).json();
    const was = await row();
    for (const payload of [
      { pinned: 'true' },
      { archived: 1 },
      { pinned: null },
      { title: 'x', archived: 'no' },
    ]) {
      const r = await req('PATCH', `/chat/sessions/${a}`, payload);
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.headers['content-type']).toMatch(/problem\+json/);
    }
    for (const q of [
      'archived=yes',
      'trashed=1x',
      'archived=true&trashed=true',
      'trashed=true&updated_since=2025-01-01T00:00:00Z',
    ])
      expect((await req('GET', `/chat/sessions?${q}`)).statusCode, q).toBe(400);
    expect((await req('DELETE', `/chat/sessions/${a}?permanent=maybe`)).statusCode).toBe(400);
    expect((await req('PATCH', `/chat/sessions/${a}`, { pinned: true }, other)).statusCode).toBe(404);
    expect((await req('DELETE', `/chat/sessions/${a}`, undefined, other)).statusCode).toBe(404);
    expect((await req('DELETE', `/chat/sessions/${a}?permanent=true`, undefined, other)).statusCode).toBe(
      404,
    );
    expect(await row()).toEqual(was);
    expect(await counts(t.s)).toEqual(before);
    // A cursor of the list is not one of the archive view.
    await create('bad 2');
    const page = await req('GET', '/chat/sessions?limit=1');
    const cursor = page.json().next_cursor as string;
    expect((await req('GET', `/chat/sessions?archived=true&cursor=${cursor}`)).statusCode).toBe(400);
  });
});

describe('trash', () => {
  it('DELETE moves to the trash: 404 everywhere else; restore brings it back; a second DELETE is 404', async () => {
    const id = await create('trash me');
    const put = await req('PUT', `/chat/sessions/${id}/messages/m1`, {
      role: 'assistant',
      parts: [{ type: 'text', text: 'quokka facts' }],
    });
    expect(put.statusCode, put.body).toBe(201);
    expect((await req('GET', '/chat/search?q=quokka')).json().data).toHaveLength(1);
    expect((await req('DELETE', `/chat/sessions/${id}`)).statusCode).toBe(204);

    const base = `/chat/sessions/${id}`;
    for (const [method, url, payload] of [
      ['GET', base],
      ['PATCH', base, { title: 'x' }],
      ['PATCH', base, { archived: false }],
      ['DELETE', base],
      ['GET', `${base}/messages`],
      ['POST', `${base}/messages`, { role: 'user', content: 'hi' }],
      ['PUT', `${base}/messages/m2`, { role: 'user', parts: [{ type: 'text', text: 'x' }] }],
      ['GET', `${base}/messages/m1/siblings`],
      ['PUT', `${base}/messages/m1/feedback`, { rating: 'up' }],
      ['DELETE', `${base}/messages/m1/feedback`],
      ['GET', `${base}/feedback`],
    ] as const) {
      const r = await req(method, url, payload);
      expect(r.statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await req('GET', '/chat/search?q=quokka')).json().data).toEqual([]);
    expect(await titles()).not.toContain('trash me');

    const trash = await list('&trashed=true');
    expect(trash.data.map((s) => s.id)).toEqual([id]);
    const item = trash.data[0] as S & { purge_at: string };
    expect(Date.parse(item.purge_at) - Date.parse(item.trashed_at as string)).toBe(30 * 86_400_000);

    expect((await req('POST', `${base}/restore`, undefined, other)).statusCode).toBe(404);
    const back = await req('POST', `${base}/restore`);
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toMatchObject({ id, trashed_at: null, message_count: 1 });
    expect((await req('POST', `${base}/restore`)).statusCode).toBe(404); // not in the trash
    expect((await req('GET', `${base}/messages`)).json().data).toHaveLength(1);
    expect((await req('GET', '/chat/search?q=quokka')).json().data).toHaveLength(1);
  });

  it('restore after the retention period is 404; DELETE ?permanent=true deletes at once, trashed or not', async () => {
    const old = await create('old');
    expect((await req('DELETE', `/chat/sessions/${old}`)).statusCode).toBe(204);
    await t.s.db.query(`UPDATE chat_sessions SET trashed_at = now() - interval '31 days' WHERE id = $1`, [
      old,
    ]);
    expect((await req('POST', `/chat/sessions/${old}/restore`)).statusCode).toBe(404);
    expect((await list('&trashed=true')).data.map((s) => s.id)).not.toContain(old);
    // Still there until purged, and permanently deletable.
    expect((await req('DELETE', `/chat/sessions/${old}?permanent=true`)).statusCode).toBe(204);
    const live = await create('live');
    expect((await req('DELETE', `/chat/sessions/${live}?permanent=true`)).statusCode).toBe(204);
    expect((await req('DELETE', `/chat/sessions/${live}?permanent=true`)).statusCode).toBe(404);
    const n = await t.s.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM chat_sessions WHERE id = ANY($1::uuid[])',
      [[old, live]],
    );
    expect(n.rows[0]?.n).toBe(0);
  });

  it('the OpenAPI document has the restore route and the new fields', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.paths['/chat/sessions/{id}/restore']?.post).toBeDefined();
    const params = doc.paths['/chat/sessions/{id}'].delete.parameters.map((p: { name: string }) => p.name);
    expect(params).toContain('permanent');
    const listParams = doc.paths['/chat/sessions'].get.parameters.map((p: { name: string }) => p.name);
    expect(listParams).toEqual(expect.arrayContaining(['archived', 'trashed']));
  });
});
