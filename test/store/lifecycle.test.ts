import { describe, expect, it } from 'vitest';
import { createChatDb } from '../../src/store/chatdb.js';
import { decodeCursor } from '../../src/store/sessions.js';
import type { ChatSession } from '../../src/store/types.js';
import { count, errorCode, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const code = errorCode;
const titles = (data: ChatSession[]) => data.map((s) => s.title);

/** Walks every page of a view with `limit`, returning the titles in order. */
async function walk(user: string, options: { archived?: boolean; trashed?: boolean }, limit = 2) {
  const seen: ChatSession[] = [];
  let cursor: string | null = null;
  do {
    const page = await fx.chat.sessions.list(user, { ...options, limit, cursor });
    seen.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return seen;
}

/** A user with sessions a..f, created in that order (f the most recently active). */
async function sessions(n = 6) {
  const user = await makeUser(fx.db);
  const by: Record<string, string> = {};
  for (const t of 'abcdef'.slice(0, n)) by[t] = (await fx.chat.sessions.create(user, { title: t })).id;
  // Distinct updated_at a < b < ... (past the touch trigger, which would set now()).
  await fx.db.exec(`ALTER TABLE chat_sessions DISABLE TRIGGER chat_sessions_touch_updated_at;
    UPDATE chat_sessions SET updated_at = '2025-01-01T00:00:00Z'::timestamptz + ascii(title) * interval '1 minute'
    WHERE user_id = '${user}';
    ALTER TABLE chat_sessions ENABLE TRIGGER chat_sessions_touch_updated_at;`);
  return { user, by };
}

describe('pin and archive', () => {
  it('pinned first, then most recently active; archived ones only in the archive view; cursors exact', async () => {
    const { user, by } = await sessions();
    const pinned = await fx.chat.sessions.update(user, by.b as string, { pinned: true });
    expect(pinned).toMatchObject({ pinned: true, archived: false, trashedAt: null });
    await fx.chat.sessions.update(user, by.d as string, { pinned: true });
    await fx.chat.sessions.update(user, by.e as string, { archived: true });
    await fx.chat.sessions.update(user, by.a as string, { archived: true, pinned: true });
    // Pinning moves updated_at (docs/design.md): d was pinned after b, so d is first.
    expect(titles(await walk(user, {}))).toEqual(['d', 'b', 'f', 'c']);
    expect(titles(await walk(user, {}, 1))).toEqual(['d', 'b', 'f', 'c']);
    expect(titles(await walk(user, { archived: true }))).toEqual(['a', 'e']);
    // Unarchive and unpin.
    await fx.chat.sessions.update(user, by.e as string, { archived: false });
    await fx.chat.sessions.update(user, by.d as string, { pinned: false });
    expect(titles(await walk(user, {}))).toEqual(['b', 'd', 'e', 'f', 'c']);
    // A no-op patch writes nothing.
    const before = await fx.chat.sessions.get(user, by.c as string);
    expect(await fx.chat.sessions.update(user, by.c as string, {})).toEqual(before);
  });

  it('the walk stays exact while sessions are pinned: walk + { updatedSince: snapshotAt } sees all', async () => {
    const { user, by } = await sessions();
    await fx.chat.sessions.update(user, by.f as string, { pinned: true });
    const first = await fx.chat.sessions.list(user, { limit: 2 });
    // The snapshot is the newest session of the view, pinned or not.
    expect(first.snapshotAt).toEqual(first.data[0]?.updatedAt);
    expect(titles(first.data)).toEqual(['f', 'e']);
    // Mid-walk: a, not listed yet, is pinned (it moves above the cursor).
    await fx.chat.sessions.update(user, by.a as string, { pinned: true });
    const seen = new Map(first.data.map((s) => [s.id, s]));
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await fx.chat.sessions.list(user, { limit: 2, cursor });
      expect(page.snapshotAt).toEqual(first.snapshotAt);
      for (const s of page.data) seen.set(s.id, s);
      cursor = page.nextCursor;
    }
    expect(seen.has(by.a as string)).toBe(false);
    const moved = await fx.chat.sessions.list(user, { updatedSince: first.snapshotAt as Date, limit: 100 });
    for (const s of moved.data) seen.set(s.id, s);
    expect(seen.size).toBe(6);
    expect(seen.get(by.a as string)?.pinned).toBe(true);
  });

  it('bad pinned/archived, bad list options and a cursor of another view are invalid_input; nothing changes', async () => {
    const { user, by } = await sessions(3);
    const id = by.a as string;
    const before = await fx.chat.sessions.get(user, id);
    for (const patch of [
      { pinned: 'yes' },
      { archived: 1 },
      { pinned: null },
      { title: 'x', archived: 'no' },
    ])
      expect(await code(fx.chat.sessions.update(user, id, patch as never))).toBe('invalid_input');
    expect(await fx.chat.sessions.get(user, id)).toEqual(before);
    for (const o of [{ archived: 'true' }, { trashed: 1 }, { archived: true, trashed: true }])
      expect(await code(fx.chat.sessions.list(user, o as never))).toBe('invalid_input');
    expect(await code(fx.chat.sessions.list(user, { trashed: true, updatedSince: new Date() }))).toBe(
      'invalid_input',
    );
    const page = await fx.chat.sessions.list(user, { limit: 1 });
    expect(decodeCursor(page.nextCursor as string)).toMatchObject({ view: 'list', pinned: false });
    expect(await code(fx.chat.sessions.list(user, { archived: true, cursor: page.nextCursor }))).toBe(
      'invalid_input',
    );
    expect(await code(fx.chat.sessions.list(user, { trashed: true, cursor: page.nextCursor }))).toBe(
      'invalid_input',
    );
    // Another user's session: not_found, unchanged.
    const other = await makeUser(fx.db);
    expect(await code(fx.chat.sessions.update(other, id, { pinned: true }))).toBe('not_found');
    expect(await fx.chat.sessions.get(user, id)).toEqual(before);
  });
});

describe('trash and restore', () => {
  it('a trashed session is not_found everywhere but the trash; restore brings it back as it was', async () => {
    const user = await makeUser(fx.db);
    const s = await fx.chat.sessions.create(user, { title: 'doomed' });
    await fx.chat.messages.append(user, s.id, { role: 'user', content: 'zebra crossing' });
    const answer = await fx.chat.messages.upsert(user, s.id, {
      id: 'ans-1',
      role: 'assistant',
      parts: [{ type: 'text', text: 'a zebra answer' }],
    });
    await fx.chat.feedback.set(user, s.id, 'ans-1', { rating: 'up' });
    expect((await fx.chat.messages.search(user, 'zebra')).length).toBe(2);
    await fx.chat.sessions.trash(user, s.id);

    const gone = [
      () => fx.chat.sessions.get(user, s.id),
      () => fx.chat.sessions.update(user, s.id, { title: 'x' }),
      () => fx.chat.sessions.update(user, s.id, { pinned: true }),
      () => fx.chat.sessions.conversation(user, s.id),
      () => fx.chat.sessions.trash(user, s.id), // trashing twice: it is invisible
      () => fx.chat.messages.list(user, s.id),
      () => fx.chat.messages.last(user, s.id),
      () => fx.chat.messages.append(user, s.id, { role: 'user', content: 'more' }),
      () =>
        fx.chat.messages.upsert(user, s.id, {
          id: 'u-2',
          role: 'user',
          parts: [{ type: 'text', text: 'x' }],
        }),
      () => fx.chat.messages.siblings(user, s.id, 'ans-1'),
      () => fx.chat.messages.switchBranch(user, s.id, 'ans-1'),
      () => fx.chat.messages.setActiveStream(user, s.id, 'stream-1'),
      () => fx.chat.feedback.set(user, s.id, 'ans-1', { rating: 'down' }),
      () => fx.chat.feedback.remove(user, s.id, 'ans-1'),
      () => fx.chat.feedback.get(user, s.id, 'ans-1'),
      () => fx.chat.feedback.list(user, s.id),
      () => fx.chat.citations.forMessage(user, 'ans-1'),
    ];
    for (const call of gone) expect(await code(call()), String(call)).toBe('not_found');
    expect(await fx.chat.messages.search(user, 'zebra')).toEqual([]);
    expect((await fx.chat.sessions.list(user)).data).toEqual([]);
    expect((await fx.chat.sessions.list(user, { archived: true })).data).toEqual([]);
    expect(await count(fx.db, 'messages', 'session_id = $1', [s.id])).toBe(2);
    expect(
      await count(
        fx.db,
        'message_feedback',
        'message_id IN (SELECT id FROM messages WHERE session_id = $1)',
        [s.id],
      ),
    ).toBe(1);

    const trash = await fx.chat.sessions.list(user, { trashed: true });
    expect(trash.data.map((x) => x.id)).toEqual([s.id]);
    const t = trash.data[0] as ChatSession;
    expect(t.trashedAt).toBeInstanceOf(Date);
    expect(t.purgeAt?.getTime()).toBe((t.trashedAt as Date).getTime() + 30 * 86_400_000);
    expect(trash.snapshotAt).toBeNull();

    const back = await fx.chat.sessions.restore(user, s.id);
    expect(back).toMatchObject({ id: s.id, title: 'doomed', trashedAt: null, messageCount: 2 });
    expect(await code(fx.chat.sessions.restore(user, s.id))).toBe('not_found'); // not in the trash
    expect((await fx.chat.messages.list(user, s.id)).data.map((m) => m.id)).toContain(answer.message.id);
    expect((await fx.chat.feedback.list(user, s.id)).length).toBe(1);
    expect((await fx.chat.messages.search(user, 'zebra')).length).toBe(2);
  });

  it('the trash: newest trashed first, paged; past retention it is neither listed nor restorable', async () => {
    const { user, by } = await sessions();
    for (const t of ['a', 'b', 'c', 'd']) await fx.chat.sessions.trash(user, by[t] as string);
    // Trashed 1, 2, 3 and 31 days ago (retention: 30 days).
    await fx.db.query(
      `UPDATE chat_sessions SET trashed_at = now() - CASE title WHEN 'a' THEN 31 WHEN 'b' THEN 3 WHEN 'c' THEN 2 ELSE 1 END * interval '1 day'
       WHERE user_id = $1 AND trashed_at IS NOT NULL`,
      [user],
    );
    expect(titles(await walk(user, { trashed: true }, 1))).toEqual(['d', 'c', 'b']);
    expect(titles(await walk(user, {}))).toEqual(['f', 'e']);
    expect(await code(fx.chat.sessions.restore(user, by.a as string))).toBe('not_found');
    expect(await count(fx.db, 'chat_sessions', 'id = $1 AND trashed_at IS NOT NULL', [by.a])).toBe(1);
    // Another user cannot restore or delete it.
    const other = await makeUser(fx.db);
    expect(await code(fx.chat.sessions.restore(other, by.b as string))).toBe('not_found');
    expect(await code(fx.chat.sessions.delete(other, by.b as string))).toBe('not_found');
    expect(await code(fx.chat.sessions.trash(other, by.e as string))).toBe('not_found');
    expect((await fx.chat.sessions.list(other, { trashed: true })).data).toEqual([]);
    // A longer retention (a second createChatDb over the same database) lists and restores it.
    const longer = createChatDb(fx.db, { trashRetentionDays: 60, logger: () => undefined });
    expect(titles((await longer.sessions.list(user, { trashed: true })).data)).toEqual(['d', 'c', 'b', 'a']);
    expect((await longer.sessions.restore(user, by.a as string)).trashedAt).toBeNull();
    // delete is permanent, trashed or not.
    await fx.chat.sessions.delete(user, by.b as string);
    expect(await count(fx.db, 'chat_sessions', 'id = $1', [by.b])).toBe(0);
  });

  it('trashRetentionDays is checked: 1..36500', async () => {
    for (const trashRetentionDays of [0, -1, 1.5, 36_501, '30'])
      expect(() => createChatDb(fx.db, { trashRetentionDays: trashRetentionDays as number })).toThrow(
        /trashRetentionDays/,
      );
    expect(createChatDb(fx.db).trashRetentionDays).toBe(30);
    expect(createChatDb(fx.db, { trashRetentionDays: 7 }).trashRetentionDays).toBe(7);
  });

  it('the export keeps trashed sessions, flagged with trashedAt; deleting the user removes them', async () => {
    const { user, by } = await sessions(2);
    await fx.chat.sessions.trash(user, by.a as string);
    const exp = await fx.chat.users.export(user);
    const a = exp.sessions.find((c) => c.session.id === by.a);
    expect(a?.session.trashedAt).toBeInstanceOf(Date);
    expect(exp.sessions.find((c) => c.session.id === by.b)?.session.trashedAt).toBeNull();
    await fx.chat.users.delete(user);
    expect(await count(fx.db, 'chat_sessions', 'user_id = $1', [user])).toBe(0);
  });
});
