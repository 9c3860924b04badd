import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, api, counts, login } from './helpers.js';

let t: Api;
let a: Awaited<ReturnType<typeof login>>;
let b: Awaited<ReturnType<typeof login>>;
beforeAll(async () => {
  t = await api();
  a = await login(t.app, 'alice@example.com');
  b = await login(t.app, 'bob@example.com');
});
afterAll(() => t.close());

const post = (
  url: string,
  headers: Record<string, string>,
  payload: unknown,
  extra: Record<string, string> = {},
) => t.app.inject({ method: 'POST', url, headers: { ...headers, ...extra }, payload: payload as object });
const newSession = async (h: Record<string, string>, body: object = {}) =>
  (await post('/chat/sessions', h, body)).json();

describe('users and profiles', () => {
  it('GET /users/me returns the user and a null profile, then the profile once set', async () => {
    const me = await t.app.inject({ method: 'GET', url: '/users/me', headers: a.h });
    expect(me.json()).toMatchObject({ id: a.id, email: 'alice@example.com', profile: null });
    const put = await t.app.inject({
      method: 'PUT',
      url: '/users/me/profile',
      headers: a.h,
      payload: { software_background: 'Python', experience_level: 'intermediate', metadata: { os: 'linux' } },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({
      software_background: 'Python',
      experience_level: 'intermediate',
      preferred_language: 'en',
    });
    const again = await t.app.inject({
      method: 'PUT',
      url: '/users/me/profile',
      headers: a.h,
      payload: { preferred_language: 'ur' },
    });
    expect(again.json()).toMatchObject({ software_background: 'Python', preferred_language: 'ur' });
    const me2 = await t.app.inject({ method: 'GET', url: '/users/me', headers: a.h });
    expect(me2.json().profile).toMatchObject({ preferred_language: 'ur', metadata: { os: 'linux' } });
  });

  it('rejects an invalid profile and changes nothing', async () => {
    for (const payload of [
      { experience_level: 'guru' },
      { preferred_language: '!!' },
      { metadata: [1] },
      { hobby: 'x' },
    ]) {
      const r = await t.app.inject({ method: 'PUT', url: '/users/me/profile', headers: a.h, payload });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const me = await t.app.inject({ method: 'GET', url: '/users/me', headers: a.h });
    expect(me.json().profile).toMatchObject({ experience_level: 'intermediate', preferred_language: 'ur' });
  });

  it('rejects a short password and a bad email', async () => {
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/users',
          payload: { email: 'c@example.com', password: 'short' },
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/users',
          payload: { email: 'not-an-email', password: 'long enough 1' },
        })
      ).statusCode,
    ).toBe(400);
  });

  it('accepts the OAuth2 password form at /auth/token', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=password&username=bob%40example.com&password=correct+horse+battery',
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ token_type: 'bearer', expires_in: 604800 });
  });

  it('logout revokes the token', async () => {
    const c = await login(t.app, 'carol@example.com');
    expect((await t.app.inject({ method: 'POST', url: '/auth/logout', headers: c.h })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/users/me', headers: c.h })).statusCode).toBe(401);
  });
});

describe('sessions', () => {
  it('creates, reads, merges metadata, renames and deletes', async () => {
    const s = await newSession(a.h, { title: 'ROS', metadata: { chapter: 'm1', keep: true } });
    expect(s).toMatchObject({
      user_id: a.id,
      title: 'ROS',
      message_count: 0,
      metadata: { chapter: 'm1', keep: true },
    });
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/chat/sessions/${s.id}`,
      headers: a.h,
      payload: { title: 'ROS 2', metadata: { chapter: null, personalized: true } },
    });
    expect(patched.json()).toMatchObject({ title: 'ROS 2', metadata: { keep: true, personalized: true } });
    expect(patched.json().metadata).not.toHaveProperty('chapter');
    const got = await t.app.inject({ method: 'GET', url: `/chat/sessions/${s.id}`, headers: a.h });
    expect(got.json().metadata).toEqual({ keep: true, personalized: true });
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/chat/sessions/${s.id}`, headers: a.h })).statusCode,
    ).toBe(204);
    expect(
      (await t.app.inject({ method: 'GET', url: `/chat/sessions/${s.id}`, headers: a.h })).statusCode,
    ).toBe(404);
  });

  it('lists most recently active first with a cursor', async () => {
    const u = await login(t.app, 'lister@example.com');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await newSession(u.h, { title: `s${i}` })).id);
    await post(`/chat/sessions/${ids[0]}/messages`, u.h, { role: 'user', content: 'bump' });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/chat/sessions?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = (await t.app.inject({ method: 'GET', url, headers: u.h })).json();
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((s: { id: string }) => s.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen[0]).toBe(ids[0]);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(seen).toHaveLength(5);
    expect(
      (await t.app.inject({ method: 'GET', url: '/chat/sessions?cursor=garbage', headers: u.h })).statusCode,
    ).toBe(400);
  });
});

