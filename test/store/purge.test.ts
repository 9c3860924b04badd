import { describe, expect, it } from 'vitest';
import { createPurge, sessionTargets } from '../../src/store/purge.js';
import { guard } from '../../src/store/sql-errors.js';
import type { PurgeProgress } from '../../src/store/types-lifecycle.js';
import { count, errorCode, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const code = errorCode;

/** Sessions of a new user, with one message each: `trashedDaysAgo` (null: not trashed) and idle days. */
async function fill(specs: { trashedDaysAgo: number | null; idleDays?: number }[]) {
  const user = await makeUser(fx.db);
  const ids: string[] = [];
  for (const spec of specs) {
    const s = await fx.chat.sessions.create(user, { title: 'p' });
    await fx.chat.messages.append(user, s.id, {
      role: 'user',
      content: 'hello',
      citations: [{ documentId: 'd' }],
    });
    await fx.db.exec(`ALTER TABLE chat_sessions DISABLE TRIGGER chat_sessions_touch_updated_at;
      UPDATE chat_sessions SET
        trashed_at = ${spec.trashedDaysAgo === null ? 'NULL' : `now() - ${spec.trashedDaysAgo} * interval '1 day'`},
        updated_at = now() - ${spec.idleDays ?? 0} * interval '1 day'
      WHERE id = '${s.id}';
      ALTER TABLE chat_sessions ENABLE TRIGGER chat_sessions_touch_updated_at;`);
    ids.push(s.id);
  }
  return { user, ids };
}

const left = (ids: string[]) => count(fx.db, 'chat_sessions', 'id = ANY($1::uuid[])', [ids]);

describe('purge', () => {
  it('deletes the trash past retention in batches, with their messages; a dry run counts and deletes nothing', async () => {
    await fx.chat.purge(); // whatever earlier tests left
    const { ids } = await fill([
      { trashedDaysAgo: 31 },
      { trashedDaysAgo: 40 },
      { trashedDaysAgo: 45 },
      { trashedDaysAgo: 29 },
      { trashedDaysAgo: null, idleDays: 400 },
    ]);
    const dry = await fx.chat.purge({ dryRun: true });
    expect(dry).toEqual({ dryRun: true, interrupted: false, batches: 0, counts: { trashedSessions: 3 } });
    expect(await left(ids)).toBe(5);

    const progress: PurgeProgress[] = [];
    const r = await fx.chat.purge({ batchSize: 2, onProgress: (p) => progress.push(p) });
    expect(r).toEqual({ dryRun: false, interrupted: false, batches: 2, counts: { trashedSessions: 3 } });
    expect(progress).toEqual([
      { target: 'trashedSessions', batch: 1, deleted: 2, total: 2 },
      { target: 'trashedSessions', batch: 2, deleted: 1, total: 3 },
    ]);
    expect(await left(ids)).toBe(2);
    expect(await count(fx.db, 'messages', 'session_id = ANY($1::uuid[])', [ids.slice(0, 3)])).toBe(0);
    // A rerun finds nothing more.
    expect((await fx.chat.purge()).counts).toEqual({ trashedSessions: 0 });
    // A younger age: the one trashed 29 days ago too.
    expect((await fx.chat.purge({ trashedOlderThanDays: 28 })).counts).toEqual({ trashedSessions: 1 });
    expect(await left(ids)).toBe(1);
  });

  it('idle sessions when asked, without counting the trash twice', async () => {
    await fx.chat.purge({ idleSessionsOlderThanDays: 300 }); // whatever earlier tests left
    const { ids } = await fill([
      { trashedDaysAgo: 40, idleDays: 400 }, // the trash target's
      { trashedDaysAgo: 5, idleDays: 400 }, // idle (trashed, within retention)
      { trashedDaysAgo: null, idleDays: 400 }, // idle
      { trashedDaysAgo: null, idleDays: 100 }, // kept
    ]);
    const dry = await fx.chat.purge({ idleSessionsOlderThanDays: 365, dryRun: true });
    expect(dry.counts).toEqual({ trashedSessions: 1, idleSessions: 2 });
    expect(await left(ids)).toBe(4);
    const r = await fx.chat.purge({ idleSessionsOlderThanDays: 365 });
    expect(r.counts).toEqual({ trashedSessions: 1, idleSessions: 2 });
    expect(await left(ids)).toBe(1);
    expect(await count(fx.db, 'chat_sessions', 'id = $1', [ids[3]])).toBe(1);
  });

  it('an aborted signal stops after the running batch; a rerun finishes the work', async () => {
    await fx.chat.purge();
    const { ids } = await fill(Array.from({ length: 5 }, () => ({ trashedDaysAgo: 60 })));
    const abort = new AbortController();
    const r = await fx.chat.purge({
      batchSize: 2,
      signal: abort.signal,
      onProgress: () => abort.abort(),
    });
    expect(r).toMatchObject({ interrupted: true, batches: 1, counts: { trashedSessions: 2 } });
    expect(await left(ids)).toBe(3);
    const again = await fx.chat.purge({ batchSize: 2 });
    expect(again).toMatchObject({ interrupted: false, counts: { trashedSessions: 3 } });
    expect(await left(ids)).toBe(0);
    // Aborted before it began: nothing deleted.
    const { ids: more } = await fill([{ trashedDaysAgo: 60 }]);
    const stopped = new AbortController();
    stopped.abort();
    expect(await fx.chat.purge({ signal: stopped.signal })).toMatchObject({ interrupted: true, batches: 0 });
    expect(await left(more)).toBe(1);
  });

  it('bad options are invalid_input and delete nothing', async () => {
    const { ids } = await fill([{ trashedDaysAgo: 90, idleDays: 900 }]);
    for (const o of [
      { batchSize: 0 },
      { batchSize: 10_001 },
      { batchSize: 1.5 },
      { trashedOlderThanDays: -1 },
      { trashedOlderThanDays: 36_501 },
      { trashedOlderThanDays: '30' },
      { idleSessionsOlderThanDays: 0 },
      { idleSessionsOlderThanDays: Number.NaN },
      { dryRun: 'yes' },
      { signal: {} },
      { onProgress: 'log' },
      { olderThan: 3 },
      [],
    ])
      expect(await code(fx.chat.purge(o as never)), JSON.stringify(o)).toBe('invalid_input');
    expect(await left(ids)).toBe(1);
  });

  it('a session locked by a writer is skipped (SKIP LOCKED) and left for the next run', async () => {
    await fx.chat.purge();
    const { ids } = await fill([{ trashedDaysAgo: 60 }, { trashedDaysAgo: 60 }]);
    const sql = guard(fx.db);
    const purge = createPurge(sessionTargets(sql, 30));
    // Where the database is one connection (PGlite), a held lock would block the purge itself.
    if (!fx.db.target.startsWith('postgres')) return;
    await fx.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM chat_sessions WHERE id = $1::uuid FOR UPDATE', [ids[0]]);
      expect((await purge()).counts).toEqual({ trashedSessions: 1 });
    });
    expect((await purge()).counts).toEqual({ trashedSessions: 1 });
    expect(await left(ids)).toBe(0);
  });
});
