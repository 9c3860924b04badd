/**
 * `sessions.list`: the list (pinned first, then most recently active), the archive view and the
 * trash, each a keyset walk on one partial index (docs/library.md, "sessions"), with opaque cursors.
 */
import { invalidInput } from '../errors.js';
import { SESSION_COLUMNS, toSession } from './rows.js';
import type { Sql } from './sql-errors.js';
import type { ChatSession, SessionListOptions, SessionPage } from './types.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

/** Page size of `sessions.list`: default 20, at most 100. */
export const DEFAULT_SESSION_PAGE = 20;
export const MAX_SESSION_PAGE = 100;

/** Which sessions a walk lists: the list, the archive view or the trash. */
export type SessionView = 'list' | 'archive' | 'trash';
const VIEW_CODES: Record<SessionView, string> = { list: 'l', archive: 'a', trash: 't' };

/**
 * Where a walk is: the last session listed (its updated_at, or trashed_at in the trash, its id and
 * whether it is pinned), the walk's snapshot and updatedSince, and its view.
 */
export interface CursorState {
  readonly updatedAt: Date;
  readonly id: string;
  readonly snapshotAt: Date | null;
  readonly updatedSince: Date | null;
  readonly pinned: boolean;
  readonly view: SessionView;
}

const iso = (d: Date | null): string => (d ? d.toISOString() : '');

/**
 * The opaque cursor after `s`: base64url of its sort key (updated_at, or trashed_at in the trash,
 * ISO with ms; id), the walk's snapshot and updatedSince (empty when null), then the view and
 * pinned (`l1`: list, pinned), so every page of a walk answers alike.
 */
export const encodeCursor = (
  s: ChatSession,
  walk: Partial<Pick<CursorState, 'snapshotAt' | 'updatedSince' | 'view'>> = {},
): string => {
  const view = walk.view ?? 'list';
  const at = view === 'trash' && s.trashedAt ? s.trashedAt : s.updatedAt;
  return Buffer.from(
    `${at.toISOString()}|${s.id}|${iso(walk.snapshotAt ?? null)}|${iso(walk.updatedSince ?? null)}|${VIEW_CODES[view]}${s.pinned ? 1 : 0}`,
    'utf8',
  ).toString('base64url');
};

