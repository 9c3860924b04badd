import type { Queryable } from '../db/index.js';
import { ChatDbError } from '../errors.js';
import type { Migration } from './files.js';

/** chatdb's link migration: chat_sessions.user_id (text) becomes a uuid foreign key to users. */
const LINK_NAME = 'chatdb_link_chat_to_auth';
/** Every text form Postgres's uuid input accepts: optional braces, a hyphen after any group of four digits. */
const UUID_TEXT = '^\\{?[0-9a-f]{4}(-?[0-9a-f]{4}){7}\\}?$';

const have = (n: number) => (n === 1 ? 'has' : 'have');

/**
 * Checks the data a migration is about to meet, right before it runs, where a failure would
 * otherwise be a bare cast or constraint error: chatdb's link migration needs every
 * chat_sessions.user_id to be the UUID of a row of users (installing auth after chat when the
 * sessions hold another provider's ids fails there). The error says how many do not and what to do.
 */
export async function checkBeforeApply(q: Queryable, m: Migration): Promise<void> {
  if (m.name !== LINK_NAME) return;
  const exists = await q.query<{ sessions: string | null; users: string | null }>(
    "SELECT to_regclass('chat_sessions')::text AS sessions, to_regclass('users')::text AS users",
  );
  if (!exists.rows[0]?.sessions) return;
  // CASE, not AND: Postgres may evaluate AND's sides in any order, and the cast fails on a non-UUID.
  const noUser = exists.rows[0]?.users
    ? 'CASE WHEN user_id::text ~* $1 THEN NOT EXISTS (SELECT 1 FROM users WHERE users.id = user_id::uuid) END'
    : 'user_id::text ~* $1';
  const { rows } = await q.query<{ not_uuid: number; no_user: number }>(
    `SELECT count(*) FILTER (WHERE user_id::text !~* $1) AS not_uuid, count(*) FILTER (WHERE ${noUser}) AS no_user
       FROM chat_sessions`,
    [UUID_TEXT],
  );
  const notUuid = rows[0]?.not_uuid ?? 0;
  const unmatched = rows[0]?.no_user ?? 0;
  if (notUuid === 0 && unmatched === 0) return;
  const problems = [
    notUuid > 0
      ? `${notUuid} ${have(notUuid)} a user_id that is not a UUID (an id from another auth provider?)`
      : '',
    unmatched > 0 ? `${unmatched} ${have(unmatched)} a UUID that is no row of users` : '',
  ].filter(Boolean);
  throw new ChatDbError(
    'migration_failed',
    `${m.file}: cannot link chat sessions to users: the migration makes chat_sessions.user_id a uuid ` +
      `foreign key to users(id), but of the existing chat sessions ${problems.join(' and ')}. Set ` +
      'their user_id to the id of a chatdb user (UPDATE chat_sessions SET user_id = …) or delete them, ' +
      'then run chatdb up again; or, to keep your own auth provider, install only the chat scope',
  );
}
