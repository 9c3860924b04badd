/**
 * Guest accounts (docs/design.md, "Guests"): creating one, upgrading one to a registered user, and
 * finding and deleting the idle ones in batches (what `chatdb purge` runs).
 */
import type { Passwords } from '../auth/password.js';
import { ChatDbError, invalidInput, notFound } from '../errors.js';
import { toUser, USER_COLUMNS } from './rows.js';
import type { Sql } from './sql-errors.js';
import type { GuestMethods, IdleGuestsOptions, PurgeGuestsBatchOptions } from './types-guests.js';
import type { PurgeTargetSpec } from './types-lifecycle.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

/** `olderThanDays` range: a day to a century. */
export const IDLE_DAYS_RANGE = { min: 1, max: 36_500 } as const;
/** `batchSize` range and default. */
export const GUEST_BATCH_RANGE = { min: 1, max: 10_000, default: 1000 } as const;

/**
 * The upgrade, one statement: the UPDATE changes the row only while it is still a guest (a
 * concurrent upgrade waits for the row lock, then sees is_guest false and changes nothing);
 * `found` tells an unknown id (no row at all) from a user that is not a guest (found, not updated).
 */
export const UPGRADE_SQL = `WITH up AS (
    UPDATE users SET email = $2, hashed_password = $3, is_guest = false
    WHERE id = $1::uuid AND is_guest RETURNING ${USER_COLUMNS}
  )
  SELECT up.*, EXISTS (SELECT 1 FROM users WHERE id = $1::uuid) AS found
  FROM (SELECT 1) one LEFT JOIN up ON true`;

/**
 * A guest `u` is idle when it was created before the cutoff ($1 days ago), its row has not changed
 * since, no token of its was issued or used since (tokens.resolve writes last_used_at at most once
 * a minute), and, with the chat scope, none of its sessions changed since (every append, rename or
 * branch switch touches the session's updated_at): an app that acts for guests without tokens is
 * still seen. The candidates come from users_guest_created_at_idx, oldest first; the anti-joins
 * use auth_tokens_user_id_idx and chat_sessions_user_trash_idx (its user_id prefix).
 */
export const idleGuestsWhere = (withChat: boolean): string => `u.is_guest
    AND u.created_at < now() - make_interval(days => $1)
    AND u.updated_at < now() - make_interval(days => $1)
    AND NOT EXISTS (SELECT 1 FROM auth_tokens t WHERE t.user_id = u.id
      AND (t.created_at >= now() - make_interval(days => $1) OR t.last_used_at >= now() - make_interval(days => $1)))${
        withChat
          ? `
    AND NOT EXISTS (SELECT 1 FROM chat_sessions s WHERE s.user_id = u.id
      AND s.updated_at >= now() - make_interval(days => $1))`
          : ''
      }`;

/** The statements, by whether the chat scope is installed (for the plans test and docs). */
export const GUEST_PURGE_SQL = {
  count: (withChat: boolean) => `SELECT count(*) AS n FROM users u WHERE ${idleGuestsWhere(withChat)}`,
  /** One batch, oldest first; rows another purge holds are skipped, so two purges do not queue. */
  batch: (withChat: boolean) => `WITH c AS (
    SELECT u.id FROM users u WHERE ${idleGuestsWhere(withChat)}
    ORDER BY u.created_at LIMIT $2 FOR UPDATE SKIP LOCKED
  ), d AS (DELETE FROM users x USING c WHERE x.id = c.id AND x.is_guest RETURNING x.id)
  SELECT count(*) AS n FROM d`,
  dryRun: (withChat: boolean) => `SELECT count(*) AS n FROM (
    SELECT u.id FROM users u WHERE ${idleGuestsWhere(withChat)} ORDER BY u.created_at LIMIT $2
  ) c`,
} as const;

/** createGuest and upgrade, for the users module. */
export function guestMethods(sql: Sql, passwords: Passwords): GuestMethods {
  return {
    async createGuest() {
      const r = await sql.query<Row>(`INSERT INTO users (is_guest) VALUES (true) RETURNING ${USER_COLUMNS}`);
      return toUser(r.rows[0] as Row);
    },

    async upgrade(userId, input) {
      const id = v.uuid('user', userId);
      const given = v.options(input, ['email', 'password'], 'input');
      const email = v.email(given.email);
      const hashed = await passwords.hash(v.password(given.password));
      const r = await sql.query<Row>(UPGRADE_SQL, [id, email, hashed], 'user');
      const row = r.rows[0] as Row;
      if (row.found !== true) throw notFound('user');
      if (row.id === null || row.id === undefined)
        throw new ChatDbError('conflict', 'the user is not a guest: it is registered already');
      return toUser(row);
    },
  };
}

