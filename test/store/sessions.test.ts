import { describe, expect, it } from 'vitest';
import { isChatDbError } from '../../src/errors.js';
import { decodeCursor, encodeCursor } from '../../src/store/sessions.js';
import { count, errorCode, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const code = errorCode;

describe('sessions', () => {
  it('create/get are owner-checked; bad input is invalid_input', async () => {
    const user = await makeUser(fx.db);
    const s = await fx.chat.sessions.create(user, { title: 'Intro', metadata: { page: '/docs/intro' } });
    expect(s).toMatchObject({
      userId: user,
      title: 'Intro',
      metadata: { page: '/docs/intro' },
      messageCount: 0,
    });
    expect(s.lastMessageAt).toBeNull();
    expect(await fx.chat.sessions.get(user, s.id)).toEqual(s);
    const other = await makeUser(fx.db);
    expect(await code(fx.chat.sessions.get(other, s.id))).toBe('not_found');
    expect(await code(fx.chat.sessions.get(user, 'nope'))).toBe('not_found');
    expect(await code(fx.chat.sessions.get('nope', s.id))).toBe('not_found');
    expect(await code(fx.chat.sessions.create('00000000-0000-4000-8000-000000000000'))).toBe('not_found');
    expect(await code(fx.chat.sessions.create(user, { title: 't'.repeat(501) }))).toBe('invalid_input');
    expect(await code(fx.chat.sessions.create(user, { title: 'a\u0000' }))).toBe('invalid_input');
    expect(
      await code(fx.chat.sessions.create(user, { metadata: [] as unknown as Record<string, never> })),
    ).toBe('invalid_input');
  });

  it('list: most recently active first, keyset pages with no gaps or repeats', async () => {
    const user = await makeUser(fx.db);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await fx.chat.sessions.create(user, { title: `s${i}` })).id);
    // Same updated_at for all: the id breaks ties, so pages are still exact.
    await fx.db.query(`UPDATE chat_sessions SET updated_at = '2025-01-01T00:00:00.123Z' WHERE user_id = $1`, [
      user,
    ]);
    // An append makes s2 the most recently active.
    await fx.chat.messages.append(user, ids[2] as string, { role: 'user', content: 'bump' });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await fx.chat.sessions.list(user, { limit: 3, cursor });
      seen.push(...page.data.map((s) => s.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen[0]).toBe(ids[2]);
    expect(new Set(seen).size).toBe(7);
    expect([...seen.slice(1)]).toEqual(
      ids
        .filter((x) => x !== ids[2])
        .sort()
        .reverse(),
    );
    const exact = await fx.chat.sessions.list(user, { limit: 7 });
    expect(exact.data).toHaveLength(7);
    expect(exact.nextCursor).toBeNull();
    expect((await fx.chat.sessions.list(await makeUser(fx.db))).data).toEqual([]);
  });

  it('list: a session active mid-walk is found by the walk of { updatedSince: snapshotAt }', async () => {
    const user = await makeUser(fx.db);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await fx.chat.sessions.create(user, { title: `w${i}` })).id);
    const first = await fx.chat.sessions.list(user, { limit: 3 });
    expect(first.snapshotAt).toEqual(first.data[0]?.updatedAt);
    await fx.chat.sessions.rename(user, ids[0] as string, 'active again'); // the oldest, not listed yet
    const seen = new Set(first.data.map((s) => s.id));
    let page = first;
    while (page.nextCursor) {
      page = await fx.chat.sessions.list(user, { limit: 3, cursor: page.nextCursor });
      expect(page.snapshotAt).toEqual(first.snapshotAt);
      for (const s of page.data) seen.add(s.id);
    }
    expect(seen.has(ids[0] as string)).toBe(false);
    const moved = await fx.chat.sessions.list(user, { updatedSince: first.snapshotAt });
    expect(moved.data[0]).toMatchObject({ id: ids[0], title: 'active again' });
    for (const s of moved.data) seen.add(s.id);
    expect(seen).toEqual(new Set(ids));
    // The cursor of a recovery walk carries its updatedSince; another one with it is refused.
    const small = await fx.chat.sessions.list(user, { limit: 1, updatedSince: new Date(0) });
    const next = await fx.chat.sessions.list(user, { limit: 1, cursor: small.nextCursor });
    expect(next.data[0]?.id).not.toBe(small.data[0]?.id);
    expect(
      await code(fx.chat.sessions.list(user, { cursor: small.nextCursor, updatedSince: new Date(1000) })),
    ).toBe('invalid_input');
    expect(await code(fx.chat.sessions.list(user, { updatedSince: new Date(Number.NaN) }))).toBe(
      'invalid_input',
    );
  });

  it('list rejects garbage cursors and bad limits with invalid_input', async () => {
    const user = await makeUser(fx.db);
    const valid = encodeCursor(await fx.chat.sessions.create(user));
    expect(decodeCursor(valid).id).toBeTruthy();
    const forged = Buffer.from('2025-13-01T00:00:00.000Z|x').toString('base64url');
    for (const cursor of ['garbage!', 'abc', forged, `${valid}x`, 'a'.repeat(500)])
      expect(await code(fx.chat.sessions.list(user, { cursor }))).toBe('invalid_input');
    for (const limit of [0, 101, 1.5, -1])
      expect(await code(fx.chat.sessions.list(user, { limit }))).toBe('invalid_input');
  });

  it('list rejects a forged cursor with a date Postgres cannot take (years outside 1..9999)', async () => {
    const user = await makeUser(fx.db);
    const s = await fx.chat.sessions.create(user);
    const forge = (iso: string) => Buffer.from(`${iso}|${s.id}`).toString('base64url');
    for (const iso of [
      '+275760-09-13T00:00:00.000Z',
      '-271821-04-20T00:00:00.000Z',
      '+010000-01-01T00:00:00.000Z',
      '0000-12-31T23:59:59.999Z',
      '-000001-01-01T00:00:00.000Z',
    ]) {
      const e = await fx.chat.sessions.list(user, { cursor: forge(iso) }).then(
        () => null,
        (x: unknown) => x,
      );
      expect(isChatDbError(e, 'invalid_input') && e.details[0]?.path, iso).toBe('cursor');
    }
    // The range's edges are still cursors.
    expect(
      (await fx.chat.sessions.list(user, { cursor: forge('9999-12-31T23:59:59.999Z') })).data,
    ).toHaveLength(1);
    expect((await fx.chat.sessions.list(user, { cursor: forge('0001-01-01T00:00:00.000Z') })).data).toEqual(
      [],
    );
  });

  it('rename, update and mergeMetadata: top-level merge, null removes, one statement', async () => {
    const user = await makeUser(fx.db);
    const s = await fx.chat.sessions.create(user, { metadata: { keep: 1, drop: 2, nested: { a: 1 } } });
    const r = await fx.chat.sessions.rename(user, s.id, 'New title');
    expect(r.title).toBe('New title');
    expect(r.updatedAt.getTime()).toBeGreaterThanOrEqual(s.updatedAt.getTime());
    const m = await fx.chat.sessions.mergeMetadata(user, s.id, { drop: null, nested: { b: 2 }, added: 'x' });
    expect(m.metadata).toEqual({ keep: 1, nested: { b: 2 }, added: 'x' });
    const u = await fx.chat.sessions.update(user, s.id, { title: null, metadata: { keep: null } });
    expect(u).toMatchObject({ title: null, metadata: { nested: { b: 2 }, added: 'x' } });
    expect(await fx.chat.sessions.update(user, s.id, {})).toEqual(u);
    const other = await makeUser(fx.db);
    expect(await code(fx.chat.sessions.rename(other, s.id, 'hijack'))).toBe('not_found');
    expect(await code(fx.chat.sessions.mergeMetadata(other, s.id, { x: 1 }))).toBe('not_found');
    expect(await code(fx.chat.sessions.mergeMetadata(user, s.id, { x: 'a\u0000' }))).toBe('invalid_input');
    expect((await fx.chat.sessions.get(user, s.id)).title).toBeNull();
  });

  it('20 concurrent merges of distinct keys lose no key', async () => {
    const user = await makeUser(fx.db);
    const s = await fx.chat.sessions.create(user, { metadata: { base: true } });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => fx.chat.sessions.mergeMetadata(user, s.id, { [`k${i}`]: i })),
    );
    const got = (await fx.chat.sessions.get(user, s.id)).metadata;
    expect(Object.keys(got).sort()).toEqual(
      ['base', ...Array.from({ length: 20 }, (_, i) => `k${i}`)].sort(),
    );
  });

  it('delete removes the session, its messages and citations; owner-checked', async () => {
    const user = await makeUser(fx.db);
    const s = await fx.chat.sessions.create(user);
    await fx.chat.messages.append(user, s.id, {
      role: 'assistant',
      content: 'a',
      citations: [{ documentId: 'd' }],
    });
    const other = await makeUser(fx.db);
    expect(await code(fx.chat.sessions.delete(other, s.id))).toBe('not_found');
    await fx.chat.sessions.delete(user, s.id);
    expect(await count(fx.db, 'messages', 'session_id = $1', [s.id])).toBe(0);
    expect(await code(fx.chat.sessions.get(user, s.id))).toBe('not_found');
    expect(await code(fx.chat.sessions.delete(user, s.id))).toBe('not_found');
  });
});

