import { isIP } from 'node:net';
import { DEFAULT_DATA_DIR, parseDatabaseUrl } from './db/index.js';
import {
  DEFAULT_BODY_LIMIT,
  DEFAULT_LOGIN_LIMIT,
  DEFAULT_REGISTER_LIMIT,
  DEFAULT_SHARE_LIMIT,
  DEFAULT_TOKEN_TTL_SECONDS,
  DEFAULT_TRASH_RETENTION_DAYS,
  RETENTION_DAYS_RANGE,
  TOKEN_TTL_SECONDS_RANGE,
} from './defaults.js';
import { ChatDbError } from './errors.js';
import { DEFAULT_MIGRATIONS_DIR } from './migrate/files.js';

export {
  DEFAULT_BODY_LIMIT,
  DEFAULT_DATA_DIR,
  DEFAULT_LOGIN_LIMIT,
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_TOKEN_TTL_SECONDS,
  DEFAULT_TRASH_RETENTION_DAYS,
};
/** CHATDB_STATEMENT_TIMEOUT_MS: 10 s, well above any normal request, well below a client's patience. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;
/** HTTP port (PORT). */
export const DEFAULT_PORT = 8080;
/** HTTP listen address (HOST): loopback, so nothing is exposed by accident. */
export const DEFAULT_HOST = '127.0.0.1';
/** Allowed CORS origins (CHATDB_CORS_ORIGINS): none. */
export const DEFAULT_CORS_ORIGINS: readonly string[] = [];
/** LOG_LEVEL. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything chatdb reads from the environment and flags, resolved once, every field set. */
export interface Config {
  /** DATABASE_URL (or --database-url); undefined: the embedded database in dataDir. */
  readonly databaseUrl: string | undefined;
  /**
   * What migrations connect to: --database-url when given, else DATABASE_URL_UNPOOLED, else
   * DIRECT_URL, else databaseUrl (a pooler in transaction mode breaks session advisory locks).
   */
  readonly migrationsUrl: string | undefined;
  /** Where migrationsUrl came from (`--database-url`, `DATABASE_URL_UNPOOLED`, ...), for messages. */
  readonly migrationsUrlSource: string | undefined;
  /** CHATDB_DATA_DIR (or --data-dir), default `.chatdb`. */
  readonly dataDir: string;
  /** CHATDB_MIGRATIONS_DIR (or --dir), default `./migrations`. */
  readonly migrationsDir: string;
  readonly port: number;
  readonly host: string;
  readonly corsOrigins: readonly string[];
  readonly bodyLimit: number;
  /**
   * CHATDB_STATEMENT_TIMEOUT_MS: how long `serve` lets one query or transaction statement run (a
   * request stuck behind a lock answers 503 then); 0: no bound. Set per transaction (SET LOCAL).
   */
  readonly statementTimeoutMs: number;
  /** CHATDB_TOKEN_TTL_SECONDS, in TOKEN_TTL_SECONDS_RANGE (the library's range). */
  readonly tokenTtlSeconds: number;
  /**
   * CHATDB_TRASH_RETENTION_DAYS: days a trashed session can be restored before `chatdb purge`
   * deletes it; RETENTION_DAYS_RANGE (1..36,500), default 30.
   */
  readonly trashRetentionDays: number;
  readonly logLevel: LogLevel;
  /**
   * CHATDB_TRUST_PROXY: whose X-Forwarded-For names the client (Fastify's trustProxy). Default
   * false: the peer address, so behind a reverse proxy every client shares the proxy's rate-limit
   * bucket. `true` trusts any peer; or the proxies' addresses/CIDRs (or loopback, linklocal, uniquelocal).
   */
  readonly trustProxy: boolean | readonly string[];
  /** Login attempts per minute per client address and per email (larger: 429). */
  readonly loginLimit: { readonly perAddress: number; readonly perEmail: number };
  /** Registrations per minute per client address (larger: 429). */
  readonly registerLimit: { readonly perAddress: number };
  /** Reads of share links (GET /shared/{token}) per minute per client address (larger: 429). */
  readonly shareLimit: { readonly perAddress: number };
}

/** Flags given on the command line (untrusted strings); each wins over its environment variable. */
export interface ConfigFlags {
  readonly databaseUrl?: string | undefined;
  readonly dir?: string | undefined;
  readonly dataDir?: string | undefined;
  readonly port?: string | number | undefined;
  readonly host?: string | undefined;
}

