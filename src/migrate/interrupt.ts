import type { Database } from '../db/index.js';
import { ChatDbError } from '../errors.js';
import type { Section } from './apply.js';
import type { Migration } from './files.js';

/** What a run has done so far, to say it when the run is interrupted. */
export interface RunProgress {
  readonly section: Section;
  /** Files whose section ran to the end (committed), in the order run. */
  readonly done: string[];
  /** The migration whose section is running, if any. */
  current?: Migration;
  /** Files the run was to run, in order (set once its checks passed). */
  planned: readonly string[];
}

export const newProgress = (section: Section): RunProgress => ({ section, done: [], planned: [] });

/**
 * Cancels what the session with backend `pid` runs once `signal` fires (Postgres only), from a
 * second connection of the pool, so the migration's transaction rolls back on the server instead
 * of running on with its locks after the CLI is gone. Cancelling is repeated every 250 ms until
 * the returned stop function is called, because a cancel that arrives between two statements is
 * lost; ROLLBACK and the unlock are never cancelled. PGlite runs in this process: nothing to cancel,
 * the run stops before the next migration.
 */
export function cancelOnAbort(db: Database, pid: number, signal: AbortSignal | undefined): () => void {
  if (!signal || db.kind !== 'postgres' || !Number.isInteger(pid)) return () => undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const cancel = (): void => {
    if (stopped) return;
    void db
      .query(
        `SELECT pg_cancel_backend(pid) FROM pg_stat_activity
          WHERE pid = $1 AND state = 'active' AND query !~* '^\\s*(rollback|select pg_advisory_unlock)'`,
        [pid],
      )
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = setTimeout(cancel, 250);
      });
  };
  if (signal.aborted) cancel();
  else signal.addEventListener('abort', cancel, { once: true });
  return () => {
    stopped = true;
    clearTimeout(timer);
    signal.removeEventListener('abort', cancel);
  };
}

const list = (files: readonly string[]): string => (files.length > 0 ? files.join(', ') : 'none');

/**
 * The `migration_interrupted` error of a run stopped by its signal: which migration was stopped
 * and rolled back, and what had been applied (or rolled back) before.
 */
export function interruptedError(progress: RunProgress, locked: boolean, cause: unknown): ChatDbError {
  const up = progress.section === 'up';
  const m = progress.current;
  const transactional = m && (up ? m.transaction : m.downTransaction);
  let stopped: string;
  if (!locked) stopped = 'stopped while waiting for the migration lock, before running anything';
  else if (!m) stopped = 'stopped between two migrations';
  else if (transactional)
    stopped = up
      ? `${m.file} was stopped and rolled back (nothing of it is applied)`
      : `the roll-back of ${m.file} was stopped and undone (it stays applied)`;
  else
    stopped =
      `${m.file} was stopped part-way: it runs outside a transaction (transaction:false), so the ` +
      `statements before the interrupted one stay done; it is still recorded as ${up ? 'not applied' : 'applied'}`;
  const before = `${up ? 'applied' : 'rolled back'} before: ${list(progress.done)}`;
  const left = progress.planned.filter((f) => !progress.done.includes(f) && f !== m?.file);
  const notRun = left.length > 0 ? `; not run: ${list(left)}` : '';
  return new ChatDbError('migration_interrupted', `${stopped}; ${before}${notRun}`, { cause });
}
