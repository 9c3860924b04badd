import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ChatDbError } from '../errors.js';
import { connectionFailure, connectionReason, isConnectionError, queryCanceled } from './errors.js';
import {
  type Database,
  type DbLogger,
  defaultLogger,
  type Queryable,
  type QueryResult,
  type Session,
} from './types.js';
import { redactUrl } from './url.js';

/** The part of a pool's client chatdb uses: node-postgres's `PoolClient` and its ports have it. */
export interface PoolClientLike {
  query(config: { text: string; values?: unknown[]; types?: unknown }): Promise<{
    rows: unknown[];
    rowCount: number | null;
  }>;
  query(text: string): Promise<unknown>;
  on(event: 'error', listener: (e: Error) => void): unknown;
  removeListener(event: 'error', listener: (e: Error) => void): unknown;
  release(err?: Error | boolean): void;
}

/**
 * A pg-compatible pool owned by the application: node-postgres's `pg.Pool`, or
 * `@neondatabase/serverless`'s `Pool` (WebSockets, for edge runtimes). chatdb borrows clients from
 * it and never ends it.
 */
export interface PoolLike {
  connect(): Promise<PoolClientLike>;
  on(event: 'error', listener: (e: Error, client: unknown) => void): unknown;
  removeListener(event: 'error', listener: (e: Error, client: unknown) => void): unknown;
  end(): Promise<void>;
}

export interface PostgresOptions {
  /** Where to connect; or `pool`. */
  readonly connectionString?: string;
  /** An open pool of the application's to borrow connections from instead; `close()` leaves it open. */
  readonly pool?: PoolLike;
  /** Connection attempts after the first that fail with a transient error. Default 4 (~4 s in all). */
  readonly connectRetries?: number;
  /** First backoff delay in ms, doubled on each retry. Default 250. */
  readonly retryDelayMs?: number;
  /** Pool size. Default 10. */
  readonly max?: number;
  /**
   * Bound in ms on each statement of `query` and `transaction` (not of `exec` scripts nor of
   * `withSession`, whose migrations set their own): `SET LOCAL statement_timeout` in the transaction they run in, so it
   * works through a transaction-mode pooler, which refuses it as a startup parameter. Undefined or
   * 0: none (the server's setting).
   */
  readonly statementTimeoutMs?: number;
  readonly logger?: DbLogger;
}

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
};

/**
 * Prepares a URL for node-postgres. `sslmode=require` (and `prefer`, `verify-ca`) is sent as
 * `verify-full`, which is what pg 8 already does for them (it only warns that this will change);
 * `channel_binding=require` (or `prefer`) turns on SCRAM-SHA-256-PLUS and is removed. Everything
 * else stays as written: only the query part is looked at, as text, so every form pg accepts
 * (`postgres://u@/db?host=/var/run/postgresql`, unescaped characters it copes with) still works.
 * Neon URLs therefore work as they are.
 */
export function poolConfig(connectionString: string): pg.PoolConfig {
  const hash = connectionString.indexOf('#');
  const end = hash === -1 ? connectionString.length : hash;
  const q = connectionString.indexOf('?'); // a '?' after '#' is part of the fragment
  let rewritten = connectionString;
  let channelBinding: string | undefined;
  if (q !== -1 && q < end) {
    const params = connectionString
      .slice(q + 1, end)
      .split('&')
      .flatMap((p) => {
        const eq = p.indexOf('=');
        const key = decode(eq === -1 ? p : p.slice(0, eq));
        const value = eq === -1 ? '' : decode(p.slice(eq + 1));
        if (key === 'channel_binding') {
          channelBinding = value;
          return [];
        }
        if (key === 'sslmode' && (value === 'require' || value === 'prefer' || value === 'verify-ca'))
          return ['sslmode=verify-full'];
        return [p];
      });
    rewritten = `${connectionString.slice(0, q)}${params.length > 0 ? `?${params.join('&')}` : ''}${connectionString.slice(end)}`;
  }
  return {
    connectionString: rewritten,
    enableChannelBinding: channelBinding === 'require' || channelBinding === 'prefer',
  } as pg.PoolConfig;
}

/**
 * The type parsers of every chatdb query: bigint (int8) as a number (chatdb's bigints are counts
 * and seqs, far below 2^53), the rest as node-postgres parses them. Given per query rather than to
 * the pool, so a pool the application passes in (whose own settings are its business) reads the same.
 */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const wrap = (c: PoolClientLike): Queryable => ({
  async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    const res = await c.query({ text: sql, values: params as unknown[], types: TYPES });
    return { rows: res.rows as R[], rowCount: res.rowCount ?? res.rows.length };
  },
  async exec(sql: string): Promise<void> {
    await c.query(sql);
  },
});

/** What `target` says of a pool the application passed in (its URL is not chatdb's to know). */
export const SUPPLIED_POOL_TARGET = 'postgres (a pool supplied by the application)';

