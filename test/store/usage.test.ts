import { describe, expect, it } from 'vitest';
import { errorCode, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const code = errorCode;
const setup = async () => {
  const user = await makeUser(fx.db);
  const s = await fx.chat.sessions.create(user);
  return { user, sid: s.id };
};
const totals = async (user: string, sid: string) => (await fx.chat.sessions.get(user, sid)).usage;
/** The messages and sessions tables, as text: equal before and after = nothing changed. */
const snapshot = async () =>
  (
    await fx.db.query<{ t: string }>(`SELECT
      (SELECT coalesce(string_agg(m::text, ';' ORDER BY m.id), '') FROM messages m) ||
      (SELECT coalesce(string_agg(s::text, ';' ORDER BY s.id), '') FROM chat_sessions s) AS t`)
  ).rows[0]?.t;
const text = (t: string) => [{ type: 'text', text: t }];

describe('usage', () => {
  it("append records a reply's model, tokens and latency; the session keeps the totals", async () => {
    const { user, sid } = await setup();
    const q = await fx.chat.messages.append(user, sid, { role: 'user', content: 'Hi' });
    expect(q.message.usage).toBeNull();
    const a = await fx.chat.messages.append(user, sid, {
      role: 'assistant',
      content: 'Hello',
      usage: { model: 'gpt-4o-mini-2024-07-18', inputTokens: 120, outputTokens: 8, latencyMs: 950 },
    });
    expect(a.message.usage).toEqual({
      model: 'gpt-4o-mini-2024-07-18',
      inputTokens: 120,
      outputTokens: 8,
      latencyMs: 950,
    });
    // Only some fields: the others are not recorded.
    const b = await fx.chat.messages.append(user, sid, {
      role: 'assistant',
      content: 'Again',
      usage: { outputTokens: 2 },
    });
    expect(b.message.usage).toEqual({ model: null, inputTokens: null, outputTokens: 2, latencyMs: null });
    const c = await fx.chat.messages.append(user, sid, { role: 'assistant', content: 'x', usage: null });
    expect(c.message.usage).toBeNull();
    expect(await totals(user, sid)).toEqual({ inputTokens: 120, outputTokens: 10 });
    // Every read shows it: list, the session list, the conversation, search.
    const listed = (await fx.chat.messages.list(user, sid)).data;
    expect(listed.map((m) => m.usage?.outputTokens ?? null)).toEqual([null, 8, 2, null]);
    expect((await fx.chat.sessions.list(user)).data[0]?.usage).toEqual({
      inputTokens: 120,
      outputTokens: 10,
    });
    const conv = await fx.chat.sessions.conversation(user, sid);
    expect(conv.session.usage).toEqual({ inputTokens: 120, outputTokens: 10 });
    expect(conv.messages[1]?.usage?.model).toBe('gpt-4o-mini-2024-07-18');
    expect((await fx.chat.messages.search(user, 'Hello'))[0]?.message.usage?.latencyMs).toBe(950);
  });

  it('an idempotent retry returns the first message; the same key with other usage is a conflict', async () => {
    const { user, sid } = await setup();
    const input = {
      role: 'assistant' as const,
      content: 'A',
      idempotencyKey: 'k1',
      usage: { model: 'm', inputTokens: 5, outputTokens: 6 },
    };
    const first = await fx.chat.messages.append(user, sid, input);
    const again = await fx.chat.messages.append(user, sid, input);
    expect([again.created, again.message.id, again.message.usage]).toEqual([
      false,
      first.message.id,
      first.message.usage,
    ]);
    expect(
      await code(
        fx.chat.messages.append(user, sid, { ...input, usage: { ...input.usage, outputTokens: 7 } }),
      ),
    ).toBe('conflict');
    expect(await totals(user, sid)).toEqual({ inputTokens: 5, outputTokens: 6 });
    // Without usage, and with usage: null, hash alike (nothing recorded either way).
    await fx.chat.messages.append(user, sid, { role: 'user', content: 'q', idempotencyKey: 'k2' });
    const nulled = await fx.chat.messages.append(user, sid, {
      role: 'user',
      content: 'q',
      idempotencyKey: 'k2',
      usage: null,
    });
    expect(nulled.created).toBe(false);
  });

  it('upsert: a new message adds to the totals, a replaced usage moves them by the difference', async () => {
    const { user, sid } = await setup();
    const put = (id: string, extra: object = {}) =>
      fx.chat.messages.upsert(user, sid, { id, role: 'assistant', parts: text(id) as never, ...extra });
    await put('a1', { usage: { model: 'm1', inputTokens: 100, outputTokens: 10, latencyMs: 5 } });
    await put('a2', { status: 'streaming' });
    expect(await totals(user, sid)).toEqual({ inputTokens: 100, outputTokens: 10 });
    // The final save of a streamed reply brings its usage.
    const done = await put('a2', {
      usage: { model: 'm2', inputTokens: 50, outputTokens: 20, latencyMs: 700 },
    });
    expect([done.created, done.message.status, done.message.usage?.model]).toEqual([false, 'complete', 'm2']);
    expect(await totals(user, sid)).toEqual({ inputTokens: 150, outputTokens: 30 });
    // Replaced: the difference. Omitted: kept. null: cleared.
    await put('a1', { usage: { model: 'm1', inputTokens: 90, outputTokens: 15 } });
    expect((await put('a1')).message.usage).toEqual({
      model: 'm1',
      inputTokens: 90,
      outputTokens: 15,
      latencyMs: null,
    });
    expect(await totals(user, sid)).toEqual({ inputTokens: 140, outputTokens: 35 });
    expect((await put('a2', { usage: null })).message.usage).toBeNull();
    expect(await totals(user, sid)).toEqual({ inputTokens: 90, outputTokens: 15 });
    // The same usage again writes nothing.
    const same = await put('a1', { usage: { model: 'm1', inputTokens: 90, outputTokens: 15 } });
    const before = await snapshot();
    const again = await put('a1', { usage: { model: 'm1', inputTokens: 90, outputTokens: 15 } });
    expect(again.message.updatedAt).toEqual(same.message.updatedAt);
    expect(await snapshot()).toBe(before);
    // A changed latency alone changes the message, not the totals.
    expect(
      (await put('a1', { usage: { model: 'm1', inputTokens: 90, outputTokens: 15, latencyMs: 3 } })).message
        .usage?.latencyMs,
    ).toBe(3);
    expect(await totals(user, sid)).toEqual({ inputTokens: 90, outputTokens: 15 });
    // The totals equal the sum over the messages (every branch).
    const sum = await fx.db.query<{ i: number; o: number }>(
      `SELECT coalesce(sum(input_tokens), 0)::int AS i, coalesce(sum(output_tokens), 0)::int AS o
       FROM messages WHERE session_id = $1`,
      [sid],
    );
    expect(await totals(user, sid)).toEqual({ inputTokens: sum.rows[0]?.i, outputTokens: sum.rows[0]?.o });
  });

  it("saveMany: messages saved again without usage keep theirs; the last one carries the new reply's", async () => {
    const { user, sid } = await setup();
    const q1 = { id: 'q1', role: 'user' as const, parts: text('Q1') as never };
    const a1 = { id: 'a1', role: 'assistant' as const, parts: text('A1') as never };
    await fx.chat.messages.saveMany(user, sid, [
      q1,
      { ...a1, usage: { model: 'm', inputTokens: 10, outputTokens: 3 } },
    ]);
    const q2 = { id: 'q2', role: 'user' as const, parts: text('Q2') as never };
    const a2 = { id: 'a2', role: 'assistant' as const, parts: text('A2') as never };
    const saved = await fx.chat.messages.saveMany(user, sid, [
      q1,
      a1,
      q2,
      { ...a2, usage: { model: 'm', inputTokens: 30, outputTokens: 4 } },
    ]);
    expect(saved.map((r) => r.message.usage?.inputTokens ?? null)).toEqual([null, 10, null, 30]);
    expect(await totals(user, sid)).toEqual({ inputTokens: 40, outputTokens: 7 });
    expect(
      await code(fx.chat.messages.saveMany(user, sid, [q1, { ...a1, usage: { inputTokens: -1 } }])),
    ).toBe('invalid_input');
  });

  it('bad usage is invalid_input and changes nothing, on append, upsert and saveMany', async () => {
    const { user, sid } = await setup();
    await fx.chat.messages.upsert(user, sid, {
      id: 'ok',
      role: 'assistant',
      parts: text('ok') as never,
      usage: { model: 'm', inputTokens: 1, outputTokens: 1 },
    });
    const bad: unknown[] = [
      { inputTokens: -1 },
      { outputTokens: 1.5 },
      { latencyMs: 2 ** 31 },
      { inputTokens: Number.MAX_SAFE_INTEGER + 2 },
      { inputTokens: Number.NaN },
      { outputTokens: Number.POSITIVE_INFINITY },
      { inputTokens: '12' },
      { latencyMs: 'NaN' },
      { model: 'gpt\u0000x' },
      { model: '' },
      { model: 'x'.repeat(201) },
      { model: '\ud800' },
      { model: 42 },
      { input_tokens: 3 },
      { tokens: 3 },
      'usage',
      [1],
      5,
    ];
    const before = await snapshot();
    for (const usage of bad) {
      expect(
        await code(
          fx.chat.messages.append(user, sid, { role: 'assistant', content: 'x', usage: usage as never }),
        ),
        JSON.stringify(usage),
      ).toBe('invalid_input');
      expect(
        await code(
          fx.chat.messages.upsert(user, sid, {
            id: 'ok',
            role: 'assistant',
            parts: text('new') as never,
            usage: usage as never,
          }),
        ),
      ).toBe('invalid_input');
      expect(
        await code(
          fx.chat.messages.saveMany(user, sid, [
            { id: 'n1', role: 'user', parts: text('q') as never },
            { id: 'n2', role: 'assistant', parts: text('a') as never, usage: usage as never },
          ]),
        ),
      ).toBe('invalid_input');
    }
    expect(await snapshot()).toBe(before);
    // The bounds themselves are accepted; a 200-character model (emoji count once) too.
    const edge = await fx.chat.messages.append(user, sid, {
      role: 'assistant',
      content: 'edge',
      usage: { model: '😀'.repeat(200), inputTokens: 0, outputTokens: 2 ** 31 - 1, latencyMs: 0 },
    });
    expect(edge.message.usage).toMatchObject({ inputTokens: 0, outputTokens: 2 ** 31 - 1, latencyMs: 0 });
    expect(await totals(user, sid)).toEqual({ inputTokens: 1, outputTokens: 2 ** 31 });
  });

  it("another user's session is not_found, with or without usage, and nothing changes", async () => {
    const a = await setup();
    const b = await setup();
    const before = await snapshot();
    const usage = { model: 'm', inputTokens: 1 };
    expect(
      await code(fx.chat.messages.append(b.user, a.sid, { role: 'assistant', content: 'x', usage })),
    ).toBe('not_found');
    expect(
      await code(
        fx.chat.messages.upsert(b.user, a.sid, {
          id: 'z',
          role: 'assistant',
          parts: text('z') as never,
          usage,
        }),
      ),
    ).toBe('not_found');
    expect(await snapshot()).toBe(before);
  });

  it("the user's export carries each message's usage and each session's totals", async () => {
    const { user, sid } = await setup();
    await fx.chat.messages.append(user, sid, {
      role: 'assistant',
      content: 'A',
      usage: { model: 'm', inputTokens: 3, outputTokens: 4, latencyMs: 5 },
    });
    const exp = await fx.chat.users.export(user);
    expect(exp.sessions[0]?.session.usage).toEqual({ inputTokens: 3, outputTokens: 4 });
    expect(exp.sessions[0]?.messages[0]?.usage).toEqual({
      model: 'm',
      inputTokens: 3,
      outputTokens: 4,
      latencyMs: 5,
    });
    expect(JSON.parse(JSON.stringify(exp)).sessions[0].messages[0].usage.model).toBe('m');
  });
});
