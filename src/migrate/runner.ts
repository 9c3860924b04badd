import type { Database, Session } from '../db/index.js';
import { ChatDbError, isChatDbError } from '../errors.js';
import { runSection } from './apply.js';
import { loadMigrations, type Migration } from './files.js';
import {
  type AppliedMigration,
  ensureHistoryTable,
  MIGRATION_LOCK_KEY,
  readHistory,
  recordApplied,
  recordRolledBack,
} from './history.js';
import { cancelOnAbort, interruptedError, newProgress, type RunProgress } from './interrupt.js';
import { planDown, planUp } from './plan.js';
import { checkBeforeApply } from './preflight.js';

/** Where a run reports progress and warnings, one line at a time. Default: nothing. */
export type MigrationLog = (line: string) => void;

export interface MigrateOptions {
  /** Migrations directory (e.g. `DEFAULT_MIGRATIONS_DIR`). */
  readonly dir: string;
  /** The parsed files of `dir`, when the caller loaded them already (`loadMigrations`). */
  readonly migrations?: readonly Migration[];
  /** Progress: one line per migration started and finished, with its duration. */
  readonly log?: MigrationLog;
  /** Warnings (out-of-order files, applied files that are gone). Default: `log`. */
  readonly warn?: MigrationLog;
  /**
   * Stops the run: on Postgres the running statement is cancelled on the server and its
   * transaction rolls back; nothing more runs, the lock is released, and the run rejects with a
   * `migration_interrupted` error saying what was stopped and what was done before.
   */
  readonly signal?: AbortSignal;
}

export interface UpOptions extends MigrateOptions {
  /** Apply pending migrations up to and including this version. */
  readonly to?: string;
  /** Report what would be applied; change nothing (not even create schema_migrations). */
  readonly dryRun?: boolean;
  /** Refuse a pending migration older than the newest applied one instead of warning. */
  readonly strict?: boolean;
  /** Apply migrations that have no down section. */
  readonly allowIrreversible?: boolean;
  /** Only these versions, in version order and with no out-of-order warning (used by `init`). */
  readonly only?: ReadonlySet<string>;
}

export interface DownOptions extends MigrateOptions {
  /** How many applied migrations to roll back, newest first. Default 1. */
  readonly steps?: number;
  /** Instead: roll back every migration newer than this version (`0`: all). */
  readonly to?: string;
}

export interface StepResult {
  readonly version: string;
  readonly name: string;
  readonly file: string;
  readonly durationMs: number;
}

export interface RunResult {
  /** Migrations applied (up) or rolled back (down), in the order run; the planned ones with dryRun. */
  readonly steps: StepResult[];
  readonly warnings: string[];
  readonly dryRun: boolean;
}

const quiet: MigrationLog = () => undefined;

/**
 * Runs `fn` on one session holding chatdb's advisory lock (`MIGRATION_LOCK_KEY`), so two runners
 * never overlap; waits for a runner that holds it (and says so on `log`). Released in `finally`.
 * With `signal`, see `MigrateOptions.signal`; `progress` is what the interruption error reports.
 */
