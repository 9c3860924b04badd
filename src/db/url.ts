import { resolve } from 'node:path';
import { ChatDbError } from '../errors.js';

/** Where the embedded database lives when neither a URL nor CHATDB_DATA_DIR is given. */
export const DEFAULT_DATA_DIR = '.chatdb';

export type DatabaseTarget =
  | { readonly kind: 'pglite'; readonly dataDir: string | undefined }
  | { readonly kind: 'postgres'; readonly connectionString: string };

/**
 * Chooses the adapter from a URL: none -> PGlite in `dataDir`, `memory://` -> PGlite in memory,
 * `postgres://` or `postgresql://` -> a server. Anything else is a clear error.
 */
export function parseDatabaseUrl(url: string | undefined, dataDir = DEFAULT_DATA_DIR): DatabaseTarget {
  const trimmed = url?.trim();
  if (!trimmed) return { kind: 'pglite', dataDir: resolve(dataDir) };
  if (trimmed === 'memory://' || trimmed === 'memory:') return { kind: 'pglite', dataDir: undefined };
  if (/^postgres(ql)?:\/\//i.test(trimmed)) return { kind: 'postgres', connectionString: trimmed };
  throw new ChatDbError(
    'config_invalid',
    `unsupported database URL ${redactUrl(trimmed)}: use postgres://user:password@host:5432/db ` +
      '(or postgresql://), memory:// for an in-memory database, or leave DATABASE_URL unset for the ' +
      `embedded database in ${DEFAULT_DATA_DIR}/`,
  );
}

/** Masks the password of a connection URL (`postgres://u:***@h/db`); never throws. */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/i, '$1:***@')
    .replace(/([?&]password=)[^&\s]*/gi, '$1***');
}

/** Describes a target for messages: the masked URL, or where the embedded database is. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === 'postgres') return redactUrl(target.connectionString);
  return target.dataDir === undefined ? 'memory:// (embedded)' : `embedded database in ${target.dataDir}`;
}
