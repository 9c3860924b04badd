/**
 * Types of the trash's retention and of `purge` (docs/library.md, "purge"): a run deletes what
 * retention allows, target by target, in batches.
 */

/** Options of `purge`. */
export interface PurgeOptions {
  /** Delete sessions trashed at least this many days ago (0..36,500). Default: the retention period. */
  readonly trashedOlderThanDays?: number;
  /** Also delete sessions (trashed or not) idle, i.e. not changed, for this many days (1..36,500). Default: off. */
  readonly idleSessionsOlderThanDays?: number;
  /**
   * Also delete guest accounts (auth scope) idle for this many days (1..36,500), with everything
   * they own: no token issued or used, no session changed in that time. Default: off.
   */
  readonly idleGuestsOlderThanDays?: number;
  /** Rows deleted per batch, each its own short transaction (1..10,000). Default DEFAULT_PURGE_BATCH (500). */
  readonly batchSize?: number;
  /** Count what a run would delete, delete nothing. */
  readonly dryRun?: boolean;
  /** Stops the run after the batch that is running (the result says `interrupted`). */
  readonly signal?: AbortSignal;
  /** Called after each batch (in a dry run: once per target, with its count). */
  readonly onProgress?: (progress: PurgeProgress) => void;
}

/** One batch done. */
export interface PurgeProgress {
  /** The target's name, as in `PurgeResult.counts`. */
  readonly target: string;
  /** The run's batch number, from 1 (0 in a dry run). */
  readonly batch: number;
  /** Rows this batch deleted (in a dry run: would delete). */
  readonly deleted: number;
  /** Rows of this target deleted so far. */
  readonly total: number;
}

/** What a run did. */
export interface PurgeResult {
  readonly dryRun: boolean;
  /** Stopped by `signal` before every target was done; rerunning finishes the work. */
  readonly interrupted: boolean;
  /** Batches run (0 in a dry run). */
  readonly batches: number;
  /**
   * Rows deleted (a dry run: that would be) per target that ran: `trashedSessions`, and
   * `idleSessions` when asked for. A session's messages, citations and feedback go with it.
   */
  readonly counts: Readonly<Record<string, number>>;
}

/** One kind of row a purge deletes. */
export interface PurgeTarget {
  /** Its key in `PurgeResult.counts` (camelCase). */
  readonly name: string;
  /** How many rows a run would delete now. */
  count(): Promise<number>;
  /** Deletes at most `limit` rows in one short transaction (rows locked by others are skipped); how many. */
  deleteBatch(limit: number): Promise<number>;
}

/**
 * A target of `purge`, made from its options: the option names it reads (besides the common ones)
 * and a function that checks them and returns the target, or null when they leave it off.
 */
export interface PurgeTargetSpec {
  readonly options: readonly string[];
  make(options: Readonly<Record<string, unknown>>): PurgeTarget | null;
}
