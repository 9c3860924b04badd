/**
 * Errors a caller can cause carry a stable `code`; the CLI prints their message, the HTTP layer maps
 * the code to a status (see `src/http/errors.ts`). Anything that is not a ChatDbError is a bug or an
 * infrastructure failure and is reported generically.
 */
export type ErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'email_taken'
  | 'invalid_credentials'
  | 'conflict'
  | 'unauthorized'
  | 'config_invalid'
  | 'db_unavailable'
  | 'migration_invalid'
  | 'migration_failed'
  | 'migration_edited'
  | 'migration_missing'
  | 'migration_pending'
  | 'migration_out_of_order'
  | 'migration_irreversible'
  | 'migration_interrupted'
  | 'lint_failed'
  | 'verify_failed';

export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

export class ChatDbError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[];

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: readonly ErrorDetail[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ChatDbError';
    this.code = code;
    this.details = options?.details ?? [];
  }
}

export const isChatDbError = (e: unknown, code?: ErrorCode): e is ChatDbError =>
  e instanceof ChatDbError && (code === undefined || e.code === code);

/** An `invalid_input` error for one field. */
export const invalidInput = (path: string, message: string): ChatDbError =>
  new ChatDbError('invalid_input', `${path}: ${message}`, { details: [{ path, message }] });

export const notFound = (what: string): ChatDbError => new ChatDbError('not_found', `${what} not found`);
