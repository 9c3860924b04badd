import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ChatDbError } from '../errors.js';
import { uncommentLegacyDown } from './legacy.js';
import { splitStatements } from './split.js';

/** Default migrations directory, relative to the working directory. */
export const DEFAULT_MIGRATIONS_DIR = './migrations';

/** `YYYYMMDDHHMMSS_slug.sql`: dbmate's layout with a 14-digit UTC timestamp. */
export const MIGRATION_FILE = /^(\d{14})_([A-Za-z0-9][A-Za-z0-9_-]*)\.sql$/;

/** A parsed migration file. */
export interface Migration {
  readonly version: string;
  readonly name: string;
  readonly file: string;
  readonly path: string;
  /** Empty when the up section has no SQL yet (a file fresh from `chatdb new`): `up` refuses it. */
  readonly up: string;
  /** Empty when the file has no (or an empty) down section: the migration is irreversible. */
  readonly down: string;
  /** 1-based line in the file where the up / down SQL starts, to report errors by file line. */
  readonly upLine: number;
  readonly downLine: number;
  /** false for `-- migrate:up transaction:false`: statements are sent one at a time, outside a transaction. */
  readonly transaction: boolean;
  /** The same for the down section (`-- migrate:down transaction:false`). */
  readonly downTransaction: boolean;
  /** SHA-256 of the file (line endings normalized), to notice an applied file that was edited. */
  readonly checksum: string;
}

const UP = /^--\s*migrate:up\b(.*)$/;
const DOWN = /^--\s*migrate:down\b(.*)$/;
const LEGACY_UP = /^--\s*UP\b.*$/;
const LEGACY_DOWN = /^--\s*DOWN\b.*$/;

const fail = (file: string, message: string): ChatDbError =>
  new ChatDbError('migration_invalid', `${file}: ${message}`);

/**
 * True when a section has nothing to run: only comments, or only SET / RESET lines (the timeout
 * lines of `chatdb new`'s template, before the change is written).
 */
const isBlankSql = (sql: string): boolean =>
  splitStatements(sql).every((st) => /^(set|reset)\b/i.test(st.sql.trim()));

/** Reads `transaction:false` (the one option dbmate defines) from a section marker line. */
function parseOptions(file: string, section: 'up' | 'down', options: string): boolean {
  let transaction = true;
  for (const o of options.trim().split(/\s+/).filter(Boolean)) {
    if (o === 'transaction:false') transaction = false;
    else if (o !== 'transaction:true') {
      throw fail(file, `unknown option "${o}" on the migrate:${section} line (known: transaction:false)`);
    }
  }
  return transaction;
}

/** SHA-256 (hex) of a file's text with CRLF line endings read as LF. */
export const checksumOf = (text: string): string =>
  createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex');

/**
 * Parses a migration file. Sections: `-- migrate:up [transaction:false]` and `-- migrate:down`
 * (dbmate), or the older `-- UP` / `-- DOWN` layout whose down statements are commented out with
 * `-- ` (see `uncommentLegacyDown`). A second marker of either section is an error: one file, one
 * migration.
 */
