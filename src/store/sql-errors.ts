/**
 * The one place where SQL errors a caller can cause become ChatDbErrors. Everything else
 * (connection loss, bugs) passes through unchanged for the caller to treat as a 5xx.
 */
import { type PgError, pgCode } from '../db/errors.js';
import type { Database, Queryable, QueryResult } from '../db/types.js';
import { ChatDbError, notFound } from '../errors.js';

/** Which constraint means which field, for the messages of check and uniqueness violations. */
const CONSTRAINT_FIELDS: Record<string, string> = {
  users_email_check: 'email',
  users_email_lower_key: 'email',
  chat_sessions_title_check: 'title',
  chat_sessions_user_id_check: 'user_id',
  messages_role_check: 'role',
  messages_idempotency_key_check: 'idempotency_key',
  messages_user_client_id_key: 'id',
  messages_client_id_check: 'id',
  messages_parts_check: 'parts',
  messages_status_check: 'status',
  chat_sessions_active_stream_id_check: 'active_stream_id',
  message_citations_score_check: 'score',
  message_feedback_rating_check: 'rating',
  message_feedback_comment_check: 'comment',
  message_feedback_tags_check: 'tags',
  message_citations_document_id_check: 'document_id',
  message_citations_citation_index_check: 'citation_index',
  user_profiles_preferred_language_check: 'preferred_language',
  user_profiles_experience_level_check: 'experience_level',
  user_profiles_software_background_check: 'software_background',
  user_profiles_hardware_background_check: 'hardware_background',
  // Indexes, named by Postgres on 54000 "index row size … exceeds btree … maximum" errors.
  message_citations_document_id_idx: 'document_id',
  message_citations_user_document_idx: 'document_id',
  chat_sessions_user_list_idx: 'user_id',
  chat_sessions_user_trash_idx: 'user_id',
  messages_idempotency_key_idx: 'idempotency_key',
};

/**
 * Data exceptions (class 22) that only a value the caller supplied can cause, with a message that
 * does not echo the value: datetime format, datetime overflow, time zone displacement, numeric range.
 * Others of the class (division by zero, a bad regular expression in our SQL) stay 5xx: bugs.
 */
const DATA_EXCEPTIONS: Record<string, string> = {
  '22007': 'is not a valid date/time',
  '22008': 'date/time is out of range',
  '22009': 'date/time is out of range',
  '22003': 'number is out of range',
};

const invalid = (path: string, message: string, cause: unknown): ChatDbError =>
  new ChatDbError('invalid_input', `${path}: ${message}`, { cause, details: [{ path, message }] });

const field = (e: PgError): string =>
  (e.constraint && CONSTRAINT_FIELDS[e.constraint]) || e.constraint?.replace(/_check$/, '') || 'input';

/** Why content cannot be stored: to_tsvector('english', content) for messages_user_content_fts_idx. */
export const TSVECTOR_LIMIT_MESSAGE =
  'has too many distinct words to index for full-text search (their index entry would exceed 1 MB)';

/** 54000 (program limit exceeded): an over-long tsvector (content) or index entry (its column). */
function limitExceeded(pe: PgError, cause: unknown): ChatDbError {
  if (/tsvector/.test(pe.message)) return invalid('content', TSVECTOR_LIMIT_MESSAGE, cause);
  const path = (pe.constraint && CONSTRAINT_FIELDS[pe.constraint]) || 'input';
  return invalid(path, 'is too large to index (at most about 2,700 bytes in UTF-8)', cause);
}

/**
 * Maps a driver error to a ChatDbError when the caller caused it:
 * 42P01 (schema not installed) and 42883 on a chatdb_ function (schema older than chatdb) ->
 * config_invalid; 22P02 (a malformed uuid) and 23503 (a missing
 * referenced row) -> not_found(`what`); CDB04 and CDB09 (raised by chatdb's functions) -> not_found
 * and conflict with the function's message; 23505 on the email index -> email_taken, other 23505 ->
 * conflict; 23514, 22001, 22021, 22P05, 22003, 22007, 22008, 22009, 54000 -> invalid_input.
 * Returns anything else unchanged.
 */
