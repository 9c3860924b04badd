import { randomBytes } from 'node:crypto';
import type { Extensions } from '@electric-sql/pglite';
import { pgCode } from '../db/errors.js';
import { type Database, openDatabase, redactUrl } from '../db/index.js';
import { ChatDbError } from '../errors.js';

/** `server`: a scratch database on the target's server; `pglite`: an in-memory PGlite. */
export type ScratchKind = 'server' | 'pglite';
/** Every ScratchKind, for `--scratch` (a CLI usage error lists them). */
export const SCRATCH_KINDS: readonly ScratchKind[] = ['server', 'pglite'];

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
  /** PGlite extension bundles to load into a `pglite` copy (see `loadPgliteExtensions`). */
  readonly pgliteExtensions?: Extensions;
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

async function openScratchPglite(extensions: Extensions = {}): Promise<Database> {
  const { openPglite } = await import('../db/pglite.js');
  if (emptyPglite) return openPglite(undefined, { loadDataDir: emptyPglite, extensions });
  const db = await openPglite(undefined, { extensions });
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

const isServerUrl = (url: string | undefined): url is string =>
  url !== undefined && /^postgres(ql)?:\/\//i.test(url);

/** The kind of copy `createScratch` makes: `kind` if given, else `server` for a postgres:// URL. */
export const scratchKindFor = (options: Pick<ScratchOptions, 'targetUrl' | 'kind'>): ScratchKind =>
  options.kind ?? (isServerUrl(options.targetUrl) ? 'server' : 'pglite');

/** Creates an empty throwaway database: on the target's server, or an in-memory PGlite. */
export async function createScratch(options: ScratchOptions): Promise<ScratchCopy> {
  const url = options.targetUrl;
  const onServer = isServerUrl(url);
  const kind = scratchKindFor(options);
  if (kind === 'pglite') {
    const db = await openScratchPglite(options.pgliteExtensions);
    return { db, kind, name: 'memory://', where: 'in-memory PGlite', drop: () => db.close() };
  }
  if (!onServer) throw new ChatDbError('invalid_input', '--scratch server needs a postgres:// database URL');
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
   * Drop the copy on SIGINT, SIGTERM and SIGHUP too, then end the process by that signal (the CLI
   * sets this; the handlers are removed when `fn` ends).
   */
  readonly handleSignals?: boolean;
  /** Called once the copy exists (to print where it is). */
  readonly onCreated?: (copy: ScratchCopy) => void;
}

/** Signals that remove the copy before the process ends (with `handleSignals`). */
export const SCRATCH_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** How long an interrupted run waits for the copy to be dropped before it exits anyway. */
export const INTERRUPT_DROP_WAIT_MS = 10_000;

const never = new Promise<never>(() => undefined);

/**
 * Runs `fn` on a fresh scratch database and removes it afterwards: on success, on failure and,
 * with `handleSignals`, on Ctrl-C. `fn` gets an AbortSignal that fires on such a signal (stop
 * reporting: the process is about to end). On a signal the copy is dropped (waiting at most
 * `INTERRUPT_DROP_WAIT_MS`; a second signal stops waiting), one line says whether it is gone or
 * names it, and the process ends by the signal; `fn`'s own outcome is then never returned.
 */
export async function withScratch<T>(
  options: WithScratchOptions,
  fn: (copy: ScratchCopy, interrupted: AbortSignal) => Promise<T>,
): Promise<T> {
  let creating: Promise<ScratchCopy> | undefined;
  let created: ScratchCopy | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const abort = new AbortController();
  const remove = (): void => {
    for (const s of SCRATCH_SIGNALS) process.off(s, onSignal);
  };
  let exited = false;
  const exit = (signal: NodeJS.Signals, line: string): void => {
    exited = true;
    remove();
    process.stderr.write(`chatdb: interrupted (${signal}): ${line}\n`);
    // Default action now that our handlers are gone: the process ends as killed by the signal.
    process.kill(process.pid, signal);
  };
  const mayRemain = (): string => {
    if (created?.kind === 'pglite') return 'the in-memory scratch copy ends with the process';
    const name = created?.name ?? `${options.prefix ?? SCRATCH_PREFIX}_${process.pid}_…`;
    return `the scratch database ${name} may remain: drop it with DROP DATABASE ${name}`;
  };
  function onSignal(signal: NodeJS.Signals): void {
    if (interrupted) {
      // A second Ctrl-C: stop waiting for the drop.
      exit(signal, mayRemain());
      return;
    }
    interrupted = signal;
    abort.abort();
    // Dropping the copy ends its sessions, and a connection of ours that was running a statement
    // then emits an error nothing listens to (pg): we are exiting on purpose, so ignore those.
    process.on('uncaughtException', (e) => {
      if (!/Connection terminated|terminating connection/i.test(e.message)) throw e;
    });
    // True when nothing remains: dropped, or never created.
    const dropped = (creating ?? Promise.reject(new Error('not started'))).then(
      (c) =>
        c.drop().then(
          () => true,
          () => false,
        ),
      () => true,
    );
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<boolean>((done) => {
      timer = setTimeout(() => done(false), INTERRUPT_DROP_WAIT_MS);
    });
    void Promise.race([dropped, waited]).then((ok) => {
      clearTimeout(timer);
      // A second signal may have ended things already (the handlers are gone then).
      if (!exited) exit(signal, ok ? 'scratch copy removed' : mayRemain());
    });
  }
  if (options.handleSignals) for (const s of SCRATCH_SIGNALS) process.on(s, onSignal);
  try {
    creating = createScratch(options);
    const copy = await creating;
    created = copy;
    options.onCreated?.(copy);
    const result = await fn(copy, abort.signal);
    if (interrupted) return never;
    return result;
  } catch (e) {
    // The signal handler ends the process: report nothing of what the interruption broke.
    if (interrupted) return never;
    throw e;
  } finally {
    const copy = await creating?.catch(() => undefined);
    if (!interrupted) {
      await copy?.drop();
      remove();
    }
  }
}
