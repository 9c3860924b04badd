import { randomBytes } from 'node:crypto';
import { pgCode } from '../db/errors.js';
import { type Database, openDatabase, redactUrl } from '../db/index.js';
import { openPglite } from '../db/pglite.js';
import { ChatDbError } from '../errors.js';

/** `server`: a scratch database on the target's server; `pglite`: an in-memory PGlite. */
export type ScratchKind = 'server' | 'pglite';

/** A throwaway database; `drop()` removes it (safe to call more than once, also concurrently). */
export interface ScratchCopy {
  readonly db: Database;
  readonly kind: ScratchKind;
  /** The database name on the server, or `memory://`. */
  readonly name: string;
  /** Where it is, safe to print. */
  readonly where: string;
  drop(): Promise<void>;
}

export interface ScratchOptions {
  /** URL of the target (postgres://…); needed for `server`. */
  readonly targetUrl?: string | undefined;
  /** Default `server` when targetUrl is a postgres URL, else `pglite`. */
  readonly kind?: ScratchKind | undefined;
  /** Database name prefix. Default `chatdb_verify`. */
  readonly prefix?: string;
  /** Connection retries for the server connections (Neon computes wake up). Default the adapter's. */
  readonly connectRetries?: number;
}

/** Name prefix of verify's scratch databases. */
export const SCRATCH_PREFIX = 'chatdb_verify';

const withDatabase = (url: string, database: string): string => {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
};

const quiet = (): void => undefined;

/** An empty PGlite data directory, kept after the first scratch copy: loading it skips initdb. */
let emptyPglite: Blob | undefined;

async function openScratchPglite(): Promise<Database> {
  if (emptyPglite) return openPglite(undefined, { loadDataDir: emptyPglite });
  const db = await openPglite(undefined);
  emptyPglite = await db.dumpDataDir();
  return db;
}

/**
 * Opens a connection for CREATE/DROP DATABASE: the server's `postgres` database, else the target
 * database itself (Neon and managed servers may not let every role into `postgres`). Neither
 * touches the target's data.
 */
async function openMaintenance(targetUrl: string, retries: number | undefined): Promise<Database> {
  const opts = { poolSize: 1, logger: quiet, ...(retries === undefined ? {} : { connectRetries: retries }) };
  try {
    return await openDatabase({ url: withDatabase(targetUrl, 'postgres'), ...opts });
  } catch {
    return openDatabase({ url: targetUrl, ...opts });
  }
}

/** Creates an empty throwaway database: on the target's server, or an in-memory PGlite. */
export async function createScratch(options: ScratchOptions): Promise<ScratchCopy> {
  const url = options.targetUrl;
  const onServer = url !== undefined && /^postgres(ql)?:\/\//i.test(url);
  const kind = options.kind ?? (onServer ? 'server' : 'pglite');
  if (kind === 'pglite') {
    const db = await openScratchPglite();
    return { db, kind, name: 'memory://', where: 'in-memory PGlite', drop: () => db.close() };
  }
  if (!onServer || url === undefined)
    throw new ChatDbError('invalid_input', '--scratch server needs a postgres:// database URL');
  const name = `${options.prefix ?? SCRATCH_PREFIX}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await openMaintenance(url, options.connectRetries);
  try {
    await admin.exec(`CREATE DATABASE ${name}`);
  } catch (e) {
    await admin.close();
    const hint =
      pgCode(e) === '42501'
        ? ' (the role needs CREATEDB; or run with --scratch pglite to use an in-memory copy)'
        : '';
    throw new ChatDbError(
      'verify_failed',
      `cannot create a scratch database on ${redactUrl(url)}: ${(e as Error).message}${hint}`,
      { cause: e },
    );
  }
  let dropping: Promise<void> | undefined;
  const dropDatabase = async (db: Database | undefined): Promise<void> => {
    try {
      // FORCE ends the sessions still open on it first (an interrupted statement's, say): closing
      // our pool before that would wait for such a statement to finish.
      await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await db?.close().catch(() => undefined);
      await admin.close().catch(() => undefined);
    }
  };
  let db: Database;
  try {
    db = await openDatabase({ url: withDatabase(url, name), logger: quiet });
  } catch (e) {
    await dropDatabase(undefined);
    throw e;
  }
  const where = `database ${name} on ${redactUrl(withDatabase(url, 'postgres')).replace(/\/postgres(\?|$)/, '$1')}`;
  return {
    db,
    kind,
    name,
    where,
    drop: () => {
      dropping ??= dropDatabase(db);
      return dropping;
    },
  };
}

export interface WithScratchOptions extends ScratchOptions {
  /**
   * Drop the copy on SIGINT/SIGTERM too, then end the process by that signal (the CLI sets this;
   * the handlers are removed when `fn` ends).
   */
  readonly handleSignals?: boolean;
  /** Called once the copy exists (to print where it is). */
  readonly onCreated?: (copy: ScratchCopy) => void;
}

/**
 * Runs `fn` on a fresh scratch database and removes it afterwards: on success, on failure and,
 * with `handleSignals`, on Ctrl-C. An interrupted run rejects with `verify_failed` "interrupted".
 */
export async function withScratch<T>(
  options: WithScratchOptions,
  fn: (copy: ScratchCopy) => Promise<T>,
): Promise<T> {
  let creating: Promise<ScratchCopy> | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const remove = (): void => {
    for (const s of signals) process.off(s, onSignal);
  };
  function onSignal(signal: NodeJS.Signals): void {
    if (interrupted) return;
    interrupted = signal;
    // Dropping the copy ends its sessions, and a connection of ours that was running a statement
    // then emits an error nothing listens to (pg): we are exiting on purpose, so ignore those.
    process.on('uncaughtException', (e) => {
      if (!/Connection terminated|terminating connection/i.test(e.message)) throw e;
    });
    const cleanup = creating ? creating.then((c) => c.drop()) : Promise.resolve();
    void cleanup
      .catch(() => undefined)
      .finally(() => {
        remove();
        process.stderr.write(`chatdb: interrupted (${signal}): scratch copy removed\n`);
        // Default action now that our handlers are gone: the process ends as killed by the signal.
        process.kill(process.pid, signal);
      });
  }
  if (options.handleSignals) for (const s of signals) process.on(s, onSignal);
  try {
    creating = createScratch(options);
    const copy = await creating;
    options.onCreated?.(copy);
    return await fn(copy);
  } catch (e) {
    if (interrupted) throw new ChatDbError('verify_failed', `interrupted by ${interrupted}`, { cause: e });
    throw e;
  } finally {
    const copy = await creating?.catch(() => undefined);
    await copy?.drop();
    if (!interrupted) remove();
  }
}
