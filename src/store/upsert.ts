/**
 * Saving messages by their client id (the AI SDK's): `upsert` of one message and `saveMany` of a
 * path, each one transaction under the session's row lock, so concurrent saves to a session queue
 * and seq stays gap-free. An unchanged message is not written (no seq, no updated_at change).
 */
import { uuidv7 } from 'uuidv7';
import { ChatDbError, invalidInput, notFound } from '../errors.js';
import * as parts from './parts.js';
import { CITATIONS_OF_M, MESSAGE_SELECT, toMessage } from './rows.js';
import type { Sql } from './sql-errors.js';
import type { JsonObject, MessagePart, MessageStatus, Role, UpsertInput, UpsertResult } from './types.js';
import { type CheckedUsage, checkUsage, NO_USAGE, usageParams } from './usage.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

/** At most this many messages in one `saveMany`. */
export const MAX_SAVE_MANY = 10_000;

/** A message as it is stored: checked, with what chatdb derives from the parts. */
interface Checked {
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

/** The caller's session, locked: concurrent saves and appends to it wait here. */
const LOCK_SQL = `SELECT id, user_id::text AS owner, leaf_message_id::text AS leaf
  FROM chat_sessions WHERE id = $1::uuid AND user_id = $2 AND trashed_at IS NULL FOR UPDATE`;

/**
 * The stored messages among those being saved ($2: [{ i, client_id, parts, metadata, status,
 * usage?, model, input_tokens, output_tokens, latency_ms }]), found by messages_user_client_id_key,
 * and whether each is unchanged (jsonb equality ignores key order, so a client that reorders keys
 * changes nothing; usage counts only when given). After the lock: a fresh snapshot.
 */
const FIND_SQL = `
SELECT x.i, m.id::text AS id, m.session_id::text AS session_id, m.role, m.parent_id::text AS parent_id,
       (m.parts = x.parts AND m.metadata = x.metadata AND m.status = coalesce(x.status, m.status)
        AND (NOT x.usage OR (m.model IS NOT DISTINCT FROM x.model AND m.input_tokens IS NOT DISTINCT FROM x.input_tokens
             AND m.output_tokens IS NOT DISTINCT FROM x.output_tokens AND m.latency_ms IS NOT DISTINCT FROM x.latency_ms)))
         AS same_all,
       (m.parts = x.parts) AS same_parts
FROM jsonb_to_recordset($2::jsonb) AS x(i int, client_id text, parts jsonb, metadata jsonb, status text,
  usage boolean, model text, input_tokens integer, output_tokens integer, latency_ms integer)
JOIN messages m ON m.user_id = $1 AND m.client_id = x.client_id`;

/** A parent named by its client id, in this session. */
const PARENT_SQL = `SELECT id::text AS id FROM messages WHERE user_id = $1 AND client_id = $2 AND session_id = $3::uuid`;

const CITATION_RECORD = `x(citation_index integer, document_id text, chunk_id text, score double precision,
  excerpt text, metadata jsonb)`;

/**
 * A new message: the next seq of the locked session, its citations, the session's counters (count
 * and token totals). $1 id, $2 session, $3 role, $4 content, $5 metadata, $6 client id, $7 parts,
 * $8 status, $9 parent, $10 citations, $11 model, $12 input tokens, $13 output tokens, $14 latency.
 */
const INSERT_SQL = `
WITH ins AS (
  INSERT INTO messages (id, session_id, seq, role, content, metadata, user_id, client_id, parts, status, parent_id,
                        model, input_tokens, output_tokens, latency_ms)
  SELECT $1::uuid, s.id, s.message_count + 1, $3::text, $4::text, $5::jsonb, s.user_id, $6::text, $7::jsonb,
         $8::text, $9::uuid, $11::text, $12::integer, $13::integer, $14::integer
  FROM chat_sessions s WHERE s.id = $2::uuid
  RETURNING id, session_id, seq, user_id, created_at, input_tokens, output_tokens
), cit AS (
  INSERT INTO message_citations (message_id, user_id, citation_index, document_id, chunk_id, score, excerpt, metadata)
  SELECT ins.id, ins.user_id, x.citation_index, x.document_id, x.chunk_id, x.score, x.excerpt, x.metadata
  FROM ins CROSS JOIN jsonb_to_recordset($10::jsonb) AS ${CITATION_RECORD}
), bump AS (
  UPDATE chat_sessions cs SET message_count = ins.seq,
    last_message_at = GREATEST(cs.last_message_at, ins.created_at),
    input_tokens = cs.input_tokens + coalesce(ins.input_tokens, 0),
    output_tokens = cs.output_tokens + coalesce(ins.output_tokens, 0)
  FROM ins WHERE cs.id = ins.session_id
)
SELECT id FROM ins`;

/**
 * A replaced message: its columns, its citations dropped (they are inserted again next), and, when
 * a usage is given ($7), its usage replaced and the session's token totals moved by the difference
 * (`old` reads the row as it was before this statement; no write when the tokens are the same).
 * $8 model, $9 input tokens, $10 output tokens, $11 latency.
 */
const REPLACE_SQL = `
WITH old AS (
  SELECT session_id, coalesce(input_tokens, 0) AS input_tokens, coalesce(output_tokens, 0) AS output_tokens
  FROM messages WHERE id = $1::uuid
), upd AS (
  UPDATE messages SET parts = $2::jsonb, metadata = $3::jsonb, status = coalesce($4::text, status), content = $5::text,
    model = CASE WHEN $7::boolean THEN $8::text ELSE model END,
    input_tokens = CASE WHEN $7::boolean THEN $9::integer ELSE input_tokens END,
    output_tokens = CASE WHEN $7::boolean THEN $10::integer ELSE output_tokens END,
    latency_ms = CASE WHEN $7::boolean THEN $11::integer ELSE latency_ms END
  WHERE id = $1::uuid RETURNING id
), totals AS (
  UPDATE chat_sessions cs
  SET input_tokens = cs.input_tokens + coalesce($9::integer, 0) - old.input_tokens,
      output_tokens = cs.output_tokens + coalesce($10::integer, 0) - old.output_tokens
  FROM old
  WHERE $7::boolean AND cs.id = old.session_id
    AND (old.input_tokens <> coalesce($9::integer, 0) OR old.output_tokens <> coalesce($10::integer, 0))
)
DELETE FROM message_citations c WHERE $6::boolean AND c.message_id = $1::uuid`;

const CITATIONS_SQL = `
INSERT INTO message_citations (message_id, user_id, citation_index, document_id, chunk_id, score, excerpt, metadata)
SELECT m.id, m.user_id, x.citation_index, x.document_id, x.chunk_id, x.score, x.excerpt, x.metadata
FROM messages m CROSS JOIN jsonb_to_recordset($2::jsonb) AS ${CITATION_RECORD}
WHERE m.id = $1::uuid`;

/** Moves the leaf (no write, so no updated_at bump, when it is there already). */
const LEAF_SQL = `UPDATE chat_sessions SET leaf_message_id = $2::uuid
  WHERE id = $1::uuid AND leaf_message_id IS DISTINCT FROM $2::uuid`;

const READ_SQL = `SELECT ${MESSAGE_SELECT}, ${CITATIONS_OF_M} AS citations FROM messages m WHERE m.id = ANY($1::uuid[])`;

interface Found {
  readonly id: string;
  readonly sessionId: string;
  readonly role: string;
  readonly parentId: string | null;
  readonly sameAll: boolean;
  readonly sameParts: boolean;
}

/**
 * Saves `list` as a path in one transaction: each message's parent is the one before it; list[0]'s
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
  return sql.transaction(async (tx) => {
    const s = (await tx.query<Row>(LOCK_SQL, [session, owner], 'session')).rows[0];
    if (!s) throw notFound('session');
    const ownerKey = String(s.owner);
    const probe = list.map((m, i) => ({
      i,
      client_id: m.clientId,
      parts: m.parts,
      metadata: m.metadata,
      status: m.status ?? null,
      usage: m.usage !== undefined,
      ...(m.usage ?? NO_USAGE),
    }));
    const found = new Map<number, Found>();
    for (const row of (await tx.query<Row>(FIND_SQL, [ownerKey, JSON.stringify(probe)], 'session')).rows)
      found.set(Number(row.i), {
        id: String(row.id),
        sessionId: String(row.session_id),
        role: String(row.role),
        parentId: row.parent_id === null ? null : String(row.parent_id),
        sameAll: row.same_all === true,
        sameParts: row.same_parts === true,
      });

    const ids: string[] = [];
    const created: boolean[] = [];
    let previous: string | null | undefined;
    for (const [i, m] of list.entries()) {
      // The parent this message must have: undefined = whatever is stored (or the leaf / a root).
      let parent: string | null | undefined = previous;
      if (i === 0) {
        if (m.parentId === null) parent = null;
        else if (m.parentId === undefined) parent = undefined;
        else {
          const p = await tx.query<Row>(PARENT_SQL, [ownerKey, m.parentId, session], 'session');
          if (!p.rows[0]) throw notFound('parent message');
          parent = String(p.rows[0].id);
        }
      }
      const old = found.get(i);
      if (old) {
        if (old.sessionId !== session)
          throw new ChatDbError('conflict', `message id ${m.clientId} is used in another session`);
        if (old.role !== m.role)
          throw new ChatDbError(
            'conflict',
            `message ${m.clientId} is a ${old.role} message; its role cannot change`,
          );
        if (parent !== undefined && parent !== old.parentId)
          throw new ChatDbError(
            'conflict',
            `message ${m.clientId} has another parent; a parent cannot change`,
          );
        if (!old.sameAll) {
          await tx.query(
            REPLACE_SQL,
            [
              old.id,
              JSON.stringify(m.parts),
              JSON.stringify(m.metadata),
              m.status ?? null,
              m.content,
              !old.sameParts,
              m.usage !== undefined,
              ...usageParams(m.usage),
            ],
            'session',
          );
          if (!old.sameParts && m.citations.length > 0)
            await tx.query(CITATIONS_SQL, [old.id, JSON.stringify(m.citations)], 'session');
        }
        ids.push(old.id);
        created.push(false);
      } else {
        const id = uuidv7();
        const parentOf =
          parent === undefined ? (first === 'leaf' ? (s.leaf as string | null) : null) : parent;
        await tx.query(
          INSERT_SQL,
          [
            id,
            session,
            m.role,
            m.content,
            JSON.stringify(m.metadata),
            m.clientId,
            JSON.stringify(m.parts),
            m.status ?? 'complete',
            parentOf,
            JSON.stringify(m.citations),
            ...usageParams(m.usage),
          ],
          'session',
        );
        ids.push(id);
        created.push(true);
      }
      previous = ids[i];
    }
    const last = ids.at(-1);
    if (last !== undefined) await tx.query(LEAF_SQL, [session, last], 'session');
    const rows = (await tx.query<Row>(READ_SQL, [ids], 'session')).rows;
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    return ids.map((id, i) => ({ message: toMessage(byId.get(id) as Row), created: created[i] === true }));
  });
}
