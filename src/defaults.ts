/**
 * Defaults shared by the library and the environment settings (src/config.ts), in one place and in
 * a module that loads nothing, so reading the config does not load the HTTP server or the store.
 */

/** Largest request body in bytes (CHATDB_BODY_LIMIT): 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Bearer token lifetime (CHATDB_TOKEN_TTL_SECONDS): 7 days. */
export const DEFAULT_TOKEN_TTL_SECONDS = 7 * 24 * 3600;
/**
 * The one range of token lifetimes, in seconds: what CHATDB_TOKEN_TTL_SECONDS, the library's
 * `tokenTtlSeconds` and `tokens.issue({ ttlSeconds })` accept: 1 s .. 366 days.
 */
export const TOKEN_TTL_SECONDS_RANGE = { min: 1, max: 366 * 24 * 3600 } as const;
/**
 * Login attempts per window per client address (CHATDB_LOGIN_LIMIT_PER_ADDRESS) and per email
 * (CHATDB_LOGIN_LIMIT_PER_EMAIL); the window is a minute.
 */
export const DEFAULT_LOGIN_LIMIT = { perAddress: 10, perEmail: 5, windowMs: 60_000 } as const;
/**
 * Registrations (POST /users) per window per client address (CHATDB_REGISTER_LIMIT_PER_ADDRESS):
 * each answer says whether an email is taken, so they are limited as logins are; a minute.
 */
export const DEFAULT_REGISTER_LIMIT = { perAddress: 10, windowMs: 60_000 } as const;
/**
 * Reads of a share link (GET /shared/{token}, no authentication) per window per client address
 * (CHATDB_SHARE_LIMIT_PER_ADDRESS):
 * a token cannot be guessed, so this bounds load, not guessing; a minute.
 */
export const DEFAULT_SHARE_LIMIT = { perAddress: 60, windowMs: 60_000 } as const;
/** How long a trashed session can be restored before `chatdb purge` deletes it (CHATDB_TRASH_RETENTION_DAYS): 30 days. */
export const DEFAULT_TRASH_RETENTION_DAYS = 30;
/** The one range of retention periods and purge ages, in days: 1 .. 36,500 (100 years). */
export const RETENTION_DAYS_RANGE = { min: 1, max: 36_500 } as const;
