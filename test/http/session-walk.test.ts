import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, api, login } from './helpers.js';

/**
 * Walking GET /chat/sessions while the user chats: a session that becomes active mid-walk jumps
 * above the cursor, so the walk alone misses it; the documented recovery (docs/http.md, "Walking
 * the session list") finds it.
 */
let t: Api;
let h: Record<string, string>;
beforeAll(async () => {
  t = await api();
  ({ h } = await login(t.app, 'walker@example.com'));
});
afterAll(() => t.close());

type Session = { id: string; title: string; updated_at: string };
type Page = { data: Session[]; next_cursor: string | null; snapshot_at: string | null };
const list = async (query: string): Promise<Page> => {
  const r = await t.app.inject({ method: 'GET', url: `/chat/sessions?${query}`, headers: h });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as Page;
};

/** Follows next_cursor from `first` to the end, calling `between` after each page. */
async function walk(first: string, between: (pages: number) => Promise<void> = async () => {}) {
  const seen = new Map<string, Session>();
  let page = await list(first);
  const snapshot = page.snapshot_at;
  for (let n = 1; ; n++) {
    for (const s of page.data) seen.set(s.id, s);
    expect(page.snapshot_at).toBe(snapshot); // every page of a walk carries its snapshot
    await between(n);
    if (!page.next_cursor) break;
    page = await list(`limit=5&cursor=${page.next_cursor}`);
  }
  return { seen, snapshot };
}

describe('GET /chat/sessions walked while sessions move', () => {
  it('19 sessions, limit 5, two touched mid-walk: the walk misses one, walk + updated_since get all 19', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 19; i++) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/chat/sessions',
        headers: h,
        payload: { title: `s${i}` },
      });
      ids.push(r.json().id);
    }
    const touch = (id: string) =>
      t.app.inject({
        method: 'POST',
        url: `/chat/sessions/${id}/messages`,
        headers: h,
        payload: { role: 'user', content: 'back to this one' },
      });
    const { seen, snapshot } = await walk('limit=5', async (pages) => {
      if (pages !== 2) return;
      // After two pages: one session already listed and the oldest (not listed yet) become active.
      expect((await touch(ids[17] as string)).statusCode).toBe(201);
      expect((await touch(ids[0] as string)).statusCode).toBe(201);
    });
    expect(snapshot).not.toBeNull();
    // The issue: the oldest session jumped above the cursor and the walk alone missed it.
    expect(seen.size).toBe(18);
    expect(seen.has(ids[0] as string)).toBe(false);

    // The recovery: walk again with updated_since = the walk's snapshot_at; merge by id.
    const moved = await walk(`limit=5&updated_since=${encodeURIComponent(snapshot as string)}`);
    for (const [id, s] of moved.seen) seen.set(id, s);
    expect(seen.size).toBe(19);
    expect(new Set(seen.keys())).toEqual(new Set(ids));
    expect([...moved.seen.keys()]).toEqual(expect.arrayContaining([ids[0], ids[17]]));
    for (const s of moved.seen.values()) expect(s.updated_at >= (snapshot as string)).toBe(true);
  });

  it('a walk with updated_since pages with cursors too, and a bad value is a 400 naming it', async () => {
    const far = await list(`limit=5&updated_since=${encodeURIComponent('9999-01-01T00:00:00.000Z')}`);
    expect(far).toEqual({ data: [], next_cursor: null, snapshot_at: '9999-01-01T00:00:00.000Z' });
    const all = await walk(`limit=5&updated_since=${encodeURIComponent('2000-01-01T00:00:00Z')}`);
    expect(all.seen.size).toBe(19);
    for (const bad of ['yesterday', '2025-13-01T00:00:00Z', '1700000000']) {
      const r = await t.app.inject({ method: 'GET', url: `/chat/sessions?updated_since=${bad}`, headers: h });
      expect(r.statusCode).toBe(400);
      expect(r.json().errors[0].path).toBe('querystring.updated_since');
    }
  });
});
