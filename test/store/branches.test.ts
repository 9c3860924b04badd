import { describe, expect, it } from 'vitest';
import type { UpsertInput } from '../../src/store/types.js';
import { errorCode, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const code = errorCode;
const newSession = async () => {
  const user = await makeUser(fx.db);
  const s = await fx.chat.sessions.create(user);
  return { user, id: s.id };
};
const text = (id: string, role: 'user' | 'assistant', t: string): UpsertInput => ({
  id,
  role,
  parts: [{ type: 'text', text: t }],
});
const pathIds = async (user: string, session: string) =>
  (await fx.chat.messages.list(user, session, { limit: 1000 })).data.map((m) => m.id);

describe('branches', () => {
  it('a regenerate (the history without the old answer, plus a new one) is a sibling; nothing is deleted', async () => {
    const { user, id } = await newSession();
    const history = [text('u1', 'user', 'Q1'), text('a1', 'assistant', 'A1'), text('u2', 'user', 'Q2')];
    await fx.chat.messages.saveMany(user, id, [...history, text('a2', 'assistant', 'A2')]);
    await fx.chat.messages.saveMany(user, id, [...history, text('a2b', 'assistant', 'A2, again')]);
    expect(await pathIds(user, id)).toEqual(['u1', 'a1', 'u2', 'a2b']);
    const sib = await fx.chat.messages.siblings(user, id, 'a2b');
    expect([sib.data.map((m) => m.id), sib.index]).toEqual([['a2', 'a2b'], 1]);
    expect((await fx.chat.sessions.get(user, id)).messageCount).toBe(5);

    // An edit of the first question (a new id, no parent): another root.
    await fx.chat.messages.saveMany(user, id, [
      text('u1e', 'user', 'Q1, edited'),
      text('a1e', 'assistant', 'A'),
    ]);
    expect(await pathIds(user, id)).toEqual(['u1e', 'a1e']);
    const roots = await fx.chat.messages.siblings(user, id, 'u1');
    expect([roots.data.map((m) => m.id), roots.index]).toEqual([['u1', 'u1e'], 0]);

    // Switch back to the first branch: to u1 itself, or to the newest message under it.
    expect((await fx.chat.sessions.get(user, id)).leafMessageId).toBe('a1e');
    expect((await fx.chat.messages.switchBranch(user, id, 'u1')).id).toBe('u1');
    expect(await pathIds(user, id)).toEqual(['u1']);
    expect((await fx.chat.sessions.conversation(user, id)).session.leafMessageId).toBe('u1');
    expect((await fx.chat.messages.switchBranch(user, id, 'u1', { descend: true })).id).toBe('a2b');
    expect(await pathIds(user, id)).toEqual(['u1', 'a1', 'u2', 'a2b']);
    expect((await fx.chat.sessions.conversation(user, id)).messages.map((m) => m.id)).toEqual([
      'u1',
      'a1',
      'u2',
      'a2b',
    ]);
    // Saving the same list twice changes nothing (no seq, no new message).
    await fx.chat.messages.saveMany(user, id, [...history, text('a2b', 'assistant', 'A2, again')]);
    expect((await fx.chat.sessions.get(user, id)).messageCount).toBe(7);
  });

  it('append builds on the current leaf: after a switch, the new message continues that branch', async () => {
    const { user, id } = await newSession();
    const a = await fx.chat.messages.append(user, id, { role: 'user', content: 'one' });
    const b = await fx.chat.messages.append(user, id, { role: 'assistant', content: 'two' });
    expect(b.message).toMatchObject({
      parentId: a.message.id,
      parts: [{ type: 'text', text: 'two' }],
      status: 'complete',
    });
    await fx.chat.messages.switchBranch(user, id, a.message.id);
    const c = await fx.chat.messages.append(user, id, { role: 'assistant', content: 'two, other' });
    expect(c.message.parentId).toBe(a.message.id);
    expect((await fx.chat.sessions.list(user)).data[0]?.leafMessageId).toBe(c.message.id);
    expect((await fx.chat.messages.last(user, id, 10)).map((m) => m.content)).toEqual(['one', 'two, other']);
    expect((await fx.chat.messages.siblings(user, id, b.message.id)).data.map((m) => m.seq)).toEqual([2, 3]);
  });

  it('keyset pages along the active path skip the other branches', async () => {
    const { user, id } = await newSession();
    const main = Array.from({ length: 30 }, (_, i) =>
      text(`m${i + 1}`, i % 2 ? 'assistant' : 'user', `m${i + 1}`),
    );
    await fx.chat.messages.saveMany(user, id, main.slice(0, 10));
    await fx.chat.messages.saveMany(user, id, [text('x1', 'user', 'x1'), text('x2', 'assistant', 'x2')], {
      parentId: 'm5',
    });
    await fx.chat.messages.saveMany(user, id, main);
    const ids = main.map((m) => m.id);
    expect(await pathIds(user, id)).toEqual(ids);
    const p1 = await fx.chat.messages.activePath(user, id, { limit: 8 });
    expect([p1.data.map((m) => m.id), p1.hasMore]).toEqual([ids.slice(0, 8), true]);
    const lastSeq = p1.data.at(-1)?.seq as number;
    const p2 = await fx.chat.messages.activePath(user, id, { limit: 8, afterSeq: lastSeq });
    expect(p2.data.map((m) => m.id)).toEqual(ids.slice(8, 16));
    const back = await fx.chat.messages.activePath(user, id, {
      limit: 5,
      beforeSeq: p2.data[0]?.seq as number,
    });
    expect([back.data.map((m) => m.id), back.hasMore]).toEqual([ids.slice(3, 8), true]);
    // seq grows along the path even though x1, x2 were written in between.
    const seqs = (await fx.chat.messages.list(user, id, { limit: 100 })).data.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('a parent cycle cannot be made: a stored message keeps its parent; a conflict, nothing changed', async () => {
    const { user, id } = await newSession();
    // r is a root, q its child: giving r the parent q (or itself) would close a cycle.
    await fx.chat.messages.saveMany(user, id, [text('r', 'user', 'R'), text('q', 'assistant', 'Q')]);
    const rows = async () => ({
      messages: (await fx.db.query('SELECT * FROM messages WHERE session_id = $1 ORDER BY seq', [id])).rows,
      session: (await fx.db.query('SELECT * FROM chat_sessions WHERE id = $1', [id])).rows,
    });
    const before = await rows();
    expect(await code(fx.chat.messages.upsert(user, id, { ...text('r', 'user', 'R'), parentId: 'q' }))).toBe(
      'conflict',
    );
    expect(await code(fx.chat.messages.upsert(user, id, { ...text('r', 'user', 'R2'), parentId: 'r' }))).toBe(
      'conflict',
    );
    // As a path: q then r makes q the parent of r; a new message under q, then r, the same.
    const cycles: [UpsertInput[], string | undefined][] = [
      [[text('q', 'assistant', 'Q'), text('r', 'user', 'R')], undefined],
      [[text('r', 'user', 'R')], 'q'],
      [[text('n', 'user', 'N'), text('r', 'user', 'R')], 'q'],
    ];
    for (const [list, parentId] of cycles)
      expect(await code(fx.chat.messages.saveMany(user, id, list, parentId ? { parentId } : {}))).toBe(
        'conflict',
      );
    expect(await rows()).toEqual(before);
    expect(await pathIds(user, id)).toEqual(['r', 'q']);
  });

  it('switching to a message of another session or user is not_found and changes nothing', async () => {
    const a = await newSession();
    const b = await newSession();
    await fx.chat.messages.saveMany(a.user, a.id, [text('p', 'user', 'p'), text('q', 'assistant', 'q')]);
    await fx.chat.messages.saveMany(b.user, b.id, [text('r', 'user', 'r')]);
    expect(await code(fx.chat.messages.switchBranch(a.user, a.id, 'r'))).toBe('not_found');
    expect(await code(fx.chat.messages.switchBranch(b.user, a.id, 'p'))).toBe('not_found');
    expect(await code(fx.chat.messages.siblings(b.user, a.id, 'p'))).toBe('not_found');
    expect(await code(fx.chat.messages.switchBranch(a.user, a.id, 'p', { descend: 'yes' } as never))).toBe(
      'invalid_input',
    );
    expect(await pathIds(a.user, a.id)).toEqual(['p', 'q']);
  });
});

describe('streaming lifecycle', () => {
  it('checkpoints as streaming, then the final save; a stale streaming reply is marked aborted', async () => {
    const { user, id } = await newSession();
    await fx.chat.messages.upsert(user, id, text('u', 'user', 'Tell me'));
    const s1 = await fx.chat.sessions.get(user, id);
    expect(s1.activeStreamId).toBeNull();
    expect((await fx.chat.messages.setActiveStream(user, id, 'stream-1')).activeStreamId).toBe('stream-1');
    expect((await fx.chat.sessions.get(user, id)).activeStreamId).toBe('stream-1');
    await fx.chat.messages.upsert(user, id, { ...text('r', 'assistant', 'Once'), status: 'streaming' });
    await fx.chat.messages.upsert(user, id, { ...text('r', 'assistant', 'Once upon'), status: 'streaming' });
    const other = await newSession();
    await fx.chat.messages.upsert(other.user, other.id, {
      ...text('r2', 'assistant', 'fresh'),
      status: 'streaming',
    });
    // The process dies here. The reply is readable as it was...
    expect((await fx.chat.messages.last(user, id, 1))[0]).toMatchObject({
      content: 'Once upon',
      status: 'streaming',
    });
    // ... and a sweep marks it aborted once it is older than the given age, not the fresh one.
    // Ten minutes pass (the updated_at trigger would stamp now(): replica mode skips it here).
    await fx.db.transaction(async (tx) => {
      await tx.exec('SET LOCAL session_replication_role = replica');
      await tx.query(`UPDATE messages SET updated_at = now() - interval '10 minutes' WHERE client_id = 'r'`);
    });
    expect(await fx.chat.messages.abortStale({ olderThanMs: 5 * 60_000 })).toBe(1);
    expect((await fx.chat.messages.last(user, id, 1))[0]?.status).toBe('aborted');
    expect((await fx.chat.messages.last(other.user, other.id, 1))[0]?.status).toBe('streaming');
    expect(await fx.chat.messages.abortStale({ olderThanMs: 5 * 60_000 })).toBe(0);
    expect((await fx.chat.messages.setActiveStream(user, id, null)).activeStreamId).toBeNull();
    expect(await code(fx.chat.messages.setActiveStream(user, id, ''))).toBe('invalid_input');
    expect(await code(fx.chat.messages.setActiveStream(other.user, id, 'x'))).toBe('not_found');
    expect(await code(fx.chat.messages.abortStale({ olderThanMs: -1 }))).toBe('invalid_input');
    expect(await code(fx.chat.messages.abortStale({ olderThanMs: Number.MAX_SAFE_INTEGER }))).toBe(
      'invalid_input',
    );
  });
});