describe('conversation and citations', () => {
  it('conversation: session plus messages with citations ([] when none), oldest first', async () => {
    const user = await makeUser(fx.db);
    const s = await fx.chat.sessions.create(user, { title: 'c' });
    const empty = await fx.chat.sessions.conversation(user, s.id);
    expect(empty).toEqual({ session: s, messages: [] });
    const q = await fx.chat.messages.append(user, s.id, { role: 'user', content: 'q' });
    const a = await fx.chat.messages.append(user, s.id, {
      role: 'assistant',
      content: 'a',
      citations: [
        { documentId: 'd2', citationIndex: 2 },
        { documentId: 'd1', citationIndex: 1, score: 0.25 },
      ],
    });
    const conv = await fx.chat.citations.conversation(user, s.id);
    expect(conv.session.messageCount).toBe(2);
    expect(conv.messages).toEqual([
      q.message,
      { ...a.message, citations: [...a.message.citations].sort((x, y) => x.citationIndex - y.citationIndex) },
    ]);
    expect(conv.messages[0]?.citations).toEqual([]);
    expect(await fx.chat.sessions.conversation(user, s.id)).toEqual(conv);
    expect(await code(fx.chat.sessions.conversation(await makeUser(fx.db), s.id))).toBe('not_found');
    expect(await fx.chat.citations.forMessage(user, a.message.id)).toEqual(conv.messages[1]?.citations);
    expect(await code(fx.chat.citations.forMessage(await makeUser(fx.db), a.message.id))).toBe('not_found');
  });

  it('most cited documents and messages citing a document, owner-scoped when asked', async () => {
    const alice = await makeUser(fx.db);
    const bob = await makeUser(fx.db);
    const sa = await fx.chat.sessions.create(alice);
    const sb = await fx.chat.sessions.create(bob);
    const cite = (docs: string[]) => ({
      role: 'assistant' as const,
      content: 'a',
      citations: docs.map((documentId) => ({ documentId, score: 0.5 })),
    });
    await fx.chat.messages.append(alice, sa.id, cite(['mc-x', 'mc-y']));
    await fx.chat.messages.append(alice, sa.id, cite(['mc-x']));
    await fx.chat.messages.append(bob, sb.id, cite(['mc-y', 'mc-z']));
    await fx.chat.messages.append(bob, sb.id, cite(['mc-y']));

    const mine = await fx.chat.citations.mostCited({ userId: alice });
    expect(mine.map((d) => [d.documentId, d.citations])).toEqual([
      ['mc-x', 2],
      ['mc-y', 1],
    ]);
    expect(mine[0]).toMatchObject({ messages: 2, avgScore: 0.5 });
    const global = (await fx.chat.citations.mostCited({ limit: 1000 })).filter((d) =>
      d.documentId.startsWith('mc-'),
    );
    expect(global.map((d) => [d.documentId, d.citations])).toEqual([
      ['mc-y', 3],
      ['mc-x', 2],
      ['mc-z', 1],
    ]);
    expect(await fx.chat.citations.mostCited({ since: new Date(Date.now() + 86_400_000) })).toEqual([]);

    const citingY = await fx.chat.citations.messagesCiting('mc-y');
    expect(citingY).toHaveLength(3);
    expect(citingY.every((c) => c.message.citations.some((x) => x.documentId === 'mc-y'))).toBe(true);
    const bobsY = await fx.chat.citations.messagesCiting('mc-y', { userId: bob });
    expect(bobsY.map((c) => c.userId)).toEqual([bob, bob]);
    expect(bobsY.map((c) => c.message.seq)).toEqual([2, 1]);
    expect(await fx.chat.citations.messagesCiting('mc-z', { userId: alice })).toEqual([]);
    expect(await code(fx.chat.citations.messagesCiting(''))).toBe('invalid_input');
  });
});