export function parseMigration(file: string, text: string, path = file): Migration {
  const m = MIGRATION_FILE.exec(file);
  if (!m)
    throw fail(file, 'file name must be YYYYMMDDHHMMSS_name.sql (e.g. 20260101120000_add_user_timezone.sql)');
  if (!isTimestamp(m[1] as string))
    throw fail(
      file,
      `version ${m[1]} is not a UTC date and time YYYYMMDDHHMMSS (month 01-12, day of that month, ` +
        'hour 00-23, minutes and seconds 00-59): rename the file (chatdb new writes a valid one)',
    );
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let upAt = -1;
  let downAt = -1;
  let legacy = false;
  let options = '';
  let downOptions = '';
  const second = (i: number, marker: string, first: number) =>
    fail(
      file,
      `line ${i + 1}: a second "${marker}" line (the first is line ${first + 1}): a file holds one migration; ` +
        'put the next one in a file of its own (chatdb new)',
    );
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (upAt === -1) {
      const up = UP.exec(line);
      if (up) {
        upAt = i;
        options = up[1] ?? '';
      } else if (LEGACY_UP.test(line)) {
        upAt = i;
        legacy = true;
      }
      return;
    }
    if (legacy ? LEGACY_UP.test(line) : UP.test(line))
      throw second(i, legacy ? '-- UP' : '-- migrate:up', upAt);
    const down = legacy ? LEGACY_DOWN.exec(line) : DOWN.exec(line);
    if (down && downAt !== -1) throw second(i, legacy ? '-- DOWN' : '-- migrate:down', downAt);
    if (down) {
      downAt = i;
      downOptions = legacy ? '' : (down[1] ?? '');
    }
  });
  if (upAt === -1) throw fail(file, 'no "-- migrate:up" section');
  if (splitStatements(lines.slice(0, upAt).join('\n')).length > 0)
    throw fail(file, 'SQL before the "-- migrate:up" line');

  const transaction = parseOptions(file, 'up', options);
  const downTransaction = parseOptions(file, 'down', downOptions);

  const upLines = lines.slice(upAt + 1, downAt === -1 ? undefined : downAt);
  let downLines = downAt === -1 ? [] : lines.slice(downAt + 1);
  if (legacy) downLines = uncommentLegacyDown(downLines);
  const up = upLines.join('\n');
  const down = downLines.join('\n');
  return {
    version: m[1] as string,
    name: m[2] as string,
    file,
    path,
    up: isBlankSql(up) ? '' : up,
    down: isBlankSql(down) ? '' : down,
    upLine: upAt + 2,
    downLine: downAt + 2,
    transaction,
    downTransaction,
    checksum: checksumOf(text),
  };
}

/** True when a 14-digit version is a real UTC date and time (no month 13, no February 30). */
function isTimestamp(v: string): boolean {
  const iso = `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}T${v.slice(8, 10)}:${v.slice(10, 12)}:${v.slice(12, 14)}`;
  const d = new Date(`${iso}Z`);
  // Date rolls over (February 30 becomes March 2): a real date reads back unchanged.
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(iso);
}

/**
 * The names of a directory's migration files (`.sql`), sorted. Other names are ignored, except
 * a name ending in `.sql` in another case (`x.SQL`): it looks like a migration that would be
 * silently skipped (or run, on a case-insensitive copy), so it is an error asking to rename it.
 */
export function migrationFileNames(names: readonly string[]): string[] {
  const wrongCase = names.find((f) => f.toLowerCase().endsWith('.sql') && !f.endsWith('.sql'));
  if (wrongCase)
    throw fail(
      wrongCase,
      `looks like a migration, but its extension is not ".sql" in lower case: rename it to ${wrongCase.slice(0, -4)}.sql`,
    );
  return names.filter((f) => f.endsWith('.sql')).sort();
}

/**
 * Reads a migration file; a directory, a dangling symbolic link or an unreadable file is a
 * `migration_invalid` error naming `file`.
 */
export function readMigrationFile(path: string, file: string): string {
  try {
    if (statSync(path).isDirectory())
      throw fail(file, 'is a directory, not a migration file: rename it (a migration is one .sql file)');
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof ChatDbError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    let link: string | undefined;
    try {
      link = lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
    } catch {
      link = undefined;
    }
    if (code === 'ENOENT' && link !== undefined)
      throw fail(file, `is a symbolic link to ${link}, which does not exist: fix or remove the link`);
    throw fail(file, `cannot read it (${code ?? (e as Error).message})`);
  }
}

/**
 * Reads and parses every `.sql` file of a directory, ordered by version. Other files are ignored
 * (see `migrationFileNames`); a missing directory is an empty list. Malformed names and duplicate versions are errors.
 */
export function loadMigrations(dir: string): Migration[] {
  const abs = resolve(dir);
  let names: string[];
  try {
    names = readdirSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ChatDbError(
      'migration_invalid',
      `cannot read migrations directory ${dir}: ${(e as Error).message}`,
    );
  }
  const migrations = migrationFileNames(names).map((f) =>
    parseMigration(f, readMigrationFile(join(abs, f), f), join(abs, f)),
  );
  for (let i = 1; i < migrations.length; i++) {
    const a = migrations[i - 1] as Migration;
    const b = migrations[i] as Migration;
    if (a.version === b.version) {
      throw new ChatDbError(
        'migration_invalid',
        `duplicate migration version ${a.version}: ${a.file} and ${b.file}`,
      );
    }
  }
  return migrations;
}
