/**
 * Appending a message: `append` for a user id, `appendAs` for the holder of a bearer token (the
 * token checked in the same statement). One round trip each, idempotent with a key.
 */
import { createHash } from 'node:crypto';
import { hashToken, isTokenShaped } from '../auth/token.js';
import { type PgError, pgCode } from '../db/errors.js';
import { ChatDbError, invalidInput, notFound } from '../errors.js';
import { newId } from './ids.js';
import { CITATIONS_OF_M, MESSAGE_SELECT, toMessage, toUser, USER_COLUMNS } from './rows.js';
import type { Sql } from './sql-errors.js';
import type { AppendAsResult, AppendResult, MessageInput } from './types.js';
import { checkUsage, recorded, usageParams } from './usage.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

/**
 * Append in one round trip: chatdb_append_message (migration 20261203000006_chatdb_chat_append_function)
 * runs the append statement inside a PL/pgSQL function, whose plan the server keeps per connection
 * instead of planning it on every append (docs/design.md, "The append and the token look-up are
 * functions"). It locks the
 * caller's session row (FOR UPDATE: concurrent appends queue there, and each sees the count and leaf
 * the previous one committed), finds an earlier message with the same idempotency key, or else
 * inserts the message (seq = message_count + 1, the content as one text part, the owner's user_id,
 * the uuid as its client id, the session's leaf as its parent) and its citations, and moves the
 * session's counters, leaf and last_message_at (GREATEST: created_at is now(), the start of the
 * transaction, so an append that waited behind a later-started one does not move it back). No row
 * comes back when the session is not the caller's.
 * $1 session, $2 user, $3 message id (UUIDv7), $4 role, $5 content, $6 selected_text, $7 metadata,
 * $8 idempotency key, $9 request hash, $10 citations, $11 model, $12 input tokens, $13 output tokens,
 * $14 latency (ms); the usage parameters are null when not recorded; $15 the bound in ms on the wait
 * for the session's row lock (0: none), which lets the statement run as it is, in one round trip.
 */
export const APPEND_SQL = `SELECT * FROM chatdb_append_message($1::uuid, $2::text, $3::uuid, $4::text, $5::text,
  $6::text, $7::jsonb, $8::text, $9::text, $10::jsonb, $11::text, $12::integer, $13::integer, $14::integer,
  $15::integer)`;

/** The message a key already names (after losing a race on messages_idempotency_key_idx). */
const BY_KEY_SQL = `
SELECT ${MESSAGE_SELECT}, m.request_hash, ${CITATIONS_OF_M} AS citations
FROM messages m JOIN chat_sessions s ON s.id = m.session_id
WHERE m.session_id = $1::uuid AND s.user_id = $2 AND s.trashed_at IS NULL AND m.idempotency_key = $3`;

/**
 * APPEND_SQL behind the token check: chatdb_append_message_as (migration
 * 20261204000002_chatdb_link_append_as_to_auth) finds the token's active user, then appends as that
 * user, in one function whose plans the server keeps. $2 is the token's SHA-256; the other
 * parameters are APPEND_SQL's. No row: not a valid token (nothing written); a row without
 * `created`: not the user's session.
 */
export const APPEND_AS_SQL = `SELECT * FROM chatdb_append_message_as($2::bytea, $1::uuid, $3::uuid, $4::text, $5::text,
  $6::text, $7::jsonb, $8::text, $9::text, $10::jsonb, $11::text, $12::integer, $13::integer, $14::integer,
  $15::integer)`;

const MESSAGE_KEYS = ['role', 'content', 'selectedText', 'metadata', 'citations', 'idempotencyKey', 'usage'];

/** JSON with object keys sorted, so equal requests hash equally whatever their key order. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    const entries = Object.entries(x as Record<string, unknown>)
      .filter(([, val]) => val !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, val]) => `${JSON.stringify(k)}:${canonical(val)}`).join(',')}}`;
  }
  return JSON.stringify(x);
}

/** SHA-256 (hex) of the canonical JSON of what an append stores. */
export const requestHash = (body: unknown): string =>
  createHash('sha256').update(canonical(body)).digest('hex');

function replayed(row: Row, hash: string | null): AppendResult {
  if (row.request_hash !== hash)
    throw new ChatDbError('conflict', 'idempotency key already used for a different message');
  return { message: toMessage(row), created: false };
}