/** Reads a cursor back; anything that `encodeCursor` did not make is invalid_input. */
export function decodeCursor(cursor: string): CursorState {
  const bad = () => invalidInput('cursor', 'is not a cursor this API returned');
  if (typeof cursor !== 'string' || cursor.length > 300 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  // Only the one spelling encodeCursor makes (base64url lets trailing bits vary).
  if (Buffer.from(text, 'utf8').toString('base64url') !== cursor) throw bad();
  const parts = text.split('|');
  // Two parts: a cursor from before walks carried a snapshot; four: from before pins (the list).
  if (parts.length !== 2 && parts.length !== 4 && parts.length !== 5) throw bad();
  const [at, id, snap = '', since = '', flags = 'l0'] = parts;
  const instant = (text: string | undefined, optional: boolean): Date | null => {
    if (optional && text === '') return null;
    const d = new Date(text ?? '');
    if (!v.isDateInRange(d) || d.toISOString() !== text) throw bad();
    return d;
  };
  const updatedAt = instant(at, false) as Date;
  if (!v.isUuid(id)) throw bad();
  const view = (Object.keys(VIEW_CODES) as SessionView[]).find((k) => VIEW_CODES[k] === flags[0]);
  if (!view || !/^[lat][01]$/.test(flags)) throw bad();
  return {
    updatedAt,
    id,
    snapshotAt: instant(snap, true),
    updatedSince: instant(since, true),
    pinned: flags[1] === '1',
    view,
  };
}

/** The list's rows: the caller's, in the list ($3 false) or the archive view ($3 true), not trashed. */
const LISTED = 'user_id = $1 AND archived = $3::boolean AND trashed_at IS NULL';

/**
 * The newest updated_at of the view when a walk begins (its snapshot): pinned first breaks
 * "the first row is the newest", so the newest pinned and the newest unpinned, each the first
 * entry of its part of chat_sessions_user_list_idx.
 */
const ORDER_BY = 'ORDER BY pinned DESC, updated_at DESC, id DESC';
const newestOf = (pinned: boolean) =>
  `(SELECT updated_at FROM chat_sessions WHERE ${LISTED} AND pinned = ${pinned} ${ORDER_BY} LIMIT 1)`;
// In the index's order, so no other index (chat_sessions_updated_at_idx) looks cheaper.
const NEWEST = `GREATEST(${newestOf(true)}, ${newestOf(false)}) AS newest`;

const ORDER = `${ORDER_BY} LIMIT $2`;

/**
 * First page of a user's list ($3 false) or archive view ($3 true): chat_sessions_user_list_idx
 * (user_id, archived, pinned DESC, updated_at DESC, id DESC) WHERE trashed_at IS NULL, no sort.
 */
export const SESSIONS_FIRST_SQL = `SELECT ${SESSION_COLUMNS}, ${NEWEST} FROM chat_sessions WHERE ${LISTED} ${ORDER}`;

/**
 * The page after a cursor ($4 updated_at, $5 id, $6 pinned): the row comparison, in the index's
 * order (all three descending), is an index condition on the same index.
 */
export const SESSIONS_AFTER_SQL = `SELECT ${SESSION_COLUMNS} FROM chat_sessions
  WHERE ${LISTED} AND (pinned, updated_at, id) < ($6::boolean, $4::timestamptz, $5::uuid) ${ORDER}`;

/**
 * A page of the sessions updated since $7 (the recovery walk), first page or after a cursor (the
 * first page passes pinned, 'infinity' and the greatest uuid): both bounds are index conditions
 * on chat_sessions_user_list_idx, in its order.
 */
export const SESSIONS_SINCE_SQL = `SELECT ${SESSION_COLUMNS}, ${NEWEST} FROM chat_sessions
  WHERE ${LISTED} AND (pinned, updated_at, id) < ($6::boolean, $4::timestamptz, $5::uuid)
    AND updated_at >= $7::timestamptz ${ORDER}`;

/**
 * A page of the trash: sessions trashed less than $5 days ago, newest trashed first, after
 * ($3 trashed_at, $4 id): chat_sessions_user_trash_idx (user_id, trashed_at DESC, id DESC)
 * (the trashed rows of a user one range of it), both bounds index conditions.
 */
export const SESSIONS_TRASH_SQL = `SELECT ${SESSION_COLUMNS} FROM chat_sessions
  WHERE user_id = $1 AND trashed_at IS NOT NULL
    AND trashed_at > now() - $5::double precision * interval '1 day'
    AND (trashed_at, id) < ($3::timestamptz, $4::uuid)
  ORDER BY trashed_at DESC, id DESC LIMIT $2`;

const LAST_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
const DAY_MS = 86_400_000;

const flag = (name: string, x: unknown): boolean => {
  if (x === undefined || x === null) return false;
  if (typeof x !== 'boolean') throw invalidInput(name, 'must be a boolean');
  return x;
};

/** `sessions.list` (see SessionsModule); `retentionDays` bounds the trash and sets `purgeAt`. */
export async function listSessions(
  sql: Sql,
  retentionDays: number,
  userId: string,
  rawOptions: SessionListOptions | null | undefined,
): Promise<SessionPage> {
  const owner = v.userId(userId);
  const options = v.options(rawOptions, ['limit', 'cursor', 'updatedSince', 'archived', 'trashed']);
  const limit = v.limit(options.limit, MAX_SESSION_PAGE, DEFAULT_SESSION_PAGE);
  const archived = flag('archived', options.archived);
  const trashed = flag('trashed', options.trashed);
  if (archived && trashed) throw invalidInput('trashed', 'give archived or trashed, not both');
  const view: SessionView = trashed ? 'trash' : archived ? 'archive' : 'list';
  const after = options.cursor ? decodeCursor(options.cursor) : null;
  if (after && after.view !== view)
    throw invalidInput('cursor', `belongs to the ${after.view} view, not the ${view} view`);
  const given =
    options.updatedSince === undefined || options.updatedSince === null
      ? null
      : v.date('updatedSince', options.updatedSince);
  if (given && view === 'trash')
    throw invalidInput('updatedSince', 'the trash is not walked by updatedSince');
  if (after && given && after.updatedSince?.getTime() !== given.getTime())
    throw invalidInput('updatedSince', 'differs from the one of the walk its cursor belongs to');

  if (view === 'trash') {
    const r = await sql.query<Row>(
      SESSIONS_TRASH_SQL,
      [owner, limit + 1, after ? after.updatedAt : 'infinity', after ? after.id : LAST_UUID, retentionDays],
      'user',
    );
    const data = r.rows.slice(0, limit).map((row) => {
      const s = toSession(row);
      return { ...s, purgeAt: new Date((s.trashedAt as Date).getTime() + retentionDays * DAY_MS) };
    });
    const last = data.at(-1);
    return {
      data,
      nextCursor: r.rows.length > limit && last ? encodeCursor(last, { view }) : null,
      snapshotAt: null,
    };
  }

  const since = after ? after.updatedSince : given;
  const r = since
    ? await sql.query<Row>(
        SESSIONS_SINCE_SQL,
        [
          owner,
          limit + 1,
          archived,
          after ? after.updatedAt : 'infinity',
          after ? after.id : LAST_UUID,
          after ? after.pinned : true,
          since,
        ],
        'user',
      )
    : after
      ? await sql.query<Row>(
          SESSIONS_AFTER_SQL,
          [owner, limit + 1, archived, after.updatedAt, after.id, after.pinned],
          'user',
        )
      : await sql.query<Row>(SESSIONS_FIRST_SQL, [owner, limit + 1, archived], 'user');
  const data = r.rows.slice(0, limit).map(toSession);
  // The walk's snapshot is fixed by its first page: the newest session of the view then (or, for
  // a walk of what moved, its updatedSince when nothing had).
  const newest = (r.rows[0]?.newest as Date | null | undefined) ?? null;
  const snapshotAt = after ? after.snapshotAt : since ? (newest && newest >= since ? newest : since) : newest;
  const last = data.at(-1);
  return {
    data,
    nextCursor:
      r.rows.length > limit && last ? encodeCursor(last, { snapshotAt, updatedSince: since, view }) : null,
    snapshotAt,
  };
}
