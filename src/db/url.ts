import { resolve } from 'node:path';
import { ChatDbError } from '../errors.js';
import { unparsableUrl } from './errors.js';

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
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    if (userinfoOverruns(trimmed))
      throw unparsableUrl(
        redactUrl(trimmed),
        'an unescaped / ? or # in the password (or user name) ends the host part early',
      );
    return { kind: 'postgres', connectionString: trimmed };
  }
  throw new ChatDbError(
    'config_invalid',
    `unsupported database URL ${redactUrl(trimmed)}: use postgres://user:password@host:5432/db ` +
      '(or postgresql://), memory:// for an in-memory database, or leave DATABASE_URL unset for the ' +
      `embedded database in ${DEFAULT_DATA_DIR}/`,
  );
}

/**
 * True when the user info of a URL seems to run past the authority. An unescaped `/`, `?` or `#`
 * in a password ends the authority early, so in `postgres://u:p@ss/w0rd@host:5432/db`
 * node-postgres would look up the host `ss` ("host not found") and the real `@host` lands in the
 * path. An `@` there is the sign: a database name with `@` is far rarer than such a password. In
 * the query an `@` only counts in a first parameter without `=` (`?ss@host/db`, not
 * `?application_name=me@example`); a fragment has no use in a database URL at all.
 */
function userinfoOverruns(url: string): boolean {
  const rest = url.replace(/^[^:]*:\/\//, '');
  const end = rest.search(/[/?#]/);
  if (end === -1) return false;
  const [beforeHash = '', ...fragment] = rest.slice(end).split('#');
  if (fragment.join('#').includes('@')) return true;
  const [path = '', ...query] = beforeHash.split('?');
  const firstParam = query.join('?').split('&')[0] ?? '';
  return path.includes('@') || (firstParam.includes('@') && !firstParam.includes('='));
}

/** `scheme://`, `scheme:`, `scheme//`: whatever form the start of a (maybe malformed) URL has. */
const SCHEME_PREFIX = /^\s*[A-Za-z][A-Za-z0-9+.-]*(?::\/*|\/\/+)/;
/** `password=` (and `sslpassword=`) as a URL query parameter, up to the next `&` or `#`. */
const QUERY_PASSWORD = /([?&](?:ssl)?password=)[^&#]*/gi;
/** The same as a libpq keyword/value pair (`host=h password=secret`): quoted, or up to a space. */
const KEYWORD_PASSWORD = /((?:^|\s)(?:ssl)?password\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|[^\s']*)/gi;

/**
 * Masks the password of a connection URL (`postgres://u:***@h/db`); never throws. Made for
 * malformed input too, where leaking is easiest: everything between the user name (up to the
 * first `:`) and the LAST `@` is masked (a password may hold unescaped `@`, `/`, `?` or spaces),
 * whatever the scheme looks like (`postgres:u:pw@h`, `postgres//u:pw@h`); in `postgres:pw@h` the
 * part after the scheme is masked whole. `password=` parameters are masked as well.
 */
export function redactUrl(url: string): string {
  let out = url;
  const at = url.lastIndexOf('@');
  if (at !== -1) {
    const head = url.slice(0, at);
    const prefix = SCHEME_PREFIX.exec(head)?.[0] ?? '';
    const userinfo = head.slice(prefix.length);
    const colon = userinfo.indexOf(':');
    if (colon !== -1) out = `${prefix}${userinfo.slice(0, colon)}:***${url.slice(at)}`;
    else if (/:$/.test(prefix)) out = `${prefix}***${url.slice(at)}`;
  }
  return out.replace(QUERY_PASSWORD, '$1***').replace(KEYWORD_PASSWORD, '$1***');
}

/** Describes a target for messages: the masked URL, or where the embedded database is. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === 'postgres') return redactUrl(target.connectionString);
  return target.dataDir === undefined ? 'memory:// (embedded)' : `embedded database in ${target.dataDir}`;
}