const invalid = (message: string) => new ChatDbError('config_invalid', message);

const nonEmpty = (v: string | undefined): string | undefined => (v?.trim() ? v.trim() : undefined);

function intIn(name: string, raw: string | number | undefined, fallback: number, min: number, max: number) {
  if (raw === undefined || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw invalid(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return n;
}

/** A database URL checked now (not at the first connection), its error naming where it came from. */
function databaseUrl(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    parseDatabaseUrl(raw);
  } catch (e) {
    throw invalid(`${name}: ${(e as Error).message}`);
  }
  return raw;
}

/** `*`, or origins such as `https://docs.example.com` (scheme, host, optional port; no path). */
function corsOrigins(raw: string | undefined): readonly string[] {
  const items = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const origins = items.map((item) => {
    if (item === '*') return item;
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== item.replace(/\/$/, '')) {
      throw invalid(
        `CHATDB_CORS_ORIGINS: "${item}" is not an origin: use e.g. https://docs.example.com (scheme, host, ` +
          'optional port; comma-separated) or *',
      );
    }
    return url.origin;
  });
  return Object.freeze(origins);
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** `true`, `false`, or comma-separated proxy addresses, CIDRs or proxy-addr names. */
function trustProxy(raw: string | undefined): boolean | readonly string[] {
  const v = raw?.trim() ?? '';
  if (v === '' || v.toLowerCase() === 'false') return false;
  if (v.toLowerCase() === 'true') return true;
  const items = v.split(',').map((s) => s.trim());
  for (const item of items) {
    const [ip = '', bits, ...rest] = item.split('/');
    const family = isIP(ip);
    const ok =
      PROXY_NAMES.includes(item) ||
      (family !== 0 &&
        rest.length === 0 &&
        (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))));
    if (!ok)
      throw invalid(
        `CHATDB_TRUST_PROXY: "${item}" is not a proxy address: use true, false, or addresses/CIDRs such as ` +
          '127.0.0.1,10.0.0.0/8 (or loopback, linklocal, uniquelocal)',
      );
  }
  return Object.freeze(items);
}

