import { describe, expect, it } from 'vitest';
import { createChatDb } from '../../src/store/chatdb.js';
import { freshDatabase } from '../helpers/db.js';
import { count, errorCode, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const code = errorCode;
/** A user, a session with a question `q` and an answer `a` (citing d1, d2), and their ids. */
const setup = async () => {
  const user = await makeUser(fx.db);
  const s = await fx.chat.sessions.create(user);
  await fx.chat.messages.saveMany(user, s.id, [
    { id: `q-${s.id}`, role: 'user', parts: [{ type: 'text', text: 'How?' }] },
    { id: `a-${s.id}`, role: 'assistant', parts: [{ type: 'text', text: 'Like this.' }] },
  ]);
  return { user, sid: s.id, q: `q-${s.id}`, a: `a-${s.id}` };
};
/** Every feedback row, as text: equal before and after = nothing changed. */
const snapshot = async () =>
  (
    await fx.db.query<{ t: string }>(`SELECT coalesce(string_agg(f::text, ';' ORDER BY f::text), '') AS t
    FROM message_feedback f`)
  ).rows[0]?.t;

describe('feedback', () => {
  it('sets, changes, reads, lists and removes a rating of an answer', async () => {
    const { user, sid, a } = await setup();
    expect(await fx.chat.feedback.get(user, sid, a)).toBeNull();
    const first = await fx.chat.feedback.set(user, sid, a, {
      rating: 'up',
      tags: ['clear', 'clear', 'short'],
    });
    expect(first).toMatchObject({
      messageId: a,
      sessionId: sid,
      rating: 'up',
      comment: null,
      tags: ['clear', 'short'],
    });
    const changed = await fx.chat.feedback.set(user, sid, a, {
      rating: 'down',
      comment: 'wrong version 😀',
      tags: ['outdated'],
    });
    expect(changed).toMatchObject({ rating: 'down', comment: 'wrong version 😀', tags: ['outdated'] });
    expect(changed.createdAt).toEqual(first.createdAt);
    expect(changed.updatedAt.getTime()).toBeGreaterThanOrEqual(first.updatedAt.getTime());
    expect(await count(fx.db, 'message_feedback', 'user_id = $1', [user])).toBe(1);
    expect(await fx.chat.feedback.get(user, sid, a)).toEqual(changed);
    expect(await fx.chat.feedback.list(user, sid)).toEqual([changed]);
    // Setting again without comment and tags clears them (the rating is replaced as a whole).
    expect(await fx.chat.feedback.set(user, sid, a, { rating: 'down' })).toMatchObject({
      comment: null,
      tags: [],
    });
    expect(await fx.chat.feedback.remove(user, sid, a)).toBe(true);
    expect(await fx.chat.feedback.remove(user, sid, a)).toBe(false);
    expect(await fx.chat.feedback.get(user, sid, a)).toBeNull();
    expect(await fx.chat.feedback.list(user, sid)).toEqual([]);
  });

  it("only an answer of the caller's own session: a user message is invalid_input, another user's not_found", async () => {
    const mine = await setup();
    const theirs = await setup();
    await fx.chat.feedback.set(theirs.user, theirs.sid, theirs.a, { rating: 'up', comment: 'theirs' });
    const before = await snapshot();
    expect(await code(fx.chat.feedback.set(mine.user, mine.sid, mine.q, { rating: 'up' }))).toBe(
      'invalid_input',
    );
    expect(await code(fx.chat.feedback.remove(mine.user, mine.sid, mine.q))).toBe('invalid_input');
    for (const [sid, mid] of [
      [theirs.sid, theirs.a], // their session
      [mine.sid, theirs.a], // their message named from my session
      [mine.sid, 'no-such-message'],
      ['00000000-0000-4000-8000-000000000000', mine.a],
      ['not-a-uuid', mine.a],
    ]) {
      expect(
        await code(fx.chat.feedback.set(mine.user, sid as string, mid as string, { rating: 'down' })),
      ).toBe('not_found');
      expect(await code(fx.chat.feedback.remove(mine.user, sid as string, mid as string))).toBe('not_found');
      expect(await code(fx.chat.feedback.get(mine.user, sid as string, mid as string))).toBe('not_found');
    }
    expect(await code(fx.chat.feedback.list(mine.user, theirs.sid))).toBe('not_found');
    expect(await snapshot()).toBe(before);
  });

  it('rejects bad input with invalid_input and changes nothing', async () => {
    const { user, sid, a } = await setup();
    await fx.chat.feedback.set(user, sid, a, { rating: 'up', comment: 'fine', tags: ['ok'] });
    const before = await snapshot();
    const bad: unknown[] = [
      { rating: 'meh' },
      { rating: 'UP' },
      {},
      null,
      'up',
      { rating: 'down', comment: 'x'.repeat(2001) },
      { rating: 'down', comment: '😀'.repeat(2001) },
      { rating: 'down', comment: 'a\u0000b' },
      { rating: 'down', comment: '\ud800' },
      { rating: 'down', comment: 5 },
      { rating: 'down', tags: ['a\u0000'] },
      { rating: 'down', tags: [''] },
      { rating: 'down', tags: ['x'.repeat(51)] },
      { rating: 'down', tags: Array.from({ length: 11 }, (_, i) => `t${i}`) },
      { rating: 'down', tags: 'one' },
      { rating: 'down', tags: [1] },
      { rating: 'down', note: 'unknown key' },
    ];
    for (const input of bad)
      expect(await code(fx.chat.feedback.set(user, sid, a, input as never)), JSON.stringify(input)).toBe(
        'invalid_input',
      );
    expect(await snapshot()).toBe(before);
    // The limits themselves are accepted (code points, as Postgres counts them).
    const max = {
      rating: 'down' as const,
      comment: '😀'.repeat(2000),
      tags: Array.from({ length: 10 }, (_, i) => `${i}${'😀'.repeat(49)}`),
    };
    expect(await fx.chat.feedback.set(user, sid, a, max)).toMatchObject(max);
  });

  it('deleting the message, the session or the user deletes the feedback; the export lists it', async () => {
    const one = await setup();
    await fx.chat.feedback.set(one.user, one.sid, one.a, { rating: 'down', comment: 'bad', tags: ['t'] });
    const ex = await fx.chat.users.export(one.user);
    expect(ex.feedback).toEqual([
      expect.objectContaining({ messageId: one.a, sessionId: one.sid, comment: 'bad' }),
    ]);
    expect(JSON.parse(JSON.stringify(ex)).feedback[0].tags).toEqual(['t']);
    // The answer is the session's leaf: move the leaf to the question first, as a branch switch would.
    await fx.chat.messages.switchBranch(one.user, one.sid, one.q);
    await fx.db.query('DELETE FROM messages WHERE client_id = $1', [one.a]);
    expect(await count(fx.db, 'message_feedback', 'user_id = $1', [one.user])).toBe(0);

    const two = await setup();
    await fx.chat.feedback.set(two.user, two.sid, two.a, { rating: 'up' });
    await fx.chat.sessions.delete(two.user, two.sid);
    expect(await count(fx.db, 'message_feedback', 'user_id = $1', [two.user])).toBe(0);

    const three = await setup();
    await fx.chat.feedback.set(three.user, three.sid, three.a, { rating: 'up' });
    const other = await setup();
    await fx.chat.feedback.set(other.user, other.sid, other.a, { rating: 'up' });
    await fx.chat.users.delete(three.user);
    expect(await count(fx.db, 'message_feedback', 'user_id = $1', [three.user])).toBe(0);
    expect(await count(fx.db, 'message_feedback', 'user_id = $1', [other.user])).toBe(1);
    expect((await fx.chat.users.export(other.user)).feedback).toHaveLength(1);
  });
});

describe('feedback reports', () => {
  it('per day, the worst-rated answers and the documents their answers cite', async () => {
    const user = await makeUser(fx.db);
    const s = await fx.chat.sessions.create(user);
    const answer = async (content: string, docs: string[]) =>
      (
        await fx.chat.messages.append(user, s.id, {
          role: 'assistant',
          content,
          citations: docs.map((documentId) => ({ documentId })),
        })
      ).message.id;
    const a1 = await answer('first answer', ['rep-doc-bad', 'rep-doc-ok']);
    const a2 = await answer('second answer', ['rep-doc-bad', 'rep-doc-bad2']);
    const a3 = await answer('third answer', ['rep-doc-ok']);
    await fx.chat.feedback.set(user, s.id, a1, { rating: 'down', comment: 'stale', tags: ['outdated'] });
    await fx.chat.feedback.set(user, s.id, a2, { rating: 'down' });
    await fx.chat.feedback.set(user, s.id, a3, { rating: 'up' });
    // Three days ago (the trigger would set now()).
    await fx.db.exec('ALTER TABLE message_feedback DISABLE TRIGGER message_feedback_touch_updated_at');
    await fx.db.query(
      `UPDATE message_feedback SET updated_at = now() - interval '3 days' WHERE message_id =
      (SELECT id FROM messages WHERE client_id = $1)`,
      [a1],
    );
    await fx.db.exec('ALTER TABLE message_feedback ENABLE TRIGGER message_feedback_touch_updated_at');
    const today = new Date().toISOString().slice(0, 10);
    const days = await fx.chat.queries.feedbackPerDay({ since: new Date(Date.now() - 5 * 86_400_000) });
    expect(days.at(-1)).toMatchObject({ day: today });
    expect(days.reduce((n, d) => n + d.down, 0)).toBeGreaterThanOrEqual(2);
    const worst = await fx.chat.queries.worstRatedAnswers({ since: new Date(Date.now() - 5 * 86_400_000) });
    const mine = worst.filter((w) => w.sessionId === s.id);
    expect(mine.map((w) => [w.messageId, w.excerpt, w.comment, w.tags])).toEqual([
      [a2, 'second answer', null, []],
      [a1, 'first answer', 'stale', ['outdated']],
    ]);
    const docs = (await fx.chat.queries.downRatedDocuments()).filter((d) => d.documentId.startsWith('rep-'));
    expect(docs.map((d) => [d.documentId, d.answers])).toEqual([
      ['rep-doc-bad', 2],
      ['rep-doc-bad2', 1],
      ['rep-doc-ok', 1],
    ]);
    const recent = await fx.chat.queries.downRatedDocuments({ since: new Date(Date.now() - 86_400_000) });
    expect(recent.filter((d) => d.documentId.startsWith('rep-')).map((d) => d.documentId)).toEqual([
      'rep-doc-bad',
      'rep-doc-bad2',
    ]);
    for (const bad of [
      fx.chat.queries.worstRatedAnswers({ limit: 0 }),
      fx.chat.queries.downRatedDocuments({ since: new Date('nope') }),
      fx.chat.queries.feedbackPerDay({ limit: 3 } as never),
    ])
      expect(await code(bad)).toBe('invalid_input');
  });
});

describe('feedback in the chat scope (external user ids)', () => {
  it('works with a text user id', async () => {
    const s = await freshDatabase('chat');
    try {
      const chat = createChatDb(s.db, { logger: () => undefined });
      const session = await chat.sessions.create('auth0|abc');
      await chat.messages.saveMany('auth0|abc', session.id, [
        { id: 'q', role: 'user', parts: [{ type: 'text', text: 'Q' }] },
        { id: 'a', role: 'assistant', parts: [{ type: 'text', text: 'A' }] },
      ]);
      expect(await chat.feedback.set('auth0|abc', session.id, 'a', { rating: 'down' })).toMatchObject({
        rating: 'down',
      });
      expect(await code(chat.feedback.set('auth0|other', session.id, 'a', { rating: 'up' }))).toBe(
        'not_found',
      );
      expect((await chat.queries.worstRatedAnswers()).map((r) => [r.userId, r.messageId])).toEqual([
        ['auth0|abc', 'a'],
      ]);
    } finally {
      await s.drop();
    }
  });
});