/**
 * Opens a node-postgres pool (or borrows the application's `pool`); connection attempts retry
 * transient failures with backoff.
 */
export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const { connectionString, pool: supplied } = options;
  if ((connectionString === undefined) === (supplied === undefined))
    throw new ChatDbError(
      'config_invalid',
      'give the database as a connection string or as a pool, not both',
    );
  const target = connectionString === undefined ? SUPPLIED_POOL_TARGET : redactUrl(connectionString);
  const log = options.logger ?? defaultLogger;
  const retries = options.connectRetries ?? 4;
  const firstDelay = options.retryDelayMs ?? 250;
  const pool: PoolLike =
    supplied ??
    (new pg.Pool({
      ...poolConfig(connectionString as string),
      max: options.max ?? 10,
      connectionTimeoutMillis: 10_000,
    }) as unknown as PoolLike);
  // An idle client whose server went away emits 'error' on the pool; without a listener Node exits.
  const onIdleError = (e: Error) => log(`idle connection lost: ${e.message}`);
  pool.on('error', onIdleError);

  const connect = async (): Promise<PoolClientLike> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const client = await pool.connect();
        if (attempt > 0)
          log(`connected to ${target} after ${attempt} ${attempt === 1 ? 'retry' : 'retries'}`);
        return client;
      } catch (e) {
        // An invalid URL, a wrong password or a missing database will not get better by waiting.
        if (!isConnectionError(e) || attempt >= retries) throw connectionFailure(target, e, attempt + 1);
        const delay = firstDelay * 2 ** attempt;
        log(
          `cannot connect to ${target}: ${connectionReason(e)}; retry ${attempt + 1}/${retries} in ${delay} ms`,
        );
        await sleep(delay);
      }
    }
  };

  const withClient = async <T>(fn: (c: PoolClientLike) => Promise<T>): Promise<T> => {
    const client = await connect();
    let broken: Error | undefined;
    // pg-pool listens for 'error' only on idle clients: a server that ends the connection while
    // this one is checked out (restart, Neon suspend) would otherwise crash the process. The
    // pending query rejects by itself; the client is then discarded, not returned to the pool.
    const onError = (e: Error) => {
      broken = e;
    };
    client.on('error', onError);
    try {
      return await fn(client);
    } catch (e) {
      if (isConnectionError(e)) broken = e as Error;
      throw e;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  };

  const timeout = options.statementTimeoutMs ?? 0;
  // One round trip, as BEGIN alone: SET LOCAL ends with the transaction, nothing stays on the
  // connection for the next user of a pooled server connection.
  const begin = timeout > 0 ? `BEGIN; SET LOCAL statement_timeout = ${Math.trunc(timeout)}` : 'BEGIN';
  const transactionOn = async <T>(
    c: PoolClientLike,
    fn: (tx: Queryable) => Promise<T>,
    start = 'BEGIN',
  ): Promise<T> => {
    await c.query(start);
    try {
      const out = await fn(wrap(c));
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  };

  // Our own pool keeps its listener after end(): a connection still closing may yet report an error
  // (a DROP DATABASE … WITH (FORCE) terminating it), which must not crash the process. A supplied
  // pool is the application's: leave it as it was given.
  const close = async () => {
    if (supplied) pool.removeListener('error', onIdleError);
    else await pool.end();
  };
  // Fail at open, with a clear message, rather than at the first query.
  try {
    await withClient(async () => undefined);
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }

  // A statement canceled by the timeout (57014) is a 503, not a 500: the database was too slow.
  const bounded = async <T>(fn: (c: PoolClientLike) => Promise<T>): Promise<T> => {
    try {
      return await withClient(fn);
    } catch (e) {
      throw queryCanceled(e, timeout) ?? e;
    }
  };
  // Without a timeout a lone statement runs as it is; with one it needs a transaction for SET LOCAL.
  const lone = <T>(c: PoolClientLike, fn: (q: Queryable) => Promise<T>): Promise<T> =>
    timeout > 0 ? transactionOn(c, fn, begin) : fn(wrap(c));

  return {
    kind: 'postgres',
    target,
    query: (sql, params) => bounded((c) => lone(c, (q) => q.query(sql, params))),
    statementTimeoutMs: timeout,
    queryAsIs: (sql, params) => bounded((c) => wrap(c).query(sql, params)),
    // A script may hold its own BEGIN/COMMIT or CREATE DATABASE: it runs as written, unbounded.
    exec: (sql) => withClient((c) => wrap(c).exec(sql)),
    transaction: (fn) => bounded((c) => transactionOn(c, fn, begin)),
    withSession: (fn) =>
      withClient((c) => {
        const session: Session = { ...wrap(c), transaction: (f) => transactionOn(c, f) };
        return fn(session);
      }),
    close,
  };
}