/**
 * Resolves environment + flags into a Config, once; a bad value is a `config_invalid` error naming
 * the variable. Example: `loadConfig(process.env, { dir: 'db/migrations' })`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, flags: ConfigFlags = {}): Config {
  const flagUrl = databaseUrl('--database-url', nonEmpty(flags.databaseUrl));
  const dbUrl = flagUrl ?? databaseUrl('DATABASE_URL', nonEmpty(env.DATABASE_URL));
  const unpooled = databaseUrl('DATABASE_URL_UNPOOLED', nonEmpty(env.DATABASE_URL_UNPOOLED));
  const directUrl = databaseUrl('DIRECT_URL', nonEmpty(env.DIRECT_URL));
  const direct = unpooled ?? directUrl;
  const logLevel = nonEmpty(env.LOG_LEVEL)?.toLowerCase() ?? DEFAULT_LOG_LEVEL;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    throw invalid(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  return Object.freeze({
    databaseUrl: dbUrl,
    // A --database-url flag names the database explicitly: migrations use it too.
    migrationsUrl: flagUrl ?? direct ?? dbUrl,
    migrationsUrlSource: flagUrl
      ? '--database-url'
      : unpooled
        ? 'DATABASE_URL_UNPOOLED'
        : directUrl
          ? 'DIRECT_URL'
          : dbUrl
            ? 'DATABASE_URL'
            : undefined,
    dataDir: nonEmpty(flags.dataDir) ?? nonEmpty(env.CHATDB_DATA_DIR) ?? DEFAULT_DATA_DIR,
    migrationsDir: nonEmpty(flags.dir) ?? nonEmpty(env.CHATDB_MIGRATIONS_DIR) ?? DEFAULT_MIGRATIONS_DIR,
    port: intIn(
      flags.port === undefined ? 'PORT' : '--port',
      flags.port ?? nonEmpty(env.PORT),
      DEFAULT_PORT,
      1,
      65535,
    ),
    host: nonEmpty(flags.host) ?? nonEmpty(env.HOST) ?? DEFAULT_HOST,
    corsOrigins: corsOrigins(env.CHATDB_CORS_ORIGINS),
    bodyLimit: intIn('CHATDB_BODY_LIMIT', nonEmpty(env.CHATDB_BODY_LIMIT), DEFAULT_BODY_LIMIT, 1, 1024 ** 3),
    statementTimeoutMs: intIn(
      'CHATDB_STATEMENT_TIMEOUT_MS',
      nonEmpty(env.CHATDB_STATEMENT_TIMEOUT_MS),
      DEFAULT_STATEMENT_TIMEOUT_MS,
      0,
      3_600_000,
    ),
    tokenTtlSeconds: intIn(
      'CHATDB_TOKEN_TTL_SECONDS',
      nonEmpty(env.CHATDB_TOKEN_TTL_SECONDS),
      DEFAULT_TOKEN_TTL_SECONDS,
      // The library's range: a value accepted here must not make `serve` fail in createChatDb.
      TOKEN_TTL_SECONDS_RANGE.min,
      TOKEN_TTL_SECONDS_RANGE.max,
    ),
    trashRetentionDays: intIn(
      'CHATDB_TRASH_RETENTION_DAYS',
      nonEmpty(env.CHATDB_TRASH_RETENTION_DAYS),
      DEFAULT_TRASH_RETENTION_DAYS,
      RETENTION_DAYS_RANGE.min,
      RETENTION_DAYS_RANGE.max,
    ),
    logLevel: logLevel as LogLevel,
    trustProxy: trustProxy(env.CHATDB_TRUST_PROXY),
    loginLimit: Object.freeze({
      perAddress: intIn(
        'CHATDB_LOGIN_LIMIT_PER_ADDRESS',
        nonEmpty(env.CHATDB_LOGIN_LIMIT_PER_ADDRESS),
        DEFAULT_LOGIN_LIMIT.perAddress,
        1,
        1_000_000,
      ),
      perEmail: intIn(
        'CHATDB_LOGIN_LIMIT_PER_EMAIL',
        nonEmpty(env.CHATDB_LOGIN_LIMIT_PER_EMAIL),
        DEFAULT_LOGIN_LIMIT.perEmail,
        1,
        1_000_000,
      ),
    }),
    registerLimit: Object.freeze({
      perAddress: intIn(
        'CHATDB_REGISTER_LIMIT_PER_ADDRESS',
        nonEmpty(env.CHATDB_REGISTER_LIMIT_PER_ADDRESS),
        DEFAULT_REGISTER_LIMIT.perAddress,
        1,
        1_000_000,
      ),
    }),
    shareLimit: Object.freeze({
      perAddress: intIn(
        'CHATDB_SHARE_LIMIT_PER_ADDRESS',
        nonEmpty(env.CHATDB_SHARE_LIMIT_PER_ADDRESS),
        DEFAULT_SHARE_LIMIT.perAddress,
        1,
        1_000_000,
      ),
    }),
  });
}

/**
 * The host of a pooled Neon URL: its first label ends in `-pooler`
 * (`ep-cool-name-123456-pooler.us-east-2.aws.neon.tech`). Detected by name because a pooler cannot
 * be recognised over the connection itself: PgBouncer answers `SHOW pool_mode` only on its admin
 * console, not on a database connection, and forwards everything else to the server.
 */
export function isPoolerHost(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    const m = /^[a-z]+:\/\/(?:[^@/]*@)?([^:/?#]+)/i.exec(url);
    host = m?.[1] ?? '';
  }
  return /^[^.]+-pooler(\.|$)/i.test(host);
}

/**
 * migrationsUrl, refused when it names a pooler: a transaction-mode pooler hands each statement of
 * a migration run to any server connection, so the runner's session advisory lock excludes nothing
 * and `transaction:false` migrations lose their session. Checked before connecting. One line,
 * naming the variable to set; the URL is not printed (only its host), so no password can leak.
 */
export function directMigrationsUrl(config: Config): string | undefined {
  const url = config.migrationsUrl;
  if (url === undefined || !isPoolerHost(url)) return url;
  const host = (() => {
    try {
      return new URL(url).hostname;
    } catch {
      return 'a -pooler host';
    }
  })();
  throw invalid(
    `${config.migrationsUrlSource ?? 'the database URL'} points at a connection pooler (${host}); migrations need ` +
      'the direct connection: set DATABASE_URL_UNPOOLED (or DIRECT_URL) to the same URL without "-pooler" in the host',
  );
}
