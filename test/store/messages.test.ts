import { uuidv7 } from 'uuidv7';
import { describe, expect, it } from 'vitest';
import { isChatDbError } from '../../src/errors.js';
import { APPEND_SQL } from '../../src/store/append.js';
import type { MessageInput } from '../../src/store/types.js';
import { onRealPostgres } from '../helpers/db.js';
import { count, errorCode, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const code = errorCode;
const newSession = async () => {
  const user = await makeUser(fx.db);
  const s = await fx.chat.sessions.create(user);
  return { user, id: s.id };
};
/** Everything about a session that an append could change. */
const snapshot = async (sessionId: string) => ({
  session: (await fx.db.query('SELECT * FROM chat_sessions WHERE id = $1', [sessionId])).rows,
  messages: await count(fx.db, 'messages', 'session_id = $1', [sessionId]),
  citations: await count(
    fx.db,
    'message_citations c JOIN messages m ON m.id = c.message_id',
    'm.session_id = $1',
    [sessionId],
  ),
});

describe('messages.append', () => {
  it('appends with seq from 1, citations and counters', async () => {
    const { user, id } = await newSession();
    const a = await fx.chat.messages.append(user, id, {
      role: 'user',
      content: 'hello',
      selectedText: 'sel',
    });
    expect(a.created).toBe(true);
    expect(a.message).toMatchObject({
      seq: 1,
      role: 'user',
      content: 'hello',
      selectedText: 'sel',
      citations: [],
    });
    expect(a.message.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/); // UUIDv7
    const b = await fx.chat.messages.append(user, id, {
      role: 'assistant',
      content: 'answer',
      metadata: { model: 'm' },
      citations: [
        { documentId: 'doc-a', chunkId: 'c1', score: 0.5, excerpt: 'ex', metadata: { page: 3 } },
        { documentId: 'doc-b', citationIndex: 7 },
      ],
    });
    expect(b.message.seq).toBe(2);
    expect(b.message.metadata).toEqual({ model: 'm' });
    expect(b.message.citations).toEqual([
      {
        citationIndex: 1,
        documentId: 'doc-a',
        chunkId: 'c1',
        score: 0.5,
        excerpt: 'ex',
        metadata: { page: 3 },
        createdAt: b.message.createdAt,
      },
      {
        citationIndex: 7,
        documentId: 'doc-b',
        chunkId: null,
        score: null,
        excerpt: null,
        metadata: {},
        createdAt: b.message.createdAt,
      },
    ]);
    const after = await fx.chat.sessions.get(user, id);
    expect(after.messageCount).toBe(2);
    expect(after.lastMessageAt?.getTime()).toBe(b.message.createdAt.getTime());
    expect((await fx.chat.messages.list(user, id)).data).toEqual([a.message, b.message]);
  });

  it('last_message_at never moves backwards: an append older than the stored time keeps it', async () => {
    const { user, id } = await newSession();
    // As if a later-started append had committed first: the stored time is ahead of this one's now().
    await fx.db.query("UPDATE chat_sessions SET last_message_at = now() + interval '1 hour' WHERE id = $1", [
      id,
    ]);
    const ahead = (await fx.chat.sessions.get(user, id)).lastMessageAt;
    const r = await fx.chat.messages.append(user, id, { role: 'user', content: 'late' });
    const after = await fx.chat.sessions.get(user, id);
    expect(r.message.createdAt.getTime()).toBeLessThan(ahead?.getTime() ?? 0);
    expect(after.lastMessageAt).toEqual(ahead);
    expect(after.messageCount).toBe(1);
  });

  it.runIf(onRealPostgres)(
    'an append whose transaction began first but locked second keeps the later time',
    async () => {
      const { user, id } = await newSession();
      await fx.db.transaction(async (tx) => {
        await tx.query('SELECT now()'); // this transaction's now() is fixed from here
        await new Promise((done) => setTimeout(done, 20));
        await fx.chat.messages.append(user, id, { role: 'user', content: 'committed first' });
        await tx.query(APPEND_SQL, [
          id,
          user,
          uuidv7(),
          'user',
          'locked second',
          null,
          '{}',
          null,
          null,
          '[]',
          null,
          null,
          null,
          null,
          0,
        ]);
      });
      const msgs = (await fx.chat.messages.list(user, id)).data;
      expect(msgs.map((m) => m.content)).toEqual(['committed first', 'locked second']);
      const [first, second] = msgs;
      expect(second?.createdAt.getTime()).toBeLessThan(first?.createdAt.getTime() ?? 0);
      expect((await fx.chat.sessions.get(user, id)).lastMessageAt).toEqual(first?.createdAt);
    },
  );

  it('50 concurrent appends to one session: seq exactly 1..50, message_count 50', async () => {
    const { user, id } = await newSession();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fx.chat.messages.append(user, id, {
          role: 'user',
          content: `m${i}`,
          citations: [{ documentId: `d${i}` }],
        }),
      ),
    );
    const seqs = results.map((r) => r.message.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect((await fx.chat.sessions.get(user, id)).messageCount).toBe(50);
    expect(await snapshot(id)).toMatchObject({ messages: 50, citations: 50 });
  });

  it("another user's session, a deleted one or a malformed id: not_found and nothing changes", async () => {
    const { user, id } = await newSession();
    await fx.chat.messages.append(user, id, { role: 'user', content: 'mine' });
    const intruder = await makeUser(fx.db);
    const before = await snapshot(id);
    const msg = {
      role: 'user' as const,
      content: 'x',
      citations: [{ documentId: 'd' }],
      idempotencyKey: 'k',
    };
    expect(await code(fx.chat.messages.append(intruder, id, msg))).toBe('not_found');
    expect(await code(fx.chat.messages.append('not-a-uuid', id, msg))).toBe('not_found');
    expect(await code(fx.chat.messages.append(user, 'not-a-uuid', msg))).toBe('not_found');
    expect(await code(fx.chat.messages.list(intruder, id))).toBe('not_found');
    expect(await snapshot(id)).toEqual(before);

    const gone = await fx.chat.sessions.create(user);
    await fx.chat.sessions.delete(user, gone.id);
    expect(await code(fx.chat.messages.append(user, gone.id, msg))).toBe('not_found');
    expect(await count(fx.db, 'messages', 'session_id = $1', [gone.id])).toBe(0);
  });

  it('text edge cases: emoji, RTL, 1 MB stored exactly; NUL and lone surrogates rejected', async () => {
    const { user, id } = await newSession();
    const samples = [
      'emoji 👩🏽‍💻🚀 and flags 🇯🇵',
      'مرحبا بالعالم — عربى',
      'שלום עולם, mixed עם English',
      'combining: e\u0301 a\u0308 \u0915\u094d\u0937 and ZWJ 👨\u200d👩\u200d👧',
      '\u202Eright-to-left override\u202C',
      'x'.repeat(1_000_000),
      `${'naïve café 😀 '.repeat(70_000)}end`,
    ];
    for (const content of samples) {
      const r = await fx.chat.messages.append(user, id, {
        role: 'user',
        content,
        selectedText: content.slice(0, 50),
      });
      const [back] = (await fx.chat.messages.list(user, id, { afterSeq: r.message.seq - 1, limit: 1 })).data;
      expect(back?.content === content).toBe(true);
      expect(back?.selectedText).toBe(content.slice(0, 50));
    }
    const before = await snapshot(id);
    for (const bad of [
      { role: 'user', content: 'a\u0000b' },
      { role: 'user', content: 'lone \ud800 high' },
      { role: 'user', content: 'lone \udc00 low' },
      { role: 'user', content: 'ok', selectedText: '\u0000' },
      { role: 'user', content: 'ok', metadata: { k: 'v\u0000' } },
      { role: 'user', content: 'ok', metadata: { 'k\u0000': 1 } },
      { role: 'user', content: 'ok', citations: [{ documentId: 'd\u0000' }] },
      { role: 'user', content: 'ok', citations: [{ documentId: 'd', excerpt: '\ud83d' }] },
      { role: 'admin', content: 'ok' },
      { role: 'user', content: 42 },
      { role: 'user', content: 'ok', metadata: [1] },
      { role: 'user', content: 'ok', idempotencyKey: 'has space' },
    ])
      expect(await code(fx.chat.messages.append(user, id, bad as unknown as MessageInput))).toBe(
        'invalid_input',
      );
    expect(await snapshot(id)).toEqual(before);
  });

  it('empty content: a user message must say something; assistant, tool and system may be empty', async () => {
    const { user, id } = await newSession();
    for (const content of ['', ' ', '\n\t ', '\u00a0\u3000'])
      expect(await code(fx.chat.messages.append(user, id, { role: 'user', content }))).toBe('invalid_input');
    expect(await snapshot(id)).toMatchObject({ messages: 0 });
    const answer = await fx.chat.messages.append(user, id, {
      role: 'assistant',
      content: '',
      metadata: { tool_calls: [{ name: 'search' }] },
      citations: [{ documentId: 'doc' }],
    });
    expect(answer.message).toMatchObject({ content: '', citations: [{ documentId: 'doc' }] });
    for (const role of ['tool', 'system'] as const)
      expect((await fx.chat.messages.append(user, id, { role, content: '' })).message.content).toBe('');
    expect((await fx.chat.messages.append(user, id, { role: 'user', content: ' ok ' })).message.content).toBe(
      ' ok ',
    );
  });

  it('citation rules are checked before SQL: duplicates, score range, count', async () => {
    const { user, id } = await newSession();
    const cases = [
      [
        { documentId: 'a', citationIndex: 2 },
        { documentId: 'b', citationIndex: 2 },
      ],
      [{ documentId: 'a' }, { documentId: 'b', citationIndex: 1 }],
      [{ documentId: 'a', score: 2 }],
      [{ documentId: '' }],
      Array.from({ length: 101 }, (_, i) => ({ documentId: `d${i}` })),
    ];
    for (const citations of cases)
      expect(
        await code(fx.chat.messages.append(user, id, { role: 'assistant', content: 'x', citations })),
      ).toBe('invalid_input');
    const ok = await fx.chat.messages.append(user, id, {
      role: 'assistant',
      content: 'x',
      citations: Array.from({ length: 100 }, (_, i) => ({ documentId: `d${i}`, score: i / 100 })),
    });
    expect(ok.message.seq).toBe(1);
    expect(ok.message.citations.map((c) => c.citationIndex)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
  });
});

describe('idempotency keys', () => {
  it('a retry returns the same message with created=false and writes nothing', async () => {
    const { user, id } = await newSession();
    const body = {
      role: 'assistant' as const,
      content: 'answer',
      metadata: { a: 1, b: [1, 2] },
      citations: [{ documentId: 'doc', score: 0.9 }],
      idempotencyKey: 'req-1',
    };
    const first = await fx.chat.messages.append(user, id, body);
    const before = await snapshot(id);
    // Same request, keys in another order: still the same request.
    const retry = await fx.chat.messages.append(user, id, { ...body, metadata: { b: [1, 2], a: 1 } });
    expect(retry).toEqual({ message: first.message, created: false });
    expect(await snapshot(id)).toEqual(before);
  });

  it('the same key with a different body is a conflict; keys are per session', async () => {
    const { user, id } = await newSession();
    await fx.chat.messages.append(user, id, { role: 'user', content: 'one', idempotencyKey: 'k' });
    const before = await snapshot(id);
    for (const other of [
      { role: 'user' as const, content: 'two' },
      { role: 'assistant' as const, content: 'one' },
      { role: 'user' as const, content: 'one', selectedText: 's' },
      { role: 'user' as const, content: 'one', metadata: { x: 1 } },
      { role: 'user' as const, content: 'one', citations: [{ documentId: 'd' }] },
    ])
      expect(await code(fx.chat.messages.append(user, id, { ...other, idempotencyKey: 'k' }))).toBe(
        'conflict',
      );
    expect(await snapshot(id)).toEqual(before);
    const other = await fx.chat.sessions.create(user);
    const r = await fx.chat.messages.append(user, other.id, {
      role: 'user',
      content: 'two',
      idempotencyKey: 'k',
    });
    expect(r.created).toBe(true);
  });

  it('concurrent appends with one key create one message; a different body in the race conflicts', async () => {
    const { user, id } = await newSession();
    const same = { role: 'user' as const, content: 'racing', idempotencyKey: 'race' };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => fx.chat.messages.append(user, id, same)),
    );
    expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await count(fx.db, 'messages', 'session_id = $1', [id])).toBe(1);

    const mixed = await Promise.allSettled([
      fx.chat.messages.append(user, id, { role: 'user', content: 'a', idempotencyKey: 'race2' }),
      fx.chat.messages.append(user, id, { role: 'user', content: 'b', idempotencyKey: 'race2' }),
    ]);
    expect(mixed.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = mixed.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(isChatDbError(rejected.reason, 'conflict')).toBe(true);
    expect((await fx.chat.sessions.get(user, id)).messageCount).toBe(2);
  });
});
