import type { Extensions } from '@electric-sql/pglite';
import { ChatDbError } from '../errors.js';
import type { PoolLike } from './postgres.js';
import type { Database, DbLogger } from './types.js';
import { DEFAULT_DATA_DIR, parseDatabaseUrl } from './url.js';

export type { PoolClientLike, PoolLike } from './postgres.js';
export type { Database, DatabaseKind, DbLogger, Queryable, QueryResult, Session } from './types.js';
export { defaultLogger } from './types.js';
export { DEFAULT_DATA_DIR, describeTarget, parseDatabaseUrl, redactUrl } from './url.js';

export interface OpenDatabaseOptions {
  /** `postgres://…`, `memory://`, or undefined for the embedded database in `dataDir`. */
  readonly url?: string | undefined;
  /** Data directory of the embedded database. Default `.chatdb`. */
  readonly dataDir?: string | undefined;
  /**
   * Instead of `url`: the application's own pg-compatible pool (`pg.Pool`, or the `Pool` of
   * `@neondatabase/serverless`), borrowed, never ended by chatdb.
   */
  readonly pool?: PoolLike | undefined;
  readonly connectRetries?: number;
  readonly poolSize?: number;
  /** On a server: bound in ms on each query and transaction (SET LOCAL statement_timeout); 0: none. */
  readonly statementTimeoutMs?: number;
  readonly logger?: DbLogger;
  /** For the embedded database only: the extension bundles to load (asked for only then). */
  readonly pgliteExtensions?: () => Promise<Extensions>;
}

/**
 * Opens the database a URL names (see `parseDatabaseUrl`). Each driver is loaded when first used:
 * an embedded start does not load `pg`, and a server (a serverless function's cold start) does
 * not load PGlite's WASM build.
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  if (options.pool && (options.url !== undefined || options.dataDir !== undefined))
    throw new ChatDbError('config_invalid', 'give the database as url (or dataDir) or as pool, not both');
  const target = options.pool
    ? { kind: 'pool' as const, pool: options.pool }
    : parseDatabaseUrl(options.url, options.dataDir ?? DEFAULT_DATA_DIR);
  if (target.kind === 'pglite') {
    const { openPglite } = await import('./pglite.js');
    return openPglite(target.dataDir, {
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.pgliteExtensions === undefined ? {} : { extensions: await options.pgliteExtensions() }),
    });
  }
  const { openPostgres } = await import('./postgres.js');
  return openPostgres({
    ...(target.kind === 'pool' ? { pool: target.pool } : { connectionString: target.connectionString }),
    ...(options.connectRetries === undefined ? {} : { connectRetries: options.connectRetries }),
    ...(options.poolSize === undefined ? {} : { max: options.poolSize }),
    ...(options.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: options.statementTimeoutMs }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}
