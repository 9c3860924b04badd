import { describe, expect, it } from 'vitest';
import { createChatDb } from '../../src/store/chatdb.js';
import { freshDatabase } from '../helpers/db.js';
import { errorCode, makeUser, useChatDb } from './helpers.js';

/** The usage reports (queries.usagePerDay, usageByModel), and usage in the chat scope. */
const fx = useChatDb();
const code = errorCode;
const setup = async () => {
  const user = await makeUser(fx.db);
  const s = await fx.chat.sessions.create(user);
  return { user, sid: s.id };
};

describe('usage reports', () => {
  it('reports: per user per UTC day and per model, in a window, of one user or all', async () => {
    const u1 = await setup();
    const u2 = await setup();
    await fx.chat.messages.append(u1.user, u1.sid, { role: 'user', content: 'q' });
    for (const [who, model, i, o, ms] of [
      [u1, 'model-a', 100, 10, 200],
      [u1, 'model-a', 300, 30, 400],
      [u1, 'model-b', 50, 5, null],
      [u2, 'model-b', 1000, 100, 1000],
      [u2, null, 7, 1, null],
    ] as const)
      await fx.chat.messages.append(who.user, who.sid, {
        role: 'assistant',
        content: 'a',
        usage: { model, inputTokens: i, outputTokens: o, latencyMs: ms },
      });
    // Another day for u1: one reply moved back two days.
    await fx.db.query(
      `UPDATE messages SET created_at = now() - interval '2 days'
       WHERE session_id = $1 AND model = 'model-b'`,
      [u1.sid],
    );
    const today = new Date().toISOString().slice(0, 10);
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const days = await fx.chat.queries.usagePerDay({ userId: u1.user });
    expect(days).toEqual([
      { day: twoDaysAgo, userId: u1.user, messages: 1, inputTokens: 50, outputTokens: 5, avgLatencyMs: null },
      { day: today, userId: u1.user, messages: 2, inputTokens: 400, outputTokens: 40, avgLatencyMs: 300 },
    ]);
    const since = new Date(Date.now() - 86_400_000);
    const recent = await fx.chat.queries.usagePerDay({ from: since });
    expect(recent.filter((d) => d.userId === u1.user || d.userId === u2.user)).toHaveLength(2);
    expect(recent.find((d) => d.userId === u2.user)).toMatchObject({ messages: 2, inputTokens: 1007 });
    expect(await fx.chat.queries.usagePerDay({ userId: u1.user, to: since })).toHaveLength(1);
    expect(await fx.chat.queries.usagePerDay({ userId: u1.user, from: new Date(), to: since })).toEqual([]);

    const models = await fx.chat.queries.usageByModel({ userId: u1.user });
    expect(models).toEqual([
      {
        model: 'model-a',
        messages: 2,
        inputTokens: 400,
        outputTokens: 40,
        avgLatencyMs: 300,
        p95LatencyMs: 390,
      },
      {
        model: 'model-b',
        messages: 1,
        inputTokens: 50,
        outputTokens: 5,
        avgLatencyMs: null,
        p95LatencyMs: null,
      },
    ]);
    const all = await fx.chat.queries.usageByModel({ from: since });
    const mine = all.filter((m) => m.model === 'model-a' || m.model === 'model-b' || m.model === null);
    expect(mine.map((m) => m.model)).toContain(null);
    expect(all.find((m) => m.model === 'model-b')?.inputTokens).toBeGreaterThanOrEqual(1000);

    for (const bad of [
      { from: 'yesterday' },
      { to: new Date(Number.NaN) },
      { userId: '' },
      { since: new Date() },
      { user_id: u1.user },
    ]) {
      expect(await code(fx.chat.queries.usagePerDay(bad as never)), JSON.stringify(bad)).toMatch(
        /invalid_input|not_found/,
      );
      expect(await code(fx.chat.queries.usageByModel(bad as never))).toMatch(/invalid_input|not_found/);
    }
  });

  it('works in the chat scope (external user ids)', async () => {
    const s = await freshDatabase('chat');
    try {
      const chat = createChatDb(s.db, { logger: () => undefined });
      const session = await chat.sessions.create('auth0|abc');
      await chat.messages.append('auth0|abc', session.id, {
        role: 'assistant',
        content: 'A',
        usage: { model: 'm', inputTokens: 3, outputTokens: 4 },
      });
      expect((await chat.sessions.get('auth0|abc', session.id)).usage).toEqual({
        inputTokens: 3,
        outputTokens: 4,
      });
      expect(await chat.queries.usageByModel({ userId: 'auth0|abc' })).toMatchObject([
        { model: 'm', messages: 1, inputTokens: 3, outputTokens: 4 },
      ]);
      expect(await chat.queries.usagePerDay({ userId: 'someone-else' })).toEqual([]);
    } finally {
      await s.drop();
    }
  });
});
