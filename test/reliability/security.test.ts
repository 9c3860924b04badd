import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { createChatDb } from '../../src/store/chatdb.js';
import { chatdb, tempDir } from '../helpers/cli.js';
import { createScratchUrl, freshDatabase, onRealPostgres, type ScratchDatabase } from '../helpers/db.js';
import { logSink } from '../helpers/logs.js';
import { apiRoutes } from '../helpers/routes.js';
import { startServer } from '../helpers/server.js';

/**
 * Security, route by route: another user's ids get 404 and change nothing; a token stops working
 * after logout and after its user is deleted; logins are rate limited; and no password, token or
 * database password shows up in any log line or CLI output produced here.
 */
const PASSWORD_A = 'alpha-Secret-pw-1';
const PASSWORD_B = 'bravo-Secret-pw-2';

describe('security', () => {
  let s: ScratchDatabase;
  let app: FastifyInstance;
  const logs = logSink();
  const secrets: string[] = [PASSWORD_A, PASSWORD_B];

  beforeAll(async () => {
    s = await freshDatabase('all');
    app = await buildApp({
      chat: createChatDb(s.db),
      logger: { level: 'info', stream: logs.stream },
      loginLimit: { perAddress: 50, perEmail: 3 },
    });
  });
  afterAll(async () => {
    await app.close();
    await s.drop();
  });

  const json = (r: { body: string }) => JSON.parse(r.body);
  async function user(email: string, password: string) {
    const reg = await app.inject({ method: 'POST', url: '/users', payload: { email, password } });
    expect(reg.statusCode).toBe(201);
    const tok = await app.inject({ method: 'POST', url: '/auth/token', payload: { email, password } });
    const token = json(tok).access_token as string;
    secrets.push(token);
    return { id: json(reg).id as string, h: { authorization: `Bearer ${token}` } };
  }
  /** Every row of one user's data, as text. */
  const dataOf = async (userId: string) =>
    (
      await s.db.query<{ d: string }>(
        `SELECT concat_ws('|',
           (SELECT u::text FROM users u WHERE id = $1),
           (SELECT p::text FROM user_profiles p WHERE user_id = $1),
           (SELECT string_agg(cs::text, ';' ORDER BY id) FROM chat_sessions cs WHERE user_id = $1),
           (SELECT string_agg(m::text, ';' ORDER BY m.id) FROM messages m JOIN chat_sessions cs ON cs.id = m.session_id WHERE cs.user_id = $1),
           (SELECT string_agg(c::text, ';' ORDER BY c.message_id, c.citation_index) FROM message_citations c
              JOIN messages m ON m.id = c.message_id JOIN chat_sessions cs ON cs.id = m.session_id WHERE cs.user_id = $1),
           (SELECT string_agg(f::text, ';' ORDER BY f.message_id) FROM message_feedback f WHERE f.user_id = $1),
           (SELECT string_agg(sh::text, ';' ORDER BY sh.id) FROM session_shares sh WHERE sh.user_id = $1)) AS d`,
        [userId],
      )
    ).rows[0]?.d;

  /** The share link made in a session (revoking it is one of the routes below). */
  const shareOf = new Map<string, string>();
  const NO_SHARE = '00000000-0000-4000-8000-000000000000';
  /** Every route of API.md that takes a token, with a session id of the caller's choosing. */
  const protectedRoutes = (sid: string): InjectOptions[] => [
    { method: 'GET', url: '/users/me' },
    { method: 'PUT', url: '/users/me/profile', payload: { experience_level: 'advanced' } },
    { method: 'POST', url: '/chat/sessions', payload: { title: 'x' } },
    { method: 'GET', url: '/chat/sessions' },
    { method: 'GET', url: `/chat/sessions/${sid}` },
    { method: 'PATCH', url: `/chat/sessions/${sid}`, payload: { title: 'taken', metadata: { k: null } } },
    {
      method: 'POST',
      url: `/chat/sessions/${sid}/messages`,
      payload: { role: 'user', content: 'intrusion' },
    },
    {
      method: 'POST',
      url: `/chat/sessions/${sid}/messages`,
      headers: { 'idempotency-key': 'a-key-1' },
      payload: { role: 'user', content: 'first words' },
    },
    { method: 'GET', url: `/chat/sessions/${sid}/messages?limit=100` },
    { method: 'GET', url: `/chat/sessions/${sid}/messages?before_seq=5` },
    {
      method: 'PUT',
      url: `/chat/sessions/${sid}/messages/alice-m1`,
      payload: { role: 'user', parts: [{ type: 'text', text: 'overwrite' }] },
    },
    {
      method: 'PUT',
      url: `/chat/sessions/${sid}/messages/intruder-m`,
      payload: { role: 'user', parts: [{ type: 'text', text: 'intrusion' }], parent_id: 'alice-m1' },
    },
    // Usage on another user's session: neither her messages nor her session's totals move.
    {
      method: 'POST',
      url: `/chat/sessions/${sid}/messages`,
      payload: { role: 'assistant', content: 'x', usage: { model: 'm', input_tokens: 9, output_tokens: 9 } },
    },
    {
      method: 'PUT',
      url: `/chat/sessions/${sid}/messages/alice-m1`,
      payload: { role: 'assistant', parts: [{ type: 'text', text: 'x' }], usage: { input_tokens: 1 } },
    },
    { method: 'GET', url: `/chat/sessions/${sid}/messages/alice-m1/siblings` },
    { method: 'PATCH', url: `/chat/sessions/${sid}`, payload: { leaf_message_id: 'alice-m1' } },
    { method: 'PATCH', url: `/chat/sessions/${sid}`, payload: { active_stream_id: 'hijack' } },
    { method: 'PATCH', url: `/chat/sessions/${sid}`, payload: { active_stream_id: null } },
    { method: 'PUT', url: `/chat/sessions/${sid}/messages/alice-m1/feedback`, payload: { rating: 'down' } },
    { method: 'DELETE', url: `/chat/sessions/${sid}/messages/alice-m1/feedback` },
    { method: 'GET', url: `/chat/sessions/${sid}/feedback` },
    { method: 'POST', url: `/chat/sessions/${sid}/shares`, payload: {} },
    { method: 'POST', url: `/chat/sessions/${sid}/shares`, payload: { up_to_message_id: 'alice-m1' } },
    { method: 'GET', url: `/chat/sessions/${sid}/shares` },
    { method: 'DELETE', url: `/chat/sessions/${sid}/shares/${shareOf.get(sid) ?? NO_SHARE}` },
    { method: 'GET', url: '/chat/search?q=zebra' },
    { method: 'PATCH', url: `/chat/sessions/${sid}`, payload: { pinned: true } },
    { method: 'PATCH', url: `/chat/sessions/${sid}`, payload: { archived: true } },
    { method: 'GET', url: '/chat/sessions?archived=true' },
    { method: 'GET', url: '/chat/sessions?trashed=true' },
    { method: 'POST', url: `/chat/sessions/${sid}/restore` },
    { method: 'DELETE', url: `/chat/sessions/${sid}?permanent=true` },
    { method: 'DELETE', url: `/chat/sessions/${sid}` },
    {
      method: 'POST',
      url: '/users/me/upgrade',
      payload: { email: 'upgrade-hijack@example.com', password: 'upgrade-hijack-pw' },
    },
    { method: 'POST', url: '/auth/logout' },
    { method: 'DELETE', url: '/users/me' },
  ];
  const withAuth = (r: InjectOptions, h: Record<string, string>): InjectOptions => ({
    ...r,
    headers: { ...(r.headers as Record<string, string>), ...h },
  });

  it('the route-by-route list holds every route that takes a bearer token (a new route fails here until added)', async () => {
    const sid = '00000000-0000-4000-8000-000000000001';
    const listed = protectedRoutes(sid);
    const bearer = (await apiRoutes(app)).filter((r) => r.bearer);
    expect(bearer.length).toBeGreaterThan(20);
    const missing = bearer.filter((r) => !listed.some((l) => r.matches(String(l.method), String(l.url))));
    expect(missing.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    // Each one naming a session is in the other-user test below (it takes the entries with the id).
    const bySession = bearer.filter((r) => r.path.startsWith('/chat/sessions/{id}'));
    for (const r of bySession)
      expect(
        listed.some((l) => String(l.url).includes(sid) && r.matches(String(l.method), String(l.url))),
        `${r.method} ${r.path}`,
      ).toBe(true);
  });

  it("another user's session ids: 404 on every session and message route, and nothing of theirs changes", async () => {
    const a = await user('alice@example.com', PASSWORD_A);
    const b = await user('bob@example.com', PASSWORD_B);
    const sid = json(
      await app.inject({
        method: 'POST',
        url: '/chat/sessions',
        headers: a.h,
        payload: { title: 'private', metadata: { k: 1 } },
      }),
    ).id as string;
    const first = await app.inject(
      withAuth(
        {
          method: 'POST',
          url: `/chat/sessions/${sid}/messages`,
          headers: { 'idempotency-key': 'a-key-1' },
          payload: {
            role: 'user',
            content: 'first words about the zebra',
            citations: [{ document_id: 'd1' }],
          },
        },
        a.h,
      ),
    );
    expect(first.statusCode).toBe(201);
    const saved = await app.inject({
      method: 'PUT',
      url: `/chat/sessions/${sid}/messages/alice-m1`,
      headers: a.h,
      payload: {
        role: 'assistant',
        parts: [{ type: 'text', text: 'an answer' }],
        usage: { model: 'private-model', input_tokens: 40, output_tokens: 2, latency_ms: 300 },
      },
    });
    expect(saved.statusCode).toBe(201);
    const stream = { active_stream_id: 'alice-stream' };
    await app.inject({ method: 'PATCH', url: `/chat/sessions/${sid}`, headers: a.h, payload: stream });
    const rated = await app.inject({
      method: 'PUT',
      url: `/chat/sessions/${sid}/messages/alice-m1/feedback`,
      headers: a.h,
      payload: { rating: 'up', comment: 'private', tags: ['t'] },
    });
    expect(rated.statusCode).toBe(200);
    const shared = await app.inject({
      method: 'POST',
      url: `/chat/sessions/${sid}/shares`,
      headers: a.h,
      payload: { up_to_message_id: 'alice-m1' },
    });
    expect(shared.statusCode).toBe(201);
    shareOf.set(sid, json(shared).id);
    secrets.push(json(shared).token);
    const before = await dataOf(a.id);
    expect(before).toContain('private');
    expect(before).toContain(json(shared).id);
    expect(before).toContain('private-model');

    // Alice's message ids named from Bob's own session: 404 too, and nothing of hers moves.
    const own = json(await app.inject({ method: 'POST', url: '/chat/sessions', headers: b.h, payload: {} }))
      .id as string;
    const text = [{ type: 'text', text: 'x' }];
    const foreignIds: InjectOptions[] = [
      {
        method: 'PUT',
        url: `/chat/sessions/${own}/messages/bob-m1`,
        payload: { role: 'user', parts: text, parent_id: 'alice-m1' },
      },
      { method: 'GET', url: `/chat/sessions/${own}/messages/alice-m1/siblings` },
      { method: 'PATCH', url: `/chat/sessions/${own}`, payload: { leaf_message_id: 'alice-m1' } },
      { method: 'PUT', url: `/chat/sessions/${own}/messages/alice-m1/feedback`, payload: { rating: 'down' } },
      { method: 'DELETE', url: `/chat/sessions/${own}/messages/alice-m1/feedback` },
      { method: 'POST', url: `/chat/sessions/${own}/shares`, payload: { up_to_message_id: 'alice-m1' } },
      { method: 'DELETE', url: `/chat/sessions/${own}/shares/${shareOf.get(sid)}` },
    ];
    for (const r of [...protectedRoutes(sid).filter((r) => String(r.url).includes(sid)), ...foreignIds]) {
      const res = await app.inject(withAuth(r, b.h));
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(404);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
    const list = await app.inject({ method: 'GET', url: '/chat/sessions', headers: b.h });
    expect(json(list).data.map((x: { id: string }) => x.id)).toEqual([own]);
    const search = await app.inject({ method: 'GET', url: '/chat/search?q=zebra', headers: b.h });
    expect(json(search).data).toEqual([]);
    // Ids are per user: the same id in Bob's own session is a message of his, never Alice's.
    const same = await app.inject({
      method: 'PUT',
      url: `/chat/sessions/${own}/messages/alice-m1`,
      headers: b.h,
      payload: { role: 'user', parts: text },
    });
    expect(same.statusCode).toBe(201);
    expect(json(same).session_id).toBe(own);
    expect(await dataOf(a.id)).toBe(before);
    // Alice's link still reads, and shows none of Bob's attempts; the public read never leaks her ids.
    const read = await app.inject({ method: 'GET', url: json(shared).path });
    expect(read.statusCode).toBe(200);
    expect(json(read).messages.map((m: { id: string }) => m.id)).toEqual([expect.any(String), 'alice-m1']);
    for (const hidden of [a.id, sid, 'alice@example.com', 'alice-stream', 'rating'])
      expect(read.body).not.toContain(hidden);
  });

  it("another user's trash: restore, permanent delete and the trash list are 404 / empty; nothing of it changes", async () => {
    const a = await user('trash-alice@example.com', PASSWORD_A);
    const b = await user('trash-bob@example.com', PASSWORD_B);
    const make = async (title: string) =>
      json(await app.inject({ method: 'POST', url: '/chat/sessions', headers: a.h, payload: { title } }))
        .id as string;
    const trashed = await make('in the trash');
    const archived = await make('archived');
    await app.inject({
      method: 'PATCH',
      url: `/chat/sessions/${archived}`,
      headers: a.h,
      payload: { archived: true },
    });
    expect(
      (await app.inject({ method: 'DELETE', url: `/chat/sessions/${trashed}`, headers: a.h })).statusCode,
    ).toBe(204);
    const before = await dataOf(a.id);
    for (const r of [
      { method: 'POST', url: `/chat/sessions/${trashed}/restore` },
      { method: 'DELETE', url: `/chat/sessions/${trashed}?permanent=true` },
      { method: 'DELETE', url: `/chat/sessions/${trashed}` },
      { method: 'GET', url: `/chat/sessions/${trashed}` },
      { method: 'PATCH', url: `/chat/sessions/${archived}`, payload: { archived: false } },
      { method: 'DELETE', url: `/chat/sessions/${archived}` },
    ] as InjectOptions[]) {
      const res = await app.inject(withAuth(r, b.h));
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(404);
    }
    for (const view of ['archived=true', 'trashed=true']) {
      const res = await app.inject({ method: 'GET', url: `/chat/sessions?${view}`, headers: b.h });
      expect(json(res).data).toEqual([]);
    }
    expect(await dataOf(a.id)).toBe(before);
  });

  it('a token stops working after logout and after its user is deleted, on every route', async () => {
    const c = await user('carol@example.com', 'carol-Secret-pw-3');
    secrets.push('carol-Secret-pw-3');
    const second = json(
      await app.inject({
        method: 'POST',
        url: '/auth/token',
        payload: { email: 'carol@example.com', password: 'carol-Secret-pw-3' },
      }),
    ).access_token as string;
    secrets.push(second);
    const sid = json(
      await app.inject({ method: 'POST', url: '/chat/sessions', headers: c.h, payload: {} }),
    ).id;

    expect((await app.inject({ method: 'POST', url: '/auth/logout', headers: c.h })).statusCode).toBe(204);
    for (const r of protectedRoutes(sid)) {
      const res = await app.inject(withAuth(r, c.h));
      expect(res.statusCode, `after logout: ${r.method} ${r.url}`).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    // The other token of the same user still works until the user is deleted.
    const h2 = { authorization: `Bearer ${second}` };
    expect((await app.inject({ method: 'GET', url: '/users/me', headers: h2 })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: '/users/me', headers: h2 })).statusCode).toBe(204);
    for (const r of protectedRoutes(sid)) {
      const res = await app.inject(withAuth(r, h2));
      expect(res.statusCode, `after deletion: ${r.method} ${r.url}`).toBe(401);
    }
    const left = await s.db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM auth_tokens WHERE user_id = $1) + (SELECT count(*) FROM chat_sessions WHERE user_id = $1::text::uuid) AS n`,
      [c.id],
    );
    expect(left.rows[0]?.n).toBe(0);
  });

  it("guests: another guest's or user's ids are 404; an upgrade cannot take an email or touch a registered user", async () => {
    const guest = async () => {
      const r = json(await app.inject({ method: 'POST', url: '/auth/guest' }));
      secrets.push(r.access_token);
      return { id: r.user.id as string, h: { authorization: `Bearer ${r.access_token}` } };
    };
    const g1 = await guest();
    const g2 = await guest();
    const sid = json(
      await app.inject({
        method: 'POST',
        url: '/chat/sessions',
        headers: g1.h,
        payload: { title: 'guest private' },
      }),
    ).id as string;
    const saved = await app.inject({
      method: 'PUT',
      url: `/chat/sessions/${sid}/messages/alice-m1`,
      headers: g1.h,
      payload: { role: 'assistant', parts: [{ type: 'text', text: 'a guest answer' }] },
    });
    expect(saved.statusCode).toBe(201);
    const before = await dataOf(g1.id);
    expect(before).toContain('guest private');
    // Another guest, and a registered user, reach none of it.
    const erin = await user('erin@example.com', 'erin-Secret-pw-6');
    secrets.push('erin-Secret-pw-6');
    for (const h of [g2.h, erin.h])
      for (const r of protectedRoutes(sid).filter((r) => String(r.url).includes(sid))) {
        const res = await app.inject(withAuth(r, h));
        expect(res.statusCode, `${r.method} ${r.url}`).toBe(404);
      }
    expect(await dataOf(g1.id)).toBe(before);
    // An upgrade names no user id: it acts on the token's own user. A registered one is 409, and
    // a guest cannot take a registered email; neither changes a row.
    const erinBefore = await dataOf(erin.id);
    const taken = { email: 'ERIN@example.com', password: 'guest-Secret-pw-7' };
    secrets.push('guest-Secret-pw-7');
    expect(
      (await app.inject({ method: 'POST', url: '/users/me/upgrade', headers: g2.h, payload: taken }))
        .statusCode,
    ).toBe(409);
    expect(
      (await app.inject({ method: 'POST', url: '/users/me/upgrade', headers: erin.h, payload: taken }))
        .statusCode,
    ).toBe(409);
    expect(await dataOf(erin.id)).toBe(erinBefore);
    expect(await dataOf(g1.id)).toBe(before);
    const g2row = await s.db.query('SELECT email, hashed_password, is_guest FROM users WHERE id = $1', [
      g2.id,
    ]);
    expect(g2row.rows).toEqual([{ email: null, hashed_password: null, is_guest: true }]);
    // Upgraded, g1 signs in with its password; its sessions are the same.
    const up = await app.inject({
      method: 'POST',
      url: '/users/me/upgrade',
      headers: g1.h,
      payload: { email: 'g1@example.com', password: 'guest-Secret-pw-7' },
    });
    expect(up.statusCode).toBe(200);
    const tok = await app.inject({
      method: 'POST',
      url: '/auth/token',
      payload: { email: 'g1@example.com', password: 'guest-Secret-pw-7' },
    });
    secrets.push(json(tok).access_token);
    const list = await app.inject({
      method: 'GET',
      url: '/chat/sessions',
      headers: { authorization: `Bearer ${json(tok).access_token}` },
    });
    expect(json(list).data.map((x: { id: string }) => x.id)).toEqual([sid]);
  });

  it('rate limits logins per email, whatever the password, with Retry-After', async () => {
    await user('dave@example.com', 'dave-Secret-pw-4');
    secrets.push('dave-Secret-pw-4', 'wrong-guess-0', 'wrong-guess-1', 'wrong-guess-2', 'wrong-guess-3');
    const attempt = (password: string) =>
      app.inject({ method: 'POST', url: '/auth/token', payload: { email: 'DAVE@example.com', password } });
    // user() logged in once: with perEmail 3, two more attempts pass, the next is refused.
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt(`wrong-guess-${i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 429, 429]);
    const refused = await attempt('dave-Secret-pw-4');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
  });

  it('no password or token appears in any log line written above', () => {
    const text = logs.text();
    expect(text.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(text, secret.slice(0, 6)).not.toContain(secret);
    expect(text).not.toMatch(/bearer [a-z0-9_-]{20,}/i);
  });
});