/** Checks an append: the parameters after the owner ($3 to $14), the idempotency key and the request's hash. */
function checkAppend(input: MessageInput) {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw invalidInput('message', 'must be an object');
  v.knownKeys(input, MESSAGE_KEYS);
  const role = v.role(input.role);
  const body = {
    role,
    content: v.messageContent(role, input.content),
    selected_text: v.optionalText('selected_text', input.selectedText, v.LIMITS.selectedText),
    metadata: input.metadata === undefined ? {} : v.metadata('metadata', input.metadata),
    citations: v.citations(input.citations),
    // Hashed only when it records something: a retry of a request from before usage existed,
    // or with `usage: null`, still matches.
    usage: recorded(checkUsage(input.usage)),
  };
  const key = v.idempotencyKey(input.idempotencyKey);
  const hash = key === null ? null : requestHash(body);
  const rest = [
    newId(),
    body.role,
    body.content,
    body.selected_text,
    JSON.stringify(body.metadata),
    key,
    hash,
    JSON.stringify(body.citations),
    ...usageParams(body.usage),
  ];
  return { rest, key, hash };
}

/**
 * Runs an append statement as it is, in one round trip, its last parameter the bound on its lock
 * wait (the database's statement timeout). A concurrent append with the same key that won the race on
 * messages_idempotency_key_idx: the winner's message, found for `owner()`'s user.
 */
async function run(
  sql: Sql,
  text: string,
  params: unknown[],
  checked: { key: string | null; hash: string | null },
  session: string,
  owner: () => Promise<string | null>,
): Promise<Row[] | AppendResult> {
  try {
    return (await sql.queryAsIs<Row>(text, [...params, sql.lockTimeoutMs], 'session')).rows;
  } catch (e) {
    const pe = (e as { cause?: unknown }).cause ?? e;
    if (
      checked.key !== null &&
      pgCode(pe) === '23505' &&
      (pe as PgError).constraint === 'messages_idempotency_key_idx'
    ) {
      const user = await owner();
      const again =
        user === null ? undefined : await sql.query<Row>(BY_KEY_SQL, [session, user, checked.key], 'session');
      if (again?.rows[0]) return replayed(again.rows[0], checked.hash);
    }
    throw e;
  }
}

/** The result of an append statement's row (none, or no `created`: not the caller's session). */
function result(row: Row | undefined, hash: string | null): AppendResult {
  if (!row || row.created === null || row.created === undefined) throw notFound('session');
  return row.created === true ? { message: toMessage(row), created: true } : replayed(row, hash);
}

/** `messages.append`. */
export async function append(sql: Sql, userId: string, sessionId: string, input: MessageInput) {
  const session = v.uuid('session', sessionId);
  const owner = v.userId(userId);
  const checked = checkAppend(input);
  const rows = await run(
    sql,
    APPEND_SQL,
    [session, owner, ...checked.rest],
    checked,
    session,
    async () => owner,
  );
  return Array.isArray(rows) ? result(rows[0], checked.hash) : rows;
}

/** `messages.appendAs`. */
export async function appendAs(
  sql: Sql,
  token: string,
  sessionId: string,
  input: MessageInput,
): Promise<AppendAsResult | null> {
  const session = v.uuid('session', sessionId);
  const checked = checkAppend(input);
  if (!isTokenShaped(token)) return null;
  const tokenHash = hashToken(token);
  // Only after losing an idempotency race: the token's user, to read the winner's message.
  let raced: Row | undefined;
  const owner = async () => {
    const r = await sql.query<Row>(`SELECT ${USER_COLUMNS} FROM chatdb_resolve_token($1::bytea)`, [
      tokenHash,
    ]);
    raced = r.rows[0];
    return raced ? String(raced.id) : null;
  };
  const rows = await run(sql, APPEND_AS_SQL, [session, tokenHash, ...checked.rest], checked, session, owner);
  if (!Array.isArray(rows)) return raced ? { ...rows, user: toUser(raced) } : null;
  const row = rows[0];
  if (!row) return null;
  const user = toUser({
    id: row.token_user_id,
    email: row.token_user_email,
    is_guest: row.token_user_is_guest,
    is_active: row.token_user_is_active,
    created_at: row.token_user_created_at,
    updated_at: row.token_user_updated_at,
  });
  return { ...result(row, checked.hash), user };
}
