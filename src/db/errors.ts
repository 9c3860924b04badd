import { ChatDbError } from '../errors.js';

/** The fields Postgres (and both drivers) put on a server error. */
export interface PgError {
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: string;
  constraint?: string;
}

export const isPgError = (e: unknown): e is PgError =>
  e instanceof Error && typeof (e as { code?: unknown }).code === 'string';

export const pgCode = (e: unknown): string | undefined => (isPgError(e) ? e.code : undefined);

const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/**
 * What Neon's proxy says, as SQLSTATE XX000, while a suspended compute wakes up or its control plane
 * is briefly unreachable: worth a retry. Any other XX000 from it ("endpoint is disabled", "endpoint
 * not found", a quota exceeded) will not get better by waiting and is not retried.
 */
const NEON_TRANSIENT =
  /couldn't connect to compute node|failed to connect to (the )?compute node|console request failed|retry request|waiting for (the )?endpoint to become active|compute node is (starting|waking)/i;

/**
 * True when the error means "the server is not reachable right now" (down, restarting, a Neon
 * compute waking up): worth a retry, and a 503 rather than a 500.
 */
export function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (TRANSIENT_NODE_CODES.has(code)) return true;
    // 08: connection exception; 57P01..57P03: admin shutdown, crash shutdown, cannot connect now.
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
    if (code === 'XX000') return NEON_TRANSIENT.test(e.message);
  }
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    e.message,
  );
}

/** Why a connection attempt failed, in words (no stack, no password). */
/** Node's codes for a server certificate that does not verify against the trusted CAs. */
const UNTRUSTED_CERT_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function connectionReason(e: unknown): string {
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  // pg_hba.conf has only hostssl lines for this client (Neon: always).
  if (code === '28000' && /no encryption/.test(message))
    return 'the server refuses connections without TLS: add sslmode=require (or verify-full) to the URL';
  if (code === '28P01' || code === '28000') return 'authentication failed (wrong user or password?)';
  if (code !== undefined && UNTRUSTED_CERT_CODES.has(code))
    return `the server's TLS certificate is not trusted (${message}): name its CA with sslrootcert=/path/to/ca.crt in the URL, or in NODE_EXTRA_CA_CERTS`;
  if (/server does not support SSL/i.test(message))
    return 'the server does not accept TLS, but the URL asks for it (sslmode)';
  if (code === '3D000') return message.replace(/^error: /, '');
  if (code === 'ENOTFOUND') return 'host not found';
  if (code === 'ECONNREFUSED') return 'connection refused (is the server running?)';
  if (code === 'XX000' && /endpoint (is|has been) disabled/i.test(message))
    return `${message.replace(/^error: /, '')} (a disabled Neon endpoint: enable it in the Neon console or API)`;
  return message;
}

/**
 * `config_invalid` for a database URL that cannot be read as written (`target` is already masked),
 * naming the accepted forms; `reason` (may be empty) says what is wrong with it.
 */
export function unparsableUrl(target: string, reason: string, cause?: unknown): ChatDbError {
  return new ChatDbError(
    'config_invalid',
    `cannot parse the database URL ${target}: ${reason ? `${reason}; ` : ''}use ` +
      'postgres://user:password@host:5432/db (percent-encode @ : / ? # and spaces in the user name or ' +
      'password, e.g. @ as %40, / as %2F), or postgres://user@/db?host=/var/run/postgresql for a unix socket',
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Turns a failure to connect into one clear line (no stack, no password): `db_unavailable`, or
 * `config_invalid` for a URL node-postgres cannot parse. `attempts` > 1 is said at the end.
 */
export function connectionFailure(target: string, e: unknown, attempts = 1): ChatDbError {
  if ((e as { code?: string }).code === 'ERR_INVALID_URL') return unparsableUrl(target, '', e);
  const gaveUp = attempts > 1 ? `; gave up after ${attempts} attempts` : '';
  return new ChatDbError('db_unavailable', `cannot connect to ${target}: ${connectionReason(e)}${gaveUp}`, {
    cause: e,
  });
}

/**
 * A statement canceled (57014: by statement_timeout, or by pg_cancel_backend), or one whose lock
 * wait passed its lock timeout (55P03), as `db_unavailable` (HTTP 503: the database did not answer
 * in time, retry), naming the bound when one was set; undefined for any other error.
 */
export function queryCanceled(e: unknown, timeoutMs: number): ChatDbError | undefined {
  const code = (e as { code?: unknown })?.code;
  if (e instanceof ChatDbError) return undefined;
  // 55P03: a lock wait past the lock timeout a statement set for itself (chatdb's append does).
  if (code === '55P03' && /lock timeout/i.test(String((e as Error).message)))
    return new ChatDbError(
      'db_unavailable',
      `the database did not answer within ${timeoutMs} ms (waiting for a lock: lock timeout)`,
      { cause: e },
    );
  if (code !== '57014') return undefined;
  const bound = timeoutMs > 0 ? ` within ${timeoutMs} ms (statement timeout)` : ' (statement canceled)';
  return new ChatDbError('db_unavailable', `the database did not answer${bound}`, { cause: e });
}