describe.runIf(onRealPostgres)('the database password', () => {
  it('never appears in what chatdb serve or the CLI print', async () => {
    const scratch = await createScratchUrl();
    // The server here trusts local connections, so any password is accepted; it must still never be printed.
    const password = 'Db-Pa55word-Never-Printed';
    const withPassword = (raw: string) => {
      const u = new URL(raw);
      u.password = password;
      return u.toString();
    };
    const url = withPassword(scratch.url);
    // Through the pooler (TEST_POOLED_URL) migrations take the direct URL, as on Neon.
    const env: Record<string, string> = { DATABASE_URL: url };
    if (scratch.directUrl !== scratch.url) env.DATABASE_URL_UNPOOLED = withPassword(scratch.directUrl);
    const cwd = tempDir('chatdb-secret-');
    try {
      const outputs: string[] = [];
      for (const args of [
        ['init', '--scope', 'all'],
        ['status'],
        ['status', '--json'],
        ['up', '--dry-run'],
      ]) {
        const r = await chatdb(args, cwd, env);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
        outputs.push(r.stdout, r.stderr);
      }
      const bad = await chatdb(['status'], cwd, { DATABASE_URL: url.replace(/@[^/]+\//, '@127.0.0.1:1/') });
      expect(bad.code).not.toBe(0);
      outputs.push(bad.stdout, bad.stderr);

      const server = await startServer({ cwd, env });
      await fetch(`${server.url}/readyz`);
      await fetch(`${server.url}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'eve@example.com', password: 'eve-Secret-pw-5' }),
      });
      expect(await server.stop()).toBe(0);
      outputs.push(server.output());

      const all = outputs.join('\n');
      expect(all).toContain('***'); // the URL is shown, masked
      expect(all).not.toContain(password);
      expect(all).not.toContain('eve-Secret-pw-5');
    } finally {
      await scratch.drop();
    }
  });
});
