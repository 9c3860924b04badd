/**
 * "Characters" are Unicode code points everywhere: every length-limited field takes exactly its
 * limit in astral characters (emoji, two UTF-16 units each) and refuses one more, through the
 * library and through the HTTP API alike. Before, the library counted UTF-16 units (500 emoji
 * failed a 500-character title the HTTP schema had accepted; a 255-emoji part type failed too).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isChatDbError } from '../../src/errors.js';
import { createChatDb } from '../../src/store/chatdb.js';
import { LIMITS } from '../../src/store/validate.js';
import { freshDatabase } from '../helpers/db.js';
import { type Api, api, login } from '../http/helpers.js';
import { makeUser } from './helpers.js';

/** `n` astral characters: emoji from U+1F600 on, each one code point and two UTF-16 units. */
const emoji = (n: number): string =>
  Array.from({ length: n }, (_, i) => String.fromCodePoint(0x1f600 + (i % 64))).join('');
/** `n` astral letters (mathematical bold a..z from U+1D41A + `from`): letters, as an email needs. */
const bold = (n: number, from = 0): string =>
  Array.from({ length: n }, (_, i) => String.fromCodePoint(0x1d41a + ((i + from) % 26))).join('');
/** A 320-character address: a 64-character local part, a 255-character domain of 63-letter labels. */
const email320 = (from = 0): string =>
  `${bold(64, from)}@${[bold(63), bold(63), bold(63), bold(63)].join('.')}`;

let web: Api;
let app: FastifyInstance;
let auth: { id: string; h: Record<string, string> };

beforeAll(async () => {
  web = await api();
  app = web.app;
  auth = await login(app, 'lengths@example.com');
});
afterAll(() => web?.close());

const chat = () => createChatDb(web.s.db);
const rejects = async (p: Promise<unknown>, path: string) => {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isChatDbError(e, 'invalid_input'), `${path}: ${e}`).toBe(true);
  expect((e as { details: { path: string; message: string }[] }).details[0]).toEqual({
    path,
    message: expect.stringMatching(/characters|valid email/),
  });
};

const send = (method: 'POST' | 'PATCH' | 'PUT', url: string, payload: object) =>
  app.inject({ method, url, payload, headers: auth.h });
const refused = (r: { statusCode: number; json(): { errors?: { path: string }[] } }, path: string) => {
  expect(r.statusCode).toBe(400);
  expect(r.json().errors?.map((e) => e.path)).toEqual([path]);
};

