import type { Queryable } from '../db/index.js';
import { loadMigrations, type Migration } from './files.js';
import { type AppliedMigration, readHistory } from './history.js';

/** applied; pending (file not applied); edited (applied, file changed since); missing (applied, no file). */
export type MigrationState = 'applied' | 'pending' | 'edited' | 'missing';

export interface StatusEntry {
  readonly version: string;
  readonly name: string | null;
  readonly file: string | null;
  readonly state: MigrationState;
  readonly appliedAt: Date | null;
  /** Pending and older than the newest applied migration (a merged branch). */
  readonly outOfOrder: boolean;
  /** Applied by another tool (dbmate): no checksum to compare. */
  readonly unverified: boolean;
}

/** Counts: `applied` includes edited ones; `pending` includes out-of-order ones. */
export interface StatusReport {
  readonly entries: StatusEntry[];
  readonly applied: number;
  readonly pending: number;
  readonly edited: number;
  readonly missing: number;
}

export interface StatusOptions {
  /** Migrations directory. */
  readonly dir: string;
  /** Its parsed files, when the caller loaded them already. */
  readonly migrations?: readonly Migration[];
}

/**
 * Compares the files with schema_migrations. Read-only: creates nothing, takes no lock.
 * Example: `const { pending } = await status(db, { dir: 'migrations' })`.
 */
export async function status(db: Queryable, options: StatusOptions): Promise<StatusReport> {
  return compare(options.migrations ?? loadMigrations(options.dir), await readHistory(db));
}

/** The status of each version found in the files or in the history, oldest first (no database). */
export function compare(
  migrations: readonly Migration[],
  history: readonly AppliedMigration[],
): StatusReport {
  const files = new Map(migrations.map((m) => [m.version, m]));
  const applied = new Map(history.map((h) => [h.version, h]));
  const newest = history.at(-1)?.version ?? '';
  const versions = [...new Set([...files.keys(), ...applied.keys()])].sort();
  const entries = versions.map((v): StatusEntry => {
    const m = files.get(v);
    const h = applied.get(v);
    const state: MigrationState = !h
      ? 'pending'
      : !m
        ? 'missing'
        : h.checksum && h.checksum !== m.checksum
          ? 'edited'
          : 'applied';
    return {
      version: v,
      name: m?.name ?? h?.name ?? null,
      file: m?.file ?? null,
      state,
      appliedAt: h?.appliedAt ?? null,
      outOfOrder: state === 'pending' && v < newest,
      unverified: h !== undefined && m !== undefined && !h.checksum,
    };
  });
  const count = (s: MigrationState) => entries.filter((e) => e.state === s).length;
  return {
    entries,
    applied: count('applied') + count('edited'),
    pending: count('pending'),
    edited: count('edited'),
    missing: count('missing'),
  };
}