describe('isolation between users', () => {
  it('every session and message route answers 404 for another user and changes nothing', async () => {
    const s = await newSession(a.h, { title: 'private', metadata: { k: 1 } });
    await post(`/chat/sessions/${s.id}/messages`, a.h, { role: 'user', content: 'secret plan zebra' });
    const before = await counts(t.s);
    const tries = [
      t.app.inject({ method: 'GET', url: `/chat/sessions/${s.id}`, headers: b.h }),
      t.app.inject({
        method: 'PATCH',
        url: `/chat/sessions/${s.id}`,
        headers: b.h,
        payload: { title: 'mine', metadata: { k: null } },
      }),
      t.app.inject({ method: 'DELETE', url: `/chat/sessions/${s.id}`, headers: b.h }),
      t.app.inject({ method: 'GET', url: `/chat/sessions/${s.id}/messages`, headers: b.h }),
      post(`/chat/sessions/${s.id}/messages`, b.h, { role: 'user', content: 'intrusion' }),
    ];
    for (const r of await Promise.all(tries)) expect(r.statusCode).toBe(404);
    expect(await counts(t.s)).toEqual(before);
    const mine = await t.app.inject({ method: 'GET', url: `/chat/sessions/${s.id}`, headers: a.h });
    expect(mine.json()).toMatchObject({ title: 'private', metadata: { k: 1 }, message_count: 1 });
    const search = await t.app.inject({ method: 'GET', url: '/chat/search?q=zebra', headers: b.h });
    expect(search.json().data).toEqual([]);
    const own = await t.app.inject({ method: 'GET', url: '/chat/search?q=zebra', headers: a.h });
    expect(own.json().data).toHaveLength(1);
    expect(own.json().data[0]).toMatchObject({ session_id: s.id, message: { content: 'secret plan zebra' } });
  });

  it("B's session list never shows A's sessions", async () => {
    const u = await login(t.app, 'iso-a@example.com');
    const v = await login(t.app, 'iso-b@example.com');
    const mine = await newSession(u.h, { title: 'only mine' });
    const theirs = await newSession(v.h, { title: 'theirs' });
    const list = async (h: Record<string, string>) =>
      (await t.app.inject({ method: 'GET', url: '/chat/sessions?limit=100', headers: h }))
        .json()
        .data.map((x: { id: string }) => x.id);
    expect(await list(v.h)).toEqual([theirs.id]);
    expect(await list(u.h)).toEqual([mine.id]);
  });

  it("B replaying A's Idempotency-Key on A's session gets 404 and creates nothing", async () => {
    const s = await newSession(a.h);
    const body = { role: 'user', content: 'keyed' };
    const first = await post(`/chat/sessions/${s.id}/messages`, a.h, body, {
      'idempotency-key': 'shared-key-1',
    });
    expect(first.statusCode).toBe(201);
    const before = await counts(t.s);
    for (const payload of [body, { role: 'user', content: 'other' }]) {
      const replay = await post(`/chat/sessions/${s.id}/messages`, b.h, payload, {
        'idempotency-key': 'shared-key-1',
      });
      expect(replay.statusCode).toBe(404);
      expect(replay.body).not.toContain(first.json().id);
    }
    expect(await counts(t.s)).toEqual(before);
  });
});