describe('the library counts code points', () => {
  it('emoji helpers are what they say', () => {
    expect([emoji(3).length, [...emoji(3)].length]).toEqual([6, 3]);
  });

  it('title, backgrounds, selected text, citation fields, search query: limit ok, one more refused', async () => {
    const c = chat();
    const user = await makeUser(web.s.db);
    const s = await c.sessions.create(user, { title: emoji(LIMITS.title) });
    expect(s.title).toBe(emoji(LIMITS.title));
    await rejects(c.sessions.create(user, { title: emoji(LIMITS.title + 1) }), 'title');
    expect((await c.sessions.update(user, s.id, { title: emoji(LIMITS.title) })).title).toHaveLength(
      2 * LIMITS.title,
    );
    await rejects(c.sessions.update(user, s.id, { title: emoji(LIMITS.title + 1) }), 'title');

    for (const field of ['softwareBackground', 'hardwareBackground'] as const) {
      const path = field === 'softwareBackground' ? 'software_background' : 'hardware_background';
      const p = await c.profiles.upsert(user, { [field]: emoji(LIMITS.background) });
      expect(p[field]).toBe(emoji(LIMITS.background));
      await rejects(c.profiles.upsert(user, { [field]: emoji(LIMITS.background + 1) }), path);
    }

    const ok = await c.messages.append(user, s.id, {
      role: 'user',
      content: 'q',
      selectedText: emoji(LIMITS.selectedText),
      citations: [
        // document_id: 1,000 code points, 24 of them emoji, 1,072 bytes (under its 2,048)
        {
          documentId: `${emoji(24)}${'d'.repeat(LIMITS.documentId - 24)}`,
          chunkId: emoji(LIMITS.chunkId),
          excerpt: emoji(LIMITS.excerpt),
        },
      ],
    });
    expect([...(ok.message.selectedText ?? '')].length).toBe(LIMITS.selectedText);
    expect([...(ok.message.citations[0]?.chunkId ?? '')].length).toBe(LIMITS.chunkId);
    const over = (citation: object, selectedText = 'x') =>
      c.messages.append(user, s.id, {
        role: 'user',
        content: 'q',
        selectedText,
        citations: [{ documentId: 'd', ...citation }],
      });
    await rejects(over({}, emoji(LIMITS.selectedText + 1)), 'selected_text');
    await rejects(
      over({ documentId: `${emoji(24)}${'d'.repeat(LIMITS.documentId - 23)}` }),
      'citations[0].document_id',
    );
    await rejects(over({ chunkId: emoji(LIMITS.chunkId + 1) }), 'citations[0].chunk_id');
    await rejects(over({ excerpt: emoji(LIMITS.excerpt + 1) }), 'citations[0].excerpt');

    expect(await c.messages.search(user, emoji(LIMITS.searchQuery))).toEqual([]);
    await rejects(c.messages.search(user, emoji(LIMITS.searchQuery + 1)), 'q');
  });

  it('content: 4 Mi characters, 1,000 of them emoji (over 4 Mi UTF-16 units), are stored; one more is refused', async () => {
    const c = chat();
    const user = await makeUser(web.s.db);
    const s = await c.sessions.create(user);
    // Mostly ASCII to keep the test light; the emoji put its UTF-16 length over the limit.
    const big = `${emoji(1000)} ${'x'.repeat(LIMITS.content - 1001)}`;
    expect(big.length).toBeGreaterThan(LIMITS.content);
    const r = await c.messages.append(user, s.id, { role: 'assistant', content: big });
    const stored = await web.s.db.query<{ n: number }>(
      'SELECT char_length(content) AS n FROM messages WHERE id = $1',
      [r.message.id],
    );
    expect(stored.rows).toEqual([{ n: LIMITS.content }]);
    await rejects(c.messages.append(user, s.id, { role: 'assistant', content: `${big}😀` }), 'content');
  });

  it('email and password: limits in code points, the shortest password too', async () => {
    const c = chat();
    const longest = email320();
    expect([...longest].length).toBe(LIMITS.email);
    expect((await c.users.register({ email: longest, password: emoji(LIMITS.passwordMax) })).email).toBe(
      longest,
    );
    await rejects(c.users.register({ email: `x${longest}`, password: 'long enough' }), 'email');
    await rejects(
      c.users.register({ email: 'pw-max@example.com', password: emoji(LIMITS.passwordMax + 1) }),
      'password',
    );
    // 7 emoji are 14 UTF-16 units but 7 characters: under the minimum of 8
    await rejects(
      c.users.register({ email: 'pw-min@example.com', password: emoji(LIMITS.passwordMin - 1) }),
      'password',
    );
    expect(
      await c.users.register({ email: 'pw-min@example.com', password: emoji(LIMITS.passwordMin) }),
    ).toMatchObject({
      email: 'pw-min@example.com',
    });
  });
});

