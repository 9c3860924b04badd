import type { PGlite } from '@electric-sql/pglite';
import type { DbLogger } from './types.js';

/**
 * Statistics for the planner where no autovacuum keeps them: PGlite runs none. Without them,
 * Postgres guesses table sizes, and a plan it keeps for the connection's life (every foreign-key
 * check's, the append function's) can be one made while the tables were small: a look-up by
 * (session_id, id) through an index on session_id alone walked every message of the session on
 * each append (docs/design.md, "Planner statistics on the embedded database"). So, as autovacuum's
 * analyze does on a server, tables that grew are analyzed: after every `every` statements, the
 * tables whose size on disk passed twice their last analyzed size (and 8 pages more) get ANALYZE, which
 * also makes Postgres plan again the statements that use them. Queued behind running work like any
 * statement; the caller does not wait for it. Twice, not autovacuum's 10%: ANALYZE runs on the one
 * thread PGlite has, so fewer, and a plan needs sizes right within a factor, not exact.
 */
const GROWN_SQL = `
SELECT format('%I.%I', n.nspname, c.relname) AS rel
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  AND pg_relation_size(c.oid) / current_setting('block_size')::int >= c.relpages * 2 + 8
ORDER BY 1`;

export const ANALYZE_EVERY = 200;

export interface AutoAnalyze {
  /** Counts a statement; every `every` of them starts a pass in the background. */
  note(): void;
  /** Resolves when no pass is running (before closing the database). */
  idle(): Promise<void>;
}

export function autoAnalyze(pg: PGlite, logger: DbLogger, every = ANALYZE_EVERY): AutoAnalyze {
  let count = 0;
  let running: Promise<void> | undefined;
  const pass = async (): Promise<void> => {
    const grown = await pg.query<{ rel: string }>(GROWN_SQL);
    for (const { rel } of grown.rows) await pg.exec(`ANALYZE ${rel}`);
  };
  return {
    note() {
      count++;
      if (count < every || running || pg.closed) return;
      count = 0;
      running = pass()
        .catch((e: unknown) => {
          if (!pg.closed) logger(`ANALYZE of the embedded database failed: ${(e as Error).message}`);
        })
        .finally(() => {
          running = undefined;
        });
    },
    idle: () => running ?? Promise.resolve(),
  };
}