describe('messages', () => {
  it('appends with citations and selected text, and reads them back', async () => {
    const s = await newSession(a.h);
    const r = await post(`/chat/sessions/${s.id}/messages`, a.h, {
      role: 'assistant',
      content: 'DDS is the middleware. 🤖 مرحبا',
      selected_text: 'ROS 2 uses DDS',
      metadata: { tokens: 12 },
      citations: [
        { document_id: 'module-1-ros2', chunk_id: 'chunk_023', score: 0.89 },
        { document_id: 'module-2-gazebo', chunk_id: 'chunk_045', score: 0.82, excerpt: 'Gazebo' },
      ],
    });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({
      seq: 1,
      selected_text: 'ROS 2 uses DDS',
      citations: [
        { citation_index: 1, document_id: 'module-1-ros2', score: 0.89 },
        { citation_index: 2, document_id: 'module-2-gazebo', excerpt: 'Gazebo' },
      ],
    });
    const list = await t.app.inject({ method: 'GET', url: `/chat/sessions/${s.id}/messages`, headers: a.h });
    expect(list.json().data[0]).toEqual(r.json());
    const bad = await post(`/chat/sessions/${s.id}/messages`, a.h, {
      role: 'assistant',
      content: 'x',
      citations: [{ document_id: 'd', score: 1.5 }],
    });
    expect(bad.statusCode).toBe(400);
  });

  it('is idempotent with Idempotency-Key: retry 200 with the same message, different body 409', async () => {
    const s = await newSession(a.h);
    const body = { role: 'user', content: 'hello once' };
    const first = await post(`/chat/sessions/${s.id}/messages`, a.h, body, { 'idempotency-key': 'retry-1' });
    const again = await post(`/chat/sessions/${s.id}/messages`, a.h, body, { 'idempotency-key': 'retry-1' });
    expect([first.statusCode, again.statusCode]).toEqual([201, 200]);
    expect(again.json()).toEqual(first.json());
    const other = await post(
      `/chat/sessions/${s.id}/messages`,
      a.h,
      { role: 'user', content: 'changed' },
      { 'idempotency-key': 'retry-1' },
    );
    expect(other.statusCode).toBe(409);
    const list = await t.app.inject({ method: 'GET', url: `/chat/sessions/${s.id}/messages`, headers: a.h });
    expect(list.json().data).toHaveLength(1);
  });

  it('40 concurrent appends get seq 1..40', async () => {
    const s = await newSession(a.h);
    const rs = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        post(`/chat/sessions/${s.id}/messages`, a.h, { role: 'user', content: `m${i}` }),
      ),
    );
    expect(rs.every((r) => r.statusCode === 201)).toBe(true);
    expect(rs.map((r) => r.json().seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    const got = await t.app.inject({ method: 'GET', url: `/chat/sessions/${s.id}`, headers: a.h });
    expect(got.json().message_count).toBe(40);
  });

  it('pages 120 messages with after_seq and before_seq', async () => {
    const s = await newSession(a.h);
    await t.s.db.query(
      `INSERT INTO messages (session_id, seq, role, content, user_id, client_id, parts)
       SELECT $1, g, 'user', 'msg ' || g, user_id, 'm' || g, '[]' FROM chat_sessions, generate_series(1, 120) g
       WHERE id = $1`,
      [s.id],
    );
    // One path, as appends make it: each message's parent the one before, the last the leaf.
    await t.s.db.query(
      `UPDATE messages m SET parent_id = p.id FROM messages p
       WHERE m.session_id = $1 AND p.session_id = $1 AND p.seq = m.seq - 1`,
      [s.id],
    );
    await t.s.db.query(
      `UPDATE chat_sessions SET message_count = 120,
         leaf_message_id = (SELECT id FROM messages WHERE session_id = $1 AND seq = 120) WHERE id = $1`,
      [s.id],
    );
    const seqs: number[] = [];
    let after = 0;
    for (;;) {
      const p = (
        await t.app.inject({
          method: 'GET',
          url: `/chat/sessions/${s.id}/messages?limit=50&after_seq=${after}`,
          headers: a.h,
        })
      ).json();
      seqs.push(...p.data.map((m: { seq: number }) => m.seq));
      if (!p.has_more) break;
      after = seqs.at(-1) as number;
    }
    expect(seqs).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    const back = (
      await t.app.inject({
        method: 'GET',
        url: `/chat/sessions/${s.id}/messages?limit=50&before_seq=121`,
        headers: a.h,
      })
    ).json();
    expect(back.data.map((m: { seq: number }) => m.seq)).toEqual(
      Array.from({ length: 50 }, (_, i) => 71 + i),
    );
    expect(back.has_more).toBe(true);
    const first = (
      await t.app.inject({
        method: 'GET',
        url: `/chat/sessions/${s.id}/messages?limit=50&before_seq=21`,
        headers: a.h,
      })
    ).json();
    expect(first.data.map((m: { seq: number }) => m.seq)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(first.has_more).toBe(false);
  });
});

describe('user deletion', () => {
  it('DELETE /users/me removes the user and everything they own', async () => {
    const d = await login(t.app, 'dora@example.com');
    await t.app.inject({
      method: 'PUT',
      url: '/users/me/profile',
      headers: d.h,
      payload: { experience_level: 'beginner' },
    });
    const s = await newSession(d.h);
    await post(`/chat/sessions/${s.id}/messages`, d.h, {
      role: 'assistant',
      content: 'x',
      citations: [{ document_id: 'doc' }],
    });
    expect((await t.app.inject({ method: 'DELETE', url: '/users/me', headers: d.h })).statusCode).toBe(204);
    const left = await t.s.db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM users WHERE id = $1) + (SELECT count(*) FROM user_profiles WHERE user_id = $1)
            + (SELECT count(*) FROM auth_tokens WHERE user_id = $1) + (SELECT count(*) FROM chat_sessions WHERE user_id = $1)
            + (SELECT count(*) FROM messages WHERE session_id = $2)
            + (SELECT count(*) FROM message_citations c JOIN messages m ON m.id = c.message_id WHERE m.session_id = $2) AS n`,
      [d.id, s.id],
    );
    expect(left.rows[0]?.n).toBe(0);
    expect((await t.app.inject({ method: 'GET', url: '/users/me', headers: d.h })).statusCode).toBe(401);
  });
});

describe('operations and docs', () => {
  it('serves a valid OpenAPI 3 document listing every route, and the UI', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of [
      '/users',
      '/users/me',
      '/users/me/profile',
      '/auth/token',
      '/auth/logout',
      '/chat/sessions',
      '/chat/sessions/{id}',
      '/chat/sessions/{id}/messages',
      '/chat/search',
    ]) {
      expect(doc.paths, p).toHaveProperty([p]);
    }
    const result = await validate(structuredClone(doc));
    expect(result.valid, JSON.stringify(result)).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: '/docs/' })).statusCode).toBe(200);
  });

  it('documents the contract: Idempotency-Key, 200 vs 201, 204s, problem+json, Retry-After, readyz 503', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const append = doc.paths['/chat/sessions/{id}/messages'].post;
    expect(append.parameters).toContainEqual(
      expect.objectContaining({
        in: 'header',
        name: 'idempotency-key',
        required: false,
        schema: expect.objectContaining({ minLength: 1, maxLength: 255 }),
      }),
    );
    expect(append.responses['201'].description).toMatch(/created/);
    expect(append.responses['200'].description).toMatch(/Idempotency-Key/);
    for (const [path, method] of [
      ['/users/me', 'delete'],
      ['/auth/logout', 'post'],
      ['/chat/sessions/{id}', 'delete'],
    ] as const) {
      const op = doc.paths[path][method];
      expect(op.responses['204'], `${method} ${path}`).toEqual({ description: 'No Content' });
      expect(Object.keys(op.responses)).not.toContain('200');
    }
    let errorResponses = 0;
    for (const [path, ops] of Object.entries<Record<string, { responses: Record<string, object> }>>(
      doc.paths,
    )) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, res] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          errorResponses++;
          expect(Object.keys((res as { content: object }).content), `${method} ${path} ${status}`).toEqual([
            'application/problem+json',
          ]);
        }
      }
    }
    expect(errorResponses).toBeGreaterThan(20);
    const token = doc.paths['/auth/token'].post.responses['429'];
    expect(token.headers['Retry-After'].schema).toEqual({ type: 'integer' });
    expect(doc.paths['/readyz'].get.responses).toHaveProperty(['503']);
    expect(doc.paths['/chat/sessions'].post.requestBody.required).toBe(false);
    expect(append.requestBody.required).toBe(true);
  });

  it('healthz and readyz answer 200', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });
});
