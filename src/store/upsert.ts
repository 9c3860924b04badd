/**
 * Saving messages by their client id (the AI SDK's): `upsert` of one message and `saveMany` of a
 * path, each one statement under the session's row lock, so concurrent saves to a session queue
 * and seq stays gap-free. An unchanged message is not written (no seq, no updated_at change).
 */
import { invalidInput } from '../errors.js';
import { newId } from './ids.js';
import * as parts from './parts.js';
import { toMessage } from './rows.js';
import type { Sql } from './sql-errors.js';
import type { JsonObject, MessagePart, MessageStatus, Role, UpsertInput, UpsertResult } from './types.js';
import { type CheckedUsage, checkUsage, NO_USAGE } from './usage.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

/** At most this many messages in one `saveMany`. */
export const MAX_SAVE_MANY = 10_000;

/** A message as it is stored: checked, with what chatdb derives from the parts. */
export interface Checked {
  readonly clientId: string;
  readonly role: Role;
  readonly parts: MessagePart[];
  readonly metadata: JsonObject;
  /** undefined: not given, in a `saveMany`: a stored message keeps its status, a new one is complete. */
  readonly status: MessageStatus | undefined;
  readonly content: string;
  readonly citations: v.NormalizedCitation[];
  /** undefined: not given; null: a root; else the parent's client id. */
  readonly parentId: string | null | undefined;
  /** undefined: not given (a stored message keeps its usage); else what is stored (NO_USAGE clears). */
  readonly usage: CheckedUsage | undefined;
}

const UPSERT_KEYS = ['id', 'role', 'parts', 'metadata', 'status', 'parentId', 'usage'];

/**
 * Checks one message of an upsert (at `path`, for the messages of a list). A message saved alone
 * without a status is `complete` (its final save); in a list (`keepStatus`), one without a status
 * keeps the stored one: the history a client sends back again (the AI SDK's UIMessage has no
 * status) must not turn an aborted reply into a complete one.
 */
export function checkUpsert(raw: unknown, path = 'message', keepStatus = false): Checked {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw invalidInput(path, 'must be an object');
  v.knownKeys(raw, UPSERT_KEYS, path === 'message' ? undefined : path);
  const input = raw as UpsertInput;
  const list = parts.parts(input.parts);
  return {
    clientId: parts.clientId('id', input.id),
    role: v.role(input.role),
    parts: list,
    metadata: input.metadata === undefined ? {} : v.metadata('metadata', input.metadata),
    status: keepStatus ? parts.optionalStatus(input.status) : parts.status(input.status),
    content: parts.contentOf(list),
    citations: parts.citationsOf(list),
    parentId:
      input.parentId === undefined || input.parentId === null
        ? input.parentId
        : parts.clientId('parent_id', input.parentId),
    usage: checkUsage(input.usage, path === 'message' ? 'usage' : `${path}.usage`),
  };
}

/**
 * The save, one round trip: chatdb_save_messages (migration 20261203000008_chatdb_chat_save_function,
 * replaced by 20261204000001 and 20261204000003) locks the caller's session, finds each message by
 * its client id (messages_user_client_id_key), inserts the new ones (next seq, citations) and
 * replaces the changed ones (their citations again when the parts changed; with a usage, the
 * session's token totals move by the difference), leaves the unchanged ones unwritten, writes the
 * session's row once (counters, the last message as the leaf), and returns the messages in order
 * with `created`, as it read or wrote them. Not found (the session, the parent) and conflicts come back
 * as SQLSTATE CDB04 and CDB09 (mapSqlError). $1 session, $2 user, $3 the messages, $4 whether the
 * first one's parent is given, $5 that parent's client id (null: a root), $6 'leaf' or 'root' (the
 * parent of a new first message without one), $7 the bound in ms on the session's row lock.
 */
export const SAVE_SQL = `SELECT * FROM chatdb_save_messages($1::uuid, $2::text, $3::jsonb, $4::boolean, $5::text, $6::text,
  $7::integer)`;

/**
 * Saves `list` as a path in one statement: each message's parent is the one before it; list[0]'s
 * is its `parentId` when given, else as stored, and for a new one the session's leaf (`first` =
 * 'leaf') or none ('root'). The last becomes the leaf.
 */
export async function savePath(
  sql: Sql,
  userId: string,
  sessionId: string,
  list: readonly Checked[],
  first: 'leaf' | 'root',
): Promise<UpsertResult[]> {
  const session = v.uuid('session', sessionId);
  const owner = v.userId(userId);
  const seen = new Set<string>();
  for (const [i, m] of list.entries()) {
    if (seen.has(m.clientId)) throw invalidInput(`messages[${i}].id`, `duplicate id ${m.clientId}`);
    seen.add(m.clientId);
  }
  const rows = (
    await sql.queryAsIs<Row>(SAVE_SQL, saveParams(session, owner, list, first, sql.lockTimeoutMs), 'session')
  ).rows;
  return rows.map((r) => ({ message: toMessage(r), created: r.created === true }));
}

/** SAVE_SQL's parameters for a checked path (`savePath`), each new message with a new id. */
export function saveParams(
  session: string,
  owner: string,
  list: readonly Checked[],
  first: 'leaf' | 'root',
  lockTimeoutMs: number,
): unknown[] {
  const parent = list[0]?.parentId;
  const messages = list.map((m) => ({
    client_id: m.clientId,
    role: m.role,
    parts: m.parts,
    metadata: m.metadata,
    status: m.status ?? null,
    content: m.content,
    citations: m.citations,
    usage: m.usage !== undefined,
    ...(m.usage ?? NO_USAGE),
    new_id: newId(),
  }));
  return [
    session,
    owner,
    JSON.stringify(messages),
    parent !== undefined,
    parent ?? null,
    first,
    lockTimeoutMs,
  ];
}