export function mapSqlError(e: unknown, what = 'record'): unknown {
  const code = pgCode(e);
  if (code === undefined || e instanceof ChatDbError) return e;
  const pe = e as PgError;
  switch (code) {
    case '42P01':
      return new ChatDbError(
        'config_invalid',
        `chatdb schema not installed (${pe.message}): run \`chatdb init --scope all\``,
        { cause: e },
      );
    case '42883':
      // A function of chatdb's that the database lacks: baseline files of this version not applied.
      if (!/chatdb_/.test(pe.message)) return e;
      return new ChatDbError(
        'config_invalid',
        `chatdb schema is older than this version of chatdb (${pe.message}): run \`chatdb init --scope all\` (or chat) to apply its new baseline files`,
        { cause: e },
      );
    // Raised by chatdb's functions (chatdb_save_messages): not found, naming what; a conflict, saying why.
    case 'CDB04':
      return new ChatDbError('not_found', notFound(pe.message).message, { cause: e });
    case 'CDB09':
      return new ChatDbError('conflict', pe.message, { cause: e });
    case '22P02':
    case '23503':
      return new ChatDbError('not_found', notFound(what).message, { cause: e });
    case '23505':
      if (pe.constraint === 'users_email_lower_key')
        return new ChatDbError('email_taken', 'email already registered', { cause: e });
      return new ChatDbError('conflict', `${field(pe)} already exists`, { cause: e });
    case '23514':
      return invalid(field(pe), 'violates a check constraint', e);
    case '22001':
      return invalid((pe as { column?: string }).column ?? 'input', 'value too long', e);
    case '22021':
    case '22P05':
      return invalid('input', 'contains characters Postgres cannot store (NUL)', e);
    case '54000':
      return limitExceeded(pe, e);
    default: {
      const message = DATA_EXCEPTIONS[code];
      return message === undefined ? e : invalid((pe as { column?: string }).column ?? 'input', message, e);
    }
  }
}

/** A Queryable whose errors go through `mapSqlError`; `what` names the thing a bad id points at. */
export interface Sql {
  query<R>(sql: string, params?: readonly unknown[], what?: string): Promise<QueryResult<R>>;
  /**
   * One statement in one round trip, for a statement that bounds its own lock waits by
   * `lockTimeoutMs` (the database's statement timeout; 0: none): `Database.queryAsIs`. Inside a
   * transaction, the transaction's own query.
   */
  queryAsIs<R>(sql: string, params?: readonly unknown[], what?: string): Promise<QueryResult<R>>;
  readonly lockTimeoutMs: number;
  /** Runs `fn` in a transaction (optionally REPEATABLE READ, for a consistent multi-query read). */
  transaction<T>(fn: (tx: Sql) => Promise<T>, isolation?: 'repeatable read'): Promise<T>;
}

/**
 * PGlite attaches the statement's parameters to its errors: they hold password hashes, token
 * hashes and message text, which must not reach a log through an error's `cause`.
 */
function scrub(e: unknown): unknown {
  if (e !== null && typeof e === 'object' && 'params' in e) Reflect.deleteProperty(e, 'params');
  return e;
}

const guardQueryable = (q: Queryable): Pick<Sql, 'query'> => ({
  async query<R>(sql: string, params: readonly unknown[] = [], what?: string) {
    try {
      return await q.query<R>(sql, params);
    } catch (e) {
      throw mapSqlError(scrub(e), what);
    }
  },
});

/** Wraps the database so every module statement maps caller-caused SQL errors the same way. */
export function guard(db: Database): Sql {
  const base = guardQueryable(db);
  return {
    ...base,
    queryAsIs: db.queryAsIs ? guardQueryable({ ...db, query: db.queryAsIs }).query : base.query,
    lockTimeoutMs: db.statementTimeoutMs ?? 0,
    async transaction<T>(fn: (tx: Sql) => Promise<T>, isolation?: 'repeatable read'): Promise<T> {
      try {
        return await db.transaction(async (tx) => {
          if (isolation) await tx.exec(`SET TRANSACTION ISOLATION LEVEL ${isolation.toUpperCase()}`);
          const { query } = guardQueryable(tx);
          const inner: Sql = {
            query,
            queryAsIs: query,
            lockTimeoutMs: 0,
            transaction: () => Promise.reject(new Error('nested transactions are not supported')),
          };
          return fn(inner);
        });
      } catch (e) {
        throw mapSqlError(e);
      }
    },
  };
}