const idleDays = (o: IdleGuestsOptions | undefined): number =>
  v.int('olderThanDays', o?.olderThanDays, IDLE_DAYS_RANGE.min, IDLE_DAYS_RANGE.max);

/** Whether the chat scope is installed (its sessions count as a guest's activity). */
async function hasChat(sql: Sql): Promise<boolean> {
  const r = await sql.query<Row>(`SELECT to_regclass('chat_sessions') IS NOT NULL AS has_chat`);
  return r.rows[0]?.has_chat === true;
}

/**
 * How many guests are idle for `olderThanDays` days (auth scope). Example:
 * `await countIdleGuests(sql, { olderThanDays: 30 })`.
 */
export async function countIdleGuests(sql: Sql, options: IdleGuestsOptions): Promise<number> {
  const days = idleDays(v.options(options, ['olderThanDays']));
  return countIdle(sql, days, await hasChat(sql));
}

const countIdle = async (sql: Sql, days: number, chat: boolean): Promise<number> =>
  Number((await sql.query<Row>(GUEST_PURGE_SQL.count(chat), [days])).rows[0]?.n ?? 0);

/** One batch (dry: counted only), with the chat scope's presence already known. */
const idleBatch = async (sql: Sql, days: number, size: number, dryRun: boolean, chat: boolean) =>
  Number(
    (await sql.query<Row>((dryRun ? GUEST_PURGE_SQL.dryRun : GUEST_PURGE_SQL.batch)(chat), [days, size]))
      .rows[0]?.n ?? 0,
  );

/**
 * Deletes one batch of idle guests, oldest first, with everything they own (ON DELETE CASCADE:
 * profile, tokens, sessions, messages, citations, feedback); returns how many. Call it until it
 * returns less than `batchSize`: each call is one short transaction, so an interrupted purge
 * has deleted whole batches and a rerun goes on. With `dryRun`, counts this batch and deletes
 * nothing (a dry run's total is `countIdleGuests`). Example:
 * `while ((await purgeIdleGuestsBatch(sql, { olderThanDays: 30 })) === 1000);`.
 */
export async function purgeIdleGuestsBatch(sql: Sql, options: PurgeGuestsBatchOptions): Promise<number> {
  const o = v.options(options, ['olderThanDays', 'batchSize', 'dryRun']);
  const days = idleDays(o);
  const size = v.int(
    'batchSize',
    o.batchSize,
    GUEST_BATCH_RANGE.min,
    GUEST_BATCH_RANGE.max,
    GUEST_BATCH_RANGE.default,
  );
  if (o.dryRun !== undefined && typeof o.dryRun !== 'boolean')
    throw invalidInput('dryRun', 'must be a boolean');
  return idleBatch(sql, days, size, o.dryRun === true, await hasChat(sql));
}

/**
 * `purge`'s third target, on with `idleGuestsOlderThanDays`: the idle guests, batch by batch (as
 * purgeIdleGuestsBatch), counted for a dry run (as countIdleGuests).
 */
export const guestTarget = (sql: Sql): PurgeTargetSpec => ({
  options: ['idleGuestsOlderThanDays'],
  make: (o) => {
    if (o.idleGuestsOlderThanDays === undefined) return null;
    const olderThanDays = v.int(
      'idleGuestsOlderThanDays',
      o.idleGuestsOlderThanDays,
      IDLE_DAYS_RANGE.min,
      IDLE_DAYS_RANGE.max,
    );
    // Whether the chat scope is there is asked once per run, not once per batch.
    let chat: Promise<boolean> | undefined;
    const withChat = () => (chat ??= hasChat(sql));
    return {
      name: 'idleGuests',
      count: async () => countIdle(sql, olderThanDays, await withChat()),
      deleteBatch: async (batchSize) => idleBatch(sql, olderThanDays, batchSize, false, await withChat()),
    };
  },
});
