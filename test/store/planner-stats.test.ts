import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/index.js';
import { openPglite } from '../../src/db/pglite.js';
import { createChatDb } from '../../src/store/chatdb.js';
import { freshDatabase, onRealPostgres, pgliteTemplate } from '../helpers/db.js';
import { makeUser } from './helpers.js';

/**
 * Planner statistics and the plans the append keeps. Every append's foreign-key checks
 * (messages_parent_fkey, chat_sessions_leaf_fkey) look a message up by (session_id, id) and keep
 * the plan they make first for the connection's life. Without statistics (a table never analyzed:
 * PGlite has no autovacuum) Postgres 15 here chose an index on session_id alone for it once the
 * session held a few hundred messages, and each append then walked every message of its session.
 * With statistics it takes a unique index on both columns; ANALYZE also makes it plan again.
 */

/** The look-up the foreign-key checks send, as Postgres writes it (ri_triggers.c). */
const RI_LOOKUP =
  'SELECT 1 FROM ONLY messages x WHERE session_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2 FOR KEY SHARE OF x';
const UNIQUE_ON_BOTH = ['messages_pkey', 'messages_session_id_id_key'];

/** The indexes of RI_LOOKUP's generic plan, the kind a foreign-key check keeps. */
async function lookupIndexes(
  db: Queryable & { transaction: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T> },
) {
  const doc = await db.transaction(async (tx) => {
    await tx.query('SET LOCAL plan_cache_mode = force_generic_plan');
    await tx.query(`PREPARE chatdb_ri_lookup (uuid, uuid) AS ${RI_LOOKUP}`);
    const r = await tx.query<{ 'QUERY PLAN': unknown }>(
      'EXPLAIN (FORMAT JSON) EXECUTE chatdb_ri_lookup (NULL, NULL)',
    );
    await tx.query('DEALLOCATE chatdb_ri_lookup');
    return r.rows[0]?.['QUERY PLAN'];
  });
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
  return [...text.matchAll(/"Index Name":\s*"([^"]+)"/g)].map((m) => m[1] as string);
}

const reltuples = async (db: Queryable, table: string) =>
  (await db.query<{ n: number }>('SELECT reltuples::float8 AS n FROM pg_class WHERE relname = $1', [table]))
    .rows[0]?.n;

/** `n` messages in one session, through the library. */
async function longSession(db: Parameters<typeof createChatDb>[0], n: number) {
  const chat = createChatDb(db, { logger: () => undefined });
  const user = await makeUser(db);
  const session = await chat.sessions.create(user, {});
  for (let i = 0; i < n; i++)
    await chat.messages.append(user, session.id, { role: 'user', content: `m${i}` });
}

describe.skipIf(onRealPostgres)(
  'the embedded database analyzes the tables that grew (PGlite has no autovacuum)',
  () => {
    const open: { close(): Promise<void> }[] = [];
    afterAll(async () => {
      for (const db of open) await db.close();
    });

    it('after enough statements, messages has statistics and the look-up uses a unique index on both columns', async () => {
      const db = await openPglite(undefined, { loadDataDir: await pgliteTemplate('all'), analyzeEvery: 50 });
      open.push(db);
      expect(await reltuples(db, 'messages')).toBe(-1); // never analyzed
      await longSession(db, 300);
      for (let i = 0; i < 100 && ((await reltuples(db, 'messages')) ?? -1) < 100; i++) await sleep(20);
      expect(await reltuples(db, 'messages')).toBeGreaterThanOrEqual(100);
      const used = await lookupIndexes(db);
      expect(used.length).toBeGreaterThan(0);
      for (const name of used) expect(UNIQUE_ON_BOTH).toContain(name);
    });

    it('runs no ANALYZE between checks: with analyzeEvery not reached, messages stays unanalyzed', async () => {
      const db = await openPglite(undefined, {
        loadDataDir: await pgliteTemplate('all'),
        analyzeEvery: 1_000_000,
      });
      open.push(db);
      await longSession(db, 300);
      expect(await reltuples(db, 'messages')).toBe(-1);
    });
  },
);

describe('with statistics (ANALYZE, as autovacuum runs it)', () => {
  it('the look-up by (session_id, id) uses a unique index on both columns in a long session', async () => {
    const s = await freshDatabase('all');
    try {
      await longSession(s.db, 300);
      await s.db.exec('ANALYZE');
      const used = await lookupIndexes(s.db);
      expect(used.length).toBeGreaterThan(0);
      for (const name of used) expect(UNIQUE_ON_BOTH).toContain(name);
    } finally {
      await s.drop();
    }
  });
});
