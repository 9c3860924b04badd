/**
 * `purge`: deletes what retention allows, target by target (the trash past retention, optionally
 * idle sessions; more targets plug in as PurgeTargetSpecs), in batches. Each batch is one
 * statement (its own short transaction) that locks its rows with FOR UPDATE SKIP LOCKED, so two
 * runs share the work instead of waiting on each other, a session being written to is left for
 * the next run, and a run stopped between batches loses nothing: rerun it.
 */

import { RETENTION_DAYS_RANGE } from '../defaults.js';
import { invalidInput } from '../errors.js';
import type { Sql } from './sql-errors.js';
import type { PurgeOptions, PurgeResult, PurgeTarget, PurgeTargetSpec } from './types-lifecycle.js';
import * as v from './validate.js';

/** Rows deleted per batch: 500 sessions (with their messages) is a short transaction. */
export const DEFAULT_PURGE_BATCH = 500;
export const MAX_PURGE_BATCH = 10_000;

const DAYS = `$1::double precision * interval '1 day'`;

/**
 * One batch ($2) of the sessions trashed at least $1 days ago, oldest first: the ids by
 * chat_sessions_trashed_at_idx, locked (SKIP LOCKED), then deleted by primary key (ARRAY(...):
 * a join here would scan chat_sessions).
 */
export const PURGE_TRASHED_SQL = `
DELETE FROM chat_sessions WHERE id = ANY (ARRAY(
  SELECT id FROM chat_sessions WHERE trashed_at < now() - ${DAYS}
  ORDER BY trashed_at LIMIT $2 FOR UPDATE SKIP LOCKED))`;

export const COUNT_TRASHED_SQL = `SELECT count(*) AS n FROM chat_sessions WHERE trashed_at < now() - ${DAYS}`;

/**
 * Sessions not changed for $1 days: chat_sessions_updated_at_idx, longest idle first. Those the
 * trash target deletes ($3: its age) are left to it, so a dry run does not count them twice.
 */
export const PURGE_IDLE_SQL = `
DELETE FROM chat_sessions WHERE id = ANY (ARRAY(
  SELECT id FROM chat_sessions
  WHERE updated_at < now() - ${DAYS}
    AND (trashed_at IS NULL OR trashed_at >= now() - $3::double precision * interval '1 day')
  ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED))`;

export const COUNT_IDLE_SQL = `SELECT count(*) AS n FROM chat_sessions
  WHERE updated_at < now() - ${DAYS}
    AND (trashed_at IS NULL OR trashed_at >= now() - $2::double precision * interval '1 day')`;

const days = (name: string, value: unknown, min: number, fallback?: number): number =>
  v.int(name, value, min, RETENTION_DAYS_RANGE.max, fallback);

/** The sessions targets: the trash past retention (always), idle sessions (when asked for). */
export function sessionTargets(sql: Sql, retentionDays: number): PurgeTargetSpec[] {
  const count = async (text: string, params: unknown[]) =>
    Number((await sql.query<{ n: unknown }>(text, params)).rows[0]?.n ?? 0);
  const trashedDays = (o: Readonly<Record<string, unknown>>) =>
    days('trashedOlderThanDays', o.trashedOlderThanDays, 0, retentionDays);
  return [
    {
      options: ['trashedOlderThanDays'],
      make: (o) => {
        const d = trashedDays(o);
        return {
          name: 'trashedSessions',
          count: () => count(COUNT_TRASHED_SQL, [d]),
          deleteBatch: async (limit) => (await sql.query(PURGE_TRASHED_SQL, [d, limit])).rowCount,
        };
      },
    },
    {
      options: ['idleSessionsOlderThanDays'],
      make: (o) => {
        if (o.idleSessionsOlderThanDays === undefined) return null;
        const d = days('idleSessionsOlderThanDays', o.idleSessionsOlderThanDays, RETENTION_DAYS_RANGE.min);
        const t = trashedDays(o);
        return {
          name: 'idleSessions',
          count: () => count(COUNT_IDLE_SQL, [d, t]),
          deleteBatch: async (limit) => (await sql.query(PURGE_IDLE_SQL, [d, limit, t])).rowCount,
        };
      },
    },
  ];
}

const COMMON_KEYS = ['batchSize', 'dryRun', 'signal', 'onProgress'];

/**
 * The purge function over `specs`, in order. Every option is checked before the first batch, so
 * bad options change nothing.
 */
export function createPurge(specs: readonly PurgeTargetSpec[]) {
  return async (rawOptions?: PurgeOptions | null): Promise<PurgeResult> => {
    const options = v.options(rawOptions, [...COMMON_KEYS, ...specs.flatMap((s) => s.options)]) as Record<
      string,
      unknown
    >;
    const batchSize = v.int('batchSize', options.batchSize, 1, MAX_PURGE_BATCH, DEFAULT_PURGE_BATCH);
    const dryRun = options.dryRun ?? false;
    if (typeof dryRun !== 'boolean') throw invalidInput('dryRun', 'must be a boolean');
    const signal = options.signal as AbortSignal | undefined;
    if (signal !== undefined && !(signal instanceof AbortSignal))
      throw invalidInput('signal', 'must be an AbortSignal');
    const onProgress = options.onProgress as PurgeOptions['onProgress'];
    if (onProgress !== undefined && typeof onProgress !== 'function')
      throw invalidInput('onProgress', 'must be a function');
    const targets = specs.map((s) => s.make(options)).filter((t): t is PurgeTarget => t !== null);

    const counts: Record<string, number> = {};
    let batches = 0;
    let interrupted = false;
    for (const target of targets) {
      counts[target.name] = 0;
      if (dryRun) {
        const n = await target.count();
        counts[target.name] = n;
        onProgress?.({ target: target.name, batch: 0, deleted: n, total: n });
        continue;
      }
      for (;;) {
        // A turn of the event loop between batches: on the embedded database a batch may settle
        // without one, and a signal handler (Ctrl-C) only runs in one.
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
        if (signal?.aborted) {
          interrupted = true;
          break;
        }
        const n = await target.deleteBatch(batchSize);
        batches += 1;
        counts[target.name] = (counts[target.name] ?? 0) + n;
        onProgress?.({ target: target.name, batch: batches, deleted: n, total: counts[target.name] ?? 0 });
        if (n < batchSize) break;
      }
      if (interrupted) break;
    }
    return { dryRun, interrupted, batches, counts };
  };
}