describe('the HTTP API counts the same way', () => {
  it('title, backgrounds, selected text, citation fields, search query: limit ok, one more 400', async () => {
    const created = await send('POST', '/chat/sessions', { title: emoji(LIMITS.title) });
    expect(created.statusCode).toBe(201);
    const sid = created.json().id as string;
    refused(await send('POST', '/chat/sessions', { title: emoji(LIMITS.title + 1) }), 'body.title');
    expect((await send('PATCH', `/chat/sessions/${sid}`, { title: emoji(LIMITS.title) })).statusCode).toBe(
      200,
    );
    refused(await send('PATCH', `/chat/sessions/${sid}`, { title: emoji(LIMITS.title + 1) }), 'body.title');

    for (const field of ['software_background', 'hardware_background']) {
      expect((await send('PUT', '/users/me/profile', { [field]: emoji(LIMITS.background) })).statusCode).toBe(
        200,
      );
      refused(
        await send('PUT', '/users/me/profile', { [field]: emoji(LIMITS.background + 1) }),
        `body.${field}`,
      );
    }

    const msg = (selected_text: string, citation: object = {}) =>
      send('POST', `/chat/sessions/${sid}/messages`, {
        role: 'user',
        content: 'q',
        selected_text,
        citations: [{ document_id: 'd', ...citation }],
      });
    const ok = await msg(emoji(LIMITS.selectedText), {
      document_id: `${emoji(24)}${'d'.repeat(LIMITS.documentId - 24)}`,
      chunk_id: emoji(LIMITS.chunkId),
      excerpt: emoji(LIMITS.excerpt),
    });
    expect(ok.statusCode).toBe(201);
    refused(await msg(emoji(LIMITS.selectedText + 1)), 'body.selected_text');
    refused(
      await msg('x', { document_id: `${emoji(24)}${'d'.repeat(LIMITS.documentId - 23)}` }),
      'body.citations.0.document_id',
    );
    refused(await msg('x', { chunk_id: emoji(LIMITS.chunkId + 1) }), 'body.citations.0.chunk_id');
    refused(await msg('x', { excerpt: emoji(LIMITS.excerpt + 1) }), 'body.citations.0.excerpt');

    const search = (q: string) =>
      app.inject({ method: 'GET', url: `/chat/search?q=${encodeURIComponent(q)}`, headers: auth.h });
    expect((await search(emoji(LIMITS.searchQuery))).statusCode).toBe(200);
    refused(await search(emoji(LIMITS.searchQuery + 1)), 'querystring.q');
  });

  it('email and password on registration', async () => {
    const reg = (payload: object) => app.inject({ method: 'POST', url: '/users', payload });
    const longest = email320(1); // another address than the library test's
    expect((await reg({ email: longest, password: emoji(LIMITS.passwordMax) })).statusCode).toBe(201);
    refused(await reg({ email: `x${longest}`, password: 'long enough' }), 'body.email');
    refused(
      await reg({ email: 'h-max@example.com', password: emoji(LIMITS.passwordMax + 1) }),
      'body.password',
    );
    refused(
      await reg({ email: 'h-min@example.com', password: emoji(LIMITS.passwordMin - 1) }),
      'body.password',
    );
    expect((await reg({ email: 'h-min@example.com', password: emoji(LIMITS.passwordMin) })).statusCode).toBe(
      201,
    );
  });
});

describe('a chat-scope user id counts code points too', () => {
  it('255 emoji are an id; 256 name nothing', async () => {
    const fresh = await freshDatabase('chat');
    try {
      const c = createChatDb(fresh.db);
      const id = emoji(LIMITS.externalUserId);
      expect((await c.sessions.create(id)).userId).toBe(id);
      const e = await c.sessions.create(`${id}😀`).then(
        () => null,
        (err: unknown) => err,
      );
      expect(isChatDbError(e, 'not_found')).toBe(true);
    } finally {
      await fresh.drop();
    }
  });
});

describe('part types and message ids count code points', () => {
  const parts = (type: string) => [{ type, text: 't' }];

  it('library: a 255-emoji part type is stored, 256 refused; a 255-emoji id finds its citations', async () => {
    const c = chat();
    const user = await makeUser(web.s.db);
    const s = await c.sessions.create(user);
    const ok = await c.messages.upsert(user, s.id, {
      id: 'pt-1',
      role: 'assistant',
      parts: parts(emoji(255)),
    });
    expect(ok.message.parts).toEqual(parts(emoji(255)));
    await rejects(
      c.messages.upsert(user, s.id, { id: 'pt-2', role: 'assistant', parts: parts(emoji(256)) }),
      'parts[0].type',
    );
    const id = emoji(255);
    const cited = [{ type: 'source-url', sourceId: 's', url: 'https://example.com/e' }];
    await c.messages.upsert(user, s.id, { id, role: 'assistant', parts: cited });
    expect((await c.citations.forMessage(user, id)).map((x) => x.documentId)).toEqual([
      'https://example.com/e',
    ]);
  });

  it('HTTP: a 255-emoji part type is 201, 256 is 400', async () => {
    const sid = (await send('POST', '/chat/sessions', {})).json().id as string;
    const put = (mid: string, type: string) =>
      send('PUT', `/chat/sessions/${sid}/messages/${mid}`, { role: 'assistant', parts: parts(type) });
    const ok = await put('hpt-1', emoji(255));
    expect(ok.statusCode).toBe(201);
    expect(ok.json().parts).toEqual(parts(emoji(255)));
    refused(await put('hpt-2', emoji(256)), 'body.parts.0.type');
  });
});
