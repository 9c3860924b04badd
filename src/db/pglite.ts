import { mkdirSync } from 'node:fs';
import { type Extensions, PGlite, type Transaction } from '@electric-sql/pglite';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { isChatDbError } from '../errors.js';
import { lockDataDir } from './dir-lock.js';
import { connectionFailure } from './errors.js';
import { autoAnalyze } from './pglite-analyze.js';
import {
  type Database,
  type DbLogger,
  defaultLogger,
  type Queryable,
  type QueryResult,
  type Session,
} from './types.js';
import { describeTarget } from './url.js';

/** Postgres type OIDs whose text form we parse the same way in both adapters. */
export const PARSERS = { 20: Number } as const; // int8 (count(*)) -> number; counts here never pass 2^53

/** `note` is told of every statement sent (autoAnalyze counts them). */
const wrap = (q: PGlite | Transaction, note: () => void): Queryable => ({
  async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    note();
    const res = await q.query<R>(sql, params as unknown[]);
    // affectedRows is 0 for a SELECT; pg's rowCount counts the rows returned then.
    return { rows: res.rows, rowCount: res.rows.length > 0 ? res.rows.length : (res.affectedRows ?? 0) };
  },
  async exec(sql: string): Promise<void> {
    note();
    await q.exec(sql);
  },
});

/** The embedded database can also copy itself: `dumpDataDir()` feeds `openPglite(…, { loadDataDir })`. */
export interface PgliteDatabase extends Database {
  dumpDataDir(): Promise<Blob>;
}

/** Serializes async sections: PGlite has one session, so "a session" is a turn at it. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.#tail;
    let release!: () => void;
    this.#tail = new Promise((r) => {
      release = r;
    });
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/**
 * Opens embedded Postgres (PGlite). `dataDir` undefined keeps everything in memory; otherwise the
 * directory is created and the data persists there. `loadDataDir` starts from a `dumpDataDir()`
 * tarball (much faster than initdb: the test helper uses it for per-test databases). `extensions`
 * loads PGlite extension bundles (`@electric-sql/pglite/contrib/pg_trgm`, ...) so that
 * CREATE EXTENSION finds them; btree_gin (the chat baseline's) is always loaded.
 * A data directory serves one process, and one open database in it: a lock file (`LOCK_FILE`)
 * refuses a second opener while the first is alive, and is released by `close()` or on exit.
 * Tables that grew are analyzed as the statements go (autoAnalyze; `analyzeEvery` statements
 * between checks, ANALYZE_EVERY by default): PGlite has no autovacuum to do it.
 */
export async function openPglite(
  dataDir: string | undefined,
  options: { loadDataDir?: Blob; logger?: DbLogger; extensions?: Extensions; analyzeEvery?: number } = {},
): Promise<PgliteDatabase> {
  const target = describeTarget({ kind: 'pglite', dataDir });
  const { logger = defaultLogger, analyzeEvery, ...pgliteOptions } = options;
  let unlock = (): void => undefined;
  let pg: PGlite;
  try {
    if (dataDir !== undefined) {
      mkdirSync(dataDir, { recursive: true });
      unlock = lockDataDir(dataDir, logger);
    }
    // The chat baseline's (user_id, tsvector) index needs btree_gin: every embedded database has it.
    const extensions = { btree_gin, ...pgliteOptions.extensions };
    pg = await PGlite.create(dataDir, { parsers: PARSERS, ...pgliteOptions, extensions });
  } catch (e) {
    unlock();
    throw isChatDbError(e) ? e : connectionFailure(target, e);
  }
  const analyze = autoAnalyze(pg, logger, analyzeEvery);
  const { note } = analyze;
  const base = wrap(pg, note);
  const sessions = new Mutex();
  const transaction = <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> =>
    pg.transaction((tx) => fn(wrap(tx, note)));
  const session: Session = { ...base, transaction };
  return {
    kind: 'pglite',
    target,
    ...session,
    withSession: (fn) => sessions.run(() => fn(session)),
    dumpDataDir: () => pg.dumpDataDir('none'),
    close: async () => {
      try {
        await analyze.idle();
        if (!pg.closed) await pg.close();
      } finally {
        unlock();
      }
    },
  };
}
