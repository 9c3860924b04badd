import { beforeAll, describe, expect, it } from 'vitest';
import { errorCode, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const code = errorCode;

describe('messages.list and last', () => {
  let user: string;
  let id: string;
  const seqs = (ms: { seq: number }[]) => ms.map((m) => m.seq);
  beforeAll(async () => {
    user = await makeUser(fx.db);
    id = (await fx.chat.sessions.create(user)).id;
    for (let i = 1; i <= 12; i++)
      await fx.chat.messages.append(user, id, {
        role: i % 2 ? 'user' : 'assistant',
        content: `message ${i}`,
        citations: i % 2 ? [] : [{ documentId: `doc-${i}` }, { documentId: 'shared' }],
      });
  });

  it('pages forward with after_seq, oldest first, has_more exact', async () => {
    const p1 = await fx.chat.messages.list(user, id, { limit: 5 });
    expect(seqs(p1.data)).toEqual([1, 2, 3, 4, 5]);
    expect(p1.hasMore).toBe(true);
    expect(p1.data[1]?.citations.map((c) => c.documentId)).toEqual(['doc-2', 'shared']);
    const p3 = await fx.chat.messages.list(user, id, { limit: 5, afterSeq: 10 });
    expect(seqs(p3.data)).toEqual([11, 12]);
    expect(p3.hasMore).toBe(false);
    const exact = await fx.chat.messages.list(user, id, { limit: 2, afterSeq: 10 });
    expect(exact.hasMore).toBe(false);
    expect(await fx.chat.messages.list(user, id, { afterSeq: 12 })).toEqual({ data: [], hasMore: false });
    expect(seqs((await fx.chat.messages.list(user, id)).data)).toHaveLength(12);
  });

  it('pages backward with before_seq: newest `limit` before it, still oldest first', async () => {
    const p = await fx.chat.messages.list(user, id, { limit: 5, beforeSeq: 13 });
    expect(seqs(p.data)).toEqual([8, 9, 10, 11, 12]);
    expect(p.hasMore).toBe(true);
    const q = await fx.chat.messages.list(user, id, { limit: 5, beforeSeq: 8 });
    expect(seqs(q.data)).toEqual([3, 4, 5, 6, 7]);
    expect(q.hasMore).toBe(true);
    const r = await fx.chat.messages.list(user, id, { limit: 5, beforeSeq: 3 });
    expect(seqs(r.data)).toEqual([1, 2]);
    expect(r.hasMore).toBe(false);
    const edge = await fx.chat.messages.list(user, id, { limit: 2, beforeSeq: 3 });
    expect(edge.hasMore).toBe(false);
    expect(await fx.chat.messages.list(user, id, { beforeSeq: 1 })).toEqual({ data: [], hasMore: false });
    const window = await fx.chat.messages.list(user, id, { afterSeq: 4, beforeSeq: 9, limit: 10 });
    expect(seqs(window.data)).toEqual([5, 6, 7, 8]);
  });

  it('last(n) returns the newest n, oldest first', async () => {
    expect(seqs(await fx.chat.messages.last(user, id, 3))).toEqual([10, 11, 12]);
    expect(seqs(await fx.chat.messages.last(user, id))).toHaveLength(12);
    expect((await fx.chat.messages.last(user, id, 1))[0]?.citations.map((c) => c.documentId)).toEqual([
      'doc-12',
      'shared',
    ]);
    const empty = await fx.chat.sessions.create(user);
    expect(await fx.chat.messages.last(user, empty.id, 5)).toEqual([]);
  });

  it('bad page options are invalid_input; other users get not_found', async () => {
    for (const o of [{ limit: 0 }, { limit: 1001 }, { afterSeq: -1 }, { beforeSeq: 0 }, { afterSeq: 1.5 }])
      expect(await code(fx.chat.messages.list(user, id, o))).toBe('invalid_input');
    expect(await code(fx.chat.messages.last(user, id, 0))).toBe('invalid_input');
    const other = await makeUser(fx.db);
    expect(await code(fx.chat.messages.last(other, id))).toBe('not_found');
    expect(await code(fx.chat.messages.list(user, 'not-a-uuid'))).toBe('not_found');
  });
});

describe('messages.search', () => {
  it("finds only the caller's messages, ranked, with citations", async () => {
    const alice = await makeUser(fx.db);
    const bob = await makeUser(fx.db);
    const sa = (await fx.chat.sessions.create(alice)).id;
    const sb = (await fx.chat.sessions.create(bob)).id;
    await fx.chat.messages.append(alice, sa, { role: 'user', content: 'How do I calibrate the robot arm?' });
    const best = await fx.chat.messages.append(alice, sa, {
      role: 'assistant',
      content:
        'Calibrate the arm: calibration of the robot arm needs the arm at rest. Calibrating twice helps.',
      citations: [{ documentId: 'manual' }],
    });
    await fx.chat.messages.append(alice, sa, { role: 'user', content: 'Unrelated question about sensors' });
    await fx.chat.messages.append(bob, sb, { role: 'user', content: 'calibrate my robot arm please' });

    const hits = await fx.chat.messages.search(alice, 'calibrate arm');
    expect(hits).toHaveLength(2);
    expect(hits[0]?.message.id).toBe(best.message.id);
    expect(hits[0]?.sessionId).toBe(sa);
    expect(hits[0]?.message.citations[0]?.documentId).toBe('manual');
    expect(hits[0]?.rank).toBeGreaterThanOrEqual(hits[1]?.rank ?? 0);
    expect(hits.every((h) => h.sessionId === sa)).toBe(true);

    expect(await fx.chat.messages.search(alice, '"robot arm" -twice')).toHaveLength(1);
    expect(await fx.chat.messages.search(alice, 'sensors OR nothing')).toHaveLength(1);
    expect(await fx.chat.messages.search(alice, 'calibrate', { limit: 1 })).toHaveLength(1);
    expect(await fx.chat.messages.search(bob, 'calibrate')).toHaveLength(1);
  });

  it('empty and stop-word-only queries return []; bad input is invalid_input', async () => {
    const u = await makeUser(fx.db);
    const s = (await fx.chat.sessions.create(u)).id;
    await fx.chat.messages.append(u, s, { role: 'user', content: 'the and of a' });
    expect(await fx.chat.messages.search(u, '')).toEqual([]);
    expect(await fx.chat.messages.search(u, '   ')).toEqual([]);
    expect(await fx.chat.messages.search(u, 'the and of')).toEqual([]);
    expect(await fx.chat.messages.search(u, '!!! ---')).toEqual([]);
    expect(await code(fx.chat.messages.search(u, 'a\u0000'))).toBe('invalid_input');
    expect(await code(fx.chat.messages.search(u, 'x'.repeat(1001)))).toBe('invalid_input');
    expect(await code(fx.chat.messages.search(u, 'x', { limit: 101 }))).toBe('invalid_input');
  });
});
