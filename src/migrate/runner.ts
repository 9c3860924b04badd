import type { Database, Session } from '../db/index.js';
import { ChatDbError } from '../errors.js';
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
 */
export async function withMigrationLock<T>(
  db: Database,
  fn: (s: Session) => Promise<T>,
  options: { readonly log?: MigrationLog } = {},
): Promise<T> {
  return db.withSession(async (s) => {
    const free = await s.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
      MIGRATION_LOCK_KEY,
    ]);
    if (free.rows[0]?.ok !== true) {
      options.log?.(`waiting for another migration run to finish (advisory lock ${MIGRATION_LOCK_KEY})`);
      await s.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    }
    try {
      return await fn(s);
    } finally {
      // If this fails the connection is gone, and the session's lock with it.
      await s.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
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
  return withMigrationLock(
    db,
    async (s) => {
      if (!options.dryRun) await ensureHistoryTable(s);
      return upOn(s, migrations, await readHistory(s), options);
    },
    options,
  );
}

/** Rolls back applied migrations, newest first: `steps` of them (default 1), or all newer than `to`. */
export async function down(db: Database, options: DownOptions): Promise<RunResult> {
  const migrations = options.migrations ?? loadMigrations(options.dir);
  return withMigrationLock(
    db,
    async (s) => {
      await ensureHistoryTable(s);
      return downOn(s, migrations, await readHistory(s), options);
    },
    options,
  );
}

/**
 * Rolls back the newest applied migration and applies it again (to test its down section). Every
 * check of both steps (edited or missing files, an empty section, transaction control) passes
 * before anything is rolled back, so a refusal never leaves the migration rolled back.
 */
export async function redo(db: Database, options: MigrateOptions): Promise<RunResult> {
  const migrations = options.migrations ?? loadMigrations(options.dir);
  return withMigrationLock(
    db,
    async (s) => {
      await ensureHistoryTable(s);
      const history = await readHistory(s);
      const last = history.at(-1);
      if (!last) throw new ChatDbError('migration_missing', 'nothing to redo: no migration has been applied');
      const back = planDown(migrations, history, { ...options, steps: 1 });
      const again = planUp(migrations, history.slice(0, -1), { ...options, only: new Set([last.version]) });
      const rolled = await rollBack(s, back, options);
      const applied = await applyPending(s, again.pending, options);
      return { steps: [...rolled, ...applied], warnings: again.warnings, dryRun: false };
    },
    options,
  );
}

/** `up` on a session that already holds the lock (for `init` and `redo`). */
export async function upOn(
  s: Session,
  migrations: readonly Migration[],
  history: readonly AppliedMigration[],
  options: UpOptions,
): Promise<RunResult> {
  const { pending, warnings } = planUp(migrations, history, options);
  if (options.dryRun) {
    for (const m of pending) (options.log ?? quiet)(`would apply ${m.file}`);
    return { steps: pending.map((m) => stepOf(m, 0)), warnings, dryRun: true };
  }
  return { steps: await applyPending(s, pending, options), warnings, dryRun: false };
}

/** Applies planned migrations in order, each in its own transaction with its schema_migrations row. */
async function applyPending(
  s: Session,
  pending: readonly Migration[],
  options: MigrateOptions,
): Promise<StepResult[]> {
  const log = options.log ?? quiet;
  const steps: StepResult[] = [];
  for (const m of pending) {
    await checkBeforeApply(s, m);
    log(`applying ${m.file} ...`);
    const ms = await runSection(s, m, 'up', (q, dur) => recordApplied(q, m, dur));
    steps.push(stepOf(m, ms));
    log(`applied  ${m.file} (${formatMs(ms)})`);
  }
  return steps;
}

async function downOn(
  s: Session,
  migrations: readonly Migration[],
  history: readonly AppliedMigration[],
  options: DownOptions,
): Promise<RunResult> {
  const targets = planDown(migrations, history, options);
  return { steps: await rollBack(s, targets, options), warnings: [], dryRun: false };
}

/** Runs the down sections of planned migrations in order, each removing its schema_migrations row. */
async function rollBack(
  s: Session,
  targets: readonly Migration[],
  options: MigrateOptions,
): Promise<StepResult[]> {
  const log = options.log ?? quiet;
  const steps: StepResult[] = [];
  for (const m of targets) {
    log(`rolling back ${m.file} ...`);
    const ms = await runSection(s, m, 'down', (q) => recordRolledBack(q, m.version));
    steps.push(stepOf(m, ms));
    log(`rolled back ${m.file} (${formatMs(ms)})`);
  }
  return steps;
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