export async function withMigrationLock<T>(
  db: Database,
  fn: (s: Session) => Promise<T>,
  options: {
    readonly log?: MigrationLog;
    readonly signal?: AbortSignal;
    readonly progress?: RunProgress;
  } = {},
): Promise<T> {
  return db.withSession(async (s) => {
    const free = await s.query<{ ok: boolean; pid: number }>(
      'SELECT pg_try_advisory_lock($1) AS ok, pg_backend_pid() AS pid',
      [MIGRATION_LOCK_KEY],
    );
    let locked = free.rows[0]?.ok === true;
    const stopCancelling = cancelOnAbort(db, Number(free.rows[0]?.pid), options.signal);
    try {
      if (!locked) {
        options.log?.(`waiting for another migration run to finish (advisory lock ${MIGRATION_LOCK_KEY})`);
        await s.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        locked = true;
      }
      options.signal?.throwIfAborted();
      return await fn(s);
    } catch (e) {
      if (options.signal?.aborted && !isChatDbError(e, 'migration_interrupted'))
        throw interruptedError(options.progress ?? newProgress('up'), locked, e);
      throw e;
    } finally {
      stopCancelling();
      // If this fails the connection is gone, and the session's lock with it.
      if (locked) await s.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  });
}

/**
 * Applies pending migrations, oldest first, each in its own transaction with its schema_migrations
 * row. Files are parsed before the database is touched; the applied versions are read after the
 * lock is taken, so concurrent runners apply each migration once.
 * Example: `await up(db, { dir: 'migrations', log: console.log })`.
 */
export async function up(db: Database, options: UpOptions): Promise<RunResult> {
  const migrations = options.migrations ?? loadMigrations(options.dir);
  const progress = newProgress('up');
  return withMigrationLock(
    db,
    async (s) => {
      if (!options.dryRun) await ensureHistoryTable(s);
      return upOn(s, migrations, await readHistory(s), options, progress);
    },
    { ...options, progress },
  );
}

/** Rolls back applied migrations, newest first: `steps` of them (default 1), or all newer than `to`. */
export async function down(db: Database, options: DownOptions): Promise<RunResult> {
  const migrations = options.migrations ?? loadMigrations(options.dir);
  const progress = newProgress('down');
  return withMigrationLock(
    db,
    async (s) => {
      await ensureHistoryTable(s);
      const targets = planDown(migrations, await readHistory(s), options);
      return { steps: await rollBack(s, targets, options, progress), warnings: [], dryRun: false };
    },
    { ...options, progress },
  );
}

/**
 * Rolls back the newest applied migration and applies it again (to test its down section). Every
 * check of both steps (edited or missing files, an empty section, transaction control) passes
 * before anything is rolled back, so a refusal never leaves the migration rolled back.
 */
export async function redo(db: Database, options: MigrateOptions): Promise<RunResult> {
  const migrations = options.migrations ?? loadMigrations(options.dir);
  let progress = newProgress('down');
  return withMigrationLock(
    db,
    async (s) => {
      await ensureHistoryTable(s);
      const history = await readHistory(s);
      const last = history.at(-1);
      if (!last) throw new ChatDbError('migration_missing', 'nothing to redo: no migration has been applied');
      const back = planDown(migrations, history, { ...options, steps: 1 });
      const again = planUp(migrations, history.slice(0, -1), { ...options, only: new Set([last.version]) });
      const rolled = await rollBack(s, back, options, progress);
      progress = newProgress('up');
      const applied = await applyPending(s, again.pending, options, progress);
      return { steps: [...rolled, ...applied], warnings: again.warnings, dryRun: false };
    },
    {
      ...options,
      // Read when an interruption is reported: the step that is running then.
      get progress() {
        return progress;
      },
    },
  );
}

/** `up` on a session that already holds the lock (for `init` and `redo`). */
export async function upOn(
  s: Session,
  migrations: readonly Migration[],
  history: readonly AppliedMigration[],
  options: UpOptions,
  progress = newProgress('up'),
): Promise<RunResult> {
  const { pending, warnings } = planUp(migrations, history, options);
  if (options.dryRun) {
    for (const m of pending) (options.log ?? quiet)(`would apply ${m.file}`);
    return { steps: pending.map((m) => stepOf(m, 0)), warnings, dryRun: true };
  }
  return { steps: await applyPending(s, pending, options, progress), warnings, dryRun: false };
}

/** Applies planned migrations in order, each in its own transaction with its schema_migrations row. */
async function applyPending(
  s: Session,
  pending: readonly Migration[],
  options: MigrateOptions,
  progress: RunProgress,
): Promise<StepResult[]> {
  const log = options.log ?? quiet;
  const steps: StepResult[] = [];
  progress.planned = pending.map((m) => m.file);
  for (const m of pending) {
    await stopIfAborted(options.signal);
    await checkBeforeApply(s, m);
    log(`applying ${m.file} ...`);
    progress.current = m;
    const ms = await runSection(s, m, 'up', (q, dur) => recordApplied(q, m, dur));
    progress.current = undefined;
    progress.done.push(m.file);
    steps.push(stepOf(m, ms));
    log(`applied  ${m.file} (${formatMs(ms)})`);
  }
  return steps;
}

/** Runs the down sections of planned migrations in order, each removing its schema_migrations row. */
async function rollBack(
  s: Session,
  targets: readonly Migration[],
  options: MigrateOptions,
  progress: RunProgress,
): Promise<StepResult[]> {
  const log = options.log ?? quiet;
  const steps: StepResult[] = [];
  progress.planned = targets.map((m) => m.file);
  for (const m of targets) {
    await stopIfAborted(options.signal);
    log(`rolling back ${m.file} ...`);
    progress.current = m;
    const ms = await runSection(s, m, 'down', (q) => recordRolledBack(q, m.version));
    progress.current = undefined;
    progress.done.push(m.file);
    steps.push(stepOf(m, ms));
    log(`rolled back ${m.file} (${formatMs(ms)})`);
  }
  return steps;
}

/**
 * Throws when the run was interrupted. Yields to the event loop first: PGlite runs its statements
 * in this thread without one, so a signal's handler would otherwise only run after the last migration.
 */
async function stopIfAborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return;
  await new Promise((resolve) => setImmediate(resolve));
  signal.throwIfAborted();
}

const stepOf = (m: Migration, durationMs: number): StepResult => ({
  version: m.version,
  name: m.name,
  file: m.file,
  durationMs: Math.round(durationMs),
});

/** `12 ms`, `1.25 s`. */
export const formatMs = (ms: number): string =>
  ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
