import { describe, expect, it } from 'vitest';
import { isChatDbError } from '../../src/errors.js';
import type { UpsertInput } from '../../src/store/types.js';
import { onRealPostgres } from '../helpers/db.js';
import { makeUser, useChatDb } from './helpers.js';

/**
 * Concurrent saves, on a pool of real connections when TEST_DATABASE_URL is set (PGlite, one
 * connection, runs them one after another: the same assertions then check the sequential case).
 */
const fx = useChatDb();
const text = (id: string, role: 'user' | 'assistant', t: string): UpsertInput => ({
  id,
  role,
  parts: [{ type: 'text', text: t }],
});
const rows = async (session: string) =>
  (
    await fx.db.query<{ client_id: string; seq: number; parent: string | null }>(
      `SELECT m.client_id, m.seq, p.client_id AS parent FROM messages m LEFT JOIN messages p ON p.id = m.parent_id
       WHERE m.session_id = $1 ORDER BY m.seq`,
      [session],
    )
  ).rows;

describe(`concurrent saves (${onRealPostgres ? 'Postgres, a pool' : 'PGlite, serialized'})`, () => {
  it('30 saves of the same id at once: one message, the last save wins whole, seq not bumped', async () => {
    const user = await makeUser(fx.db);
    const { id } = await fx.chat.sessions.create(user);
    await fx.chat.messages.upsert(user, id, text('q', 'user', 'question'));
    const saves = Array.from({ length: 30 }, (_, i) =>
      fx.chat.messages.upsert(user, id, { ...text('r', 'assistant', `chunk ${i}`), status: 'streaming' }),
    );
    const results = await Promise.all(saves);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await rows(id)).toEqual([
      { client_id: 'q', seq: 1, parent: null },
      { client_id: 'r', seq: 2, parent: 'q' },
    ]);
    expect((await fx.chat.sessions.get(user, id)).messageCount).toBe(2);
    const stored = (await fx.chat.messages.last(user, id, 1))[0];
    expect(results.map((r) => r.message.content)).toContain(stored?.content);
  });

  it('20 regenerations at once (siblings of one question): none lost or duplicated, seqs gap-free', async () => {
    const user = await makeUser(fx.db);
    const { id } = await fx.chat.sessions.create(user);
    const history = [text('u1', 'user', 'Q1'), text('a1', 'assistant', 'A1'), text('u2', 'user', 'Q2')];
    await fx.chat.messages.saveMany(user, id, history);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fx.chat.messages.saveMany(user, id, [...history, text(`a2-${i}`, 'assistant', `answer ${i}`)]),
      ),
    );
    const all = await rows(id);
    expect(all.map((r) => r.seq)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(all.slice(3).map((r) => r.parent)).toEqual(Array(20).fill('u2'));
    expect(new Set(all.slice(3).map((r) => r.client_id)).size).toBe(20);
    const sib = await fx.chat.messages.siblings(user, id, 'a2-0');
    expect(sib.data).toHaveLength(20);
    expect((await fx.chat.sessions.get(user, id)).messageCount).toBe(23);
  });

  it('the same new id in two sessions of one user at once: one wins, the other is conflict', async () => {
    const user = await makeUser(fx.db);
    const a = await fx.chat.sessions.create(user);
    const b = await fx.chat.sessions.create(user);
    const outcomes = await Promise.allSettled([
      fx.chat.messages.upsert(user, a.id, text('twin', 'user', 'a')),
      fx.chat.messages.upsert(user, b.id, text('twin', 'user', 'b')),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(isChatDbError(lost.reason, 'conflict')).toBe(true);
    const counts = [(await rows(a.id)).length, (await rows(b.id)).length].sort();
    expect(counts).toEqual([0, 1]);
  });
});
