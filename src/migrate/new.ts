import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ChatDbError, invalidInput } from '../errors.js';

/** Turns "Add user timezone!" into "add_user_timezone" (ASCII letters, digits, `_`; at most 100). */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '') // the accents NFKD split off: "Ü" -> "U"
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 100)
    .replace(/_+$/, '');
}

/** `YYYYMMDDHHMMSS` of a date, in UTC. */
export const versionOf = (d: Date): string => d.toISOString().replace(/[-:T]/g, '').slice(0, 14);

/**
 * A new file. The timeout lines keep a migration from queueing every query on a table behind a
 * lock it waits for, and make squawk's require-lock-timeout / require-statement-timeout pass.
 * SET LOCAL lasts until the migration's transaction ends, so nothing leaks into the session (or,
 * through a pooler, into another client's). A section with only these lines counts as empty.
 */
const TEMPLATE = `-- migrate:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';


-- migrate:down
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';

`;

/**
 * Writes `<dir>/<UTC timestamp>_<slug>.sql` with empty up and down sections (their timeout lines
 * only, see TEMPLATE) and returns its path.
 * When that version exists already (two in one second) the timestamp moves on by a second.
 * Example: `newMigration('migrations', 'add user timezone')`.
 */
export function newMigration(dir: string, name: string, now: Date = new Date()): string {
  const slug = slugify(name);
  if (!slug)
    throw invalidInput('name', 'give the migration a name with letters or digits, e.g. "add user timezone"');
  const abs = resolve(dir);
  let names: string[];
  try {
    mkdirSync(abs, { recursive: true });
    names = readdirSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ChatDbError(
      'config_invalid',
      code === 'EEXIST' || code === 'ENOTDIR'
        ? `migrations directory ${dir} is not a directory (it, or a folder above it, is a file): give a directory with --dir or CHATDB_MIGRATIONS_DIR`
        : `cannot use migrations directory ${dir}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const taken = new Set(names.map((f) => f.slice(0, 14)));
  let t = now.getTime();
  while (taken.has(versionOf(new Date(t)))) t += 1000;
  const path = join(abs, `${versionOf(new Date(t))}_${slug}.sql`);
  if (existsSync(path)) throw invalidInput('name', `${path} exists`);
  try {
    writeFileSync(path, TEMPLATE, { flag: 'wx' });
  } catch (e) {
    throw new ChatDbError('config_invalid', `cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
  return path;
}
