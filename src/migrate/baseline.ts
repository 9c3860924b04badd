import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from '../db/index.js';
import { ChatDbError, isChatDbError } from '../errors.js';
import { checksumOf, loadMigrations } from './files.js';
import { ensureHistoryTable, readHistory } from './history.js';
import { newProgress } from './interrupt.js';
import { type MigrationLog, type StepResult, upOn, withMigrationLock } from './runner.js';
import { compare } from './status.js';

/** `auth`: users, profiles, tokens. `chat`: sessions, messages, citations. `all`: both, linked. */
export type Scope = 'auth' | 'chat' | 'all';
export const SCOPES: readonly Scope[] = ['all', 'chat', 'auth'];

/**
 * The package's own migrations directory, the source of the baseline files. Resolved from this
 * module, so it is the same from src/ (tsx) and from dist/.
 */
export const PACKAGE_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/**
 * The baseline files of each scope, in version order; `link` (the owner ids of chat become uuid
 * foreign keys to users) goes with auth + chat together. A scope counts as installed when its
 * first file is applied; `init` of an installed scope applies the files added to it since.
 */
export const BASELINE_FILES = {
  auth: [
    '20250101000001_chatdb_auth.sql',
    '20261203000001_chatdb_auth_guests.sql',
    '20261203000007_chatdb_auth_token_function.sql',
  ],
  chat: [
    '20250101000002_chatdb_chat.sql',
    '20261201000001_chatdb_chat_parts.sql',
    '20261202000001_chatdb_chat_feedback.sql',
    '20261203000002_chatdb_chat_lifecycle.sql',
    '20261203000003_chatdb_chat_usage.sql',
    '20261203000004_chatdb_chat_shares.sql',
    '20261203000006_chatdb_chat_append_function.sql',
    '20261203000008_chatdb_chat_save_function.sql',
    '20261204000001_chatdb_chat_save_one_session_write.sql',
    '20261204000003_chatdb_chat_save_returns_what_it_wrote.sql',
  ],
  link: [
    '20250101000003_chatdb_link_chat_to_auth.sql',
    '20261201000002_chatdb_link_chat_parts_to_auth.sql',
    '20261202000002_chatdb_link_chat_feedback_to_auth.sql',
    '20261203000005_chatdb_link_chat_shares_to_auth.sql',
    '20261204000002_chatdb_link_append_as_to_auth.sql',
  ],
} as const satisfies Record<'auth' | 'chat' | 'link', readonly string[]>;

/** The files a scope installs by itself (without the link). */
export const filesOfScope = (scope: Scope): string[] =>
  scope === 'all' ? [...BASELINE_FILES.auth, ...BASELINE_FILES.chat] : [...BASELINE_FILES[scope]];

const versionOfFile = (file: string): string => file.slice(0, 14);

/**
 * The baseline files this version of chatdb has for the scopes a database has installed (a scope
 * counts as installed when its first file is applied; the link with both) that the database has
 * not applied: after an upgrade of chatdb, what `chatdb init` would add. `applied`: versions.
 */
export function missingBaselineFiles(applied: Iterable<string>): string[] {
  const done = new Set(applied);
  const has = (files: readonly string[]) => files[0] !== undefined && done.has(versionOfFile(files[0]));
  const auth = has(BASELINE_FILES.auth);
  const chat = has(BASELINE_FILES.chat);
  const wanted = [
    ...(auth ? BASELINE_FILES.auth : []),
    ...(chat ? BASELINE_FILES.chat : []),
    ...(auth && chat ? BASELINE_FILES.link : []),
  ];
  return wanted.filter((f) => !done.has(versionOfFile(f))).sort();
}

/** Checks a `--scope` value. */
export const parseScope = (value: string): Scope => {
  if ((SCOPES as readonly string[]).includes(value)) return value as Scope;
  throw new ChatDbError('invalid_input', `unknown scope "${value}": use all, chat or auth`);
};

export interface InitOptions {
  /** The project's migrations directory: the baseline files are written there. */
  readonly dir: string;
  readonly scope: Scope;
  /** Progress: files written or kept, migrations applied. */
  readonly log?: MigrationLog;
  /** Warnings (a baseline file there differs from chatdb's). Default: `log`. */
  readonly warn?: MigrationLog;
  /** Stops the run as `up`'s does (`MigrateOptions.signal`); the files written stay written. */
  readonly signal?: AbortSignal;
}

export interface InitResult {
  readonly scope: Scope;
  /** Baseline files copied into the migrations directory. */
  readonly written: string[];
  /** Baseline files already there with other content: left as they are, and applied as they are. */
  readonly differing: string[];
  readonly applied: StepResult[];
  /** True when nothing was written or applied. */
  readonly unchanged: boolean;
}

/**
 * True when `init(db, { dir, scope: 'all' })` and `up(db, { dir })` would do nothing: every file of
 * the `all` baseline and the link is applied and in `dir`, and `dir` has nothing pending or edited.
 * One read of the history and of the directory, no lock: `serve` checks it before taking the lock.
 */
export async function isUpToDate(db: Database, dir: string): Promise<boolean> {
  const history = await readHistory(db);
  const applied = new Set(history.map((h) => h.version));
  const baseline = [...filesOfScope('all'), ...BASELINE_FILES.link];
  if (!baseline.every((f) => applied.has(versionOfFile(f)) && existsSync(join(dir, f)))) return false;
  const report = compare(loadMigrations(dir), history);
  return report.pending === 0 && report.edited === 0;
}

const samePath = (a: string, b: string): boolean => {
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : resolve(p));
  return real(a) === real(b);
};

/**
 * Installs the baseline of a scope: copies its SQL files into the migrations directory (users own
 * and review them; dbmate can apply the same directory), then applies them like any migration.
 * The link migration is written and applied whenever auth and chat both end up installed, in
 * either order, so `chat` then `auth` gives the same schema as `all`. In the package's own
 * migrations directory nothing is copied. Idempotent: a second run changes nothing. With
 * `signal`, an interruption cancels the running statement and rolls back like `up`'s.
 * Example: `await init(db, { dir: 'migrations', scope: 'chat' })`.
 */
export async function init(db: Database, options: InitOptions): Promise<InitResult> {
  const log = options.log ?? (() => undefined);
  const warn = options.warn ?? log;
  const dir = resolve(options.dir);
  const ownDir = samePath(dir, PACKAGE_MIGRATIONS_DIR);
  const scopeFiles = filesOfScope(options.scope);
  const { signal } = options;
  const progress = newProgress('up');

  loadMigrations(dir); // a malformed file there: fail before writing or touching the database
  const written: string[] = [];
  const differing: string[] = [];
  const writeFiles = (files: readonly string[]) => {
    mkdirSync(dir, { recursive: true });
    for (const f of files) {
      const src = join(PACKAGE_MIGRATIONS_DIR, f);
      const dest = join(dir, f);
      if (!existsSync(dest)) {
        copyFileSync(src, dest);
        written.push(f);
        log(`wrote ${join(options.dir, f)}`);
      } else if (checksumOf(readFileSync(dest, 'utf8')) !== checksumOf(readFileSync(src, 'utf8'))) {
        differing.push(f);
        warn(
          `kept ${join(options.dir, f)}: it differs from chatdb's baseline; your version is the one applied`,
        );
      }
    }
  };

  const result = await withMigrationLock(
    db,
    async (s) => {
      await ensureHistoryTable(s);
      const history = await readHistory(s);
      const applied = new Set(history.map((h) => h.version));
      // Installed at the end of this run: in the scope, or applied before.
      const installed = (f: string) => scopeFiles.includes(f) || applied.has(versionOfFile(f));
      const linked = installed(BASELINE_FILES.auth[0]) && installed(BASELINE_FILES.chat[0]);
      // The directory gets the link whenever it holds both scopes, so `chatdb up` on it gives `all` too.
      const inDir = (f: string) => installed(f) || existsSync(join(dir, f));
      const files =
        linked || (inDir(BASELINE_FILES.auth[0]) && inDir(BASELINE_FILES.chat[0]))
          ? [...new Set([...scopeFiles, ...BASELINE_FILES.link])]
          : scopeFiles;
      if (!ownDir) writeFiles(files);
      const only = new Set(scopeFiles.map(versionOfFile));
      if (linked) for (const f of BASELINE_FILES.link) only.add(versionOfFile(f));
      const run = { dir: options.dir, log, warn, only, ...(signal ? { signal } : {}) };
      return upOn(s, loadMigrations(dir), history, run, progress);
    },
    { log, ...(signal ? { signal } : {}), progress },
  ).catch((e: unknown) => {
    if (isChatDbError(e, 'migration_interrupted') && written.length > 0)
      throw new ChatDbError(
        'migration_interrupted',
        `${e.message}; the baseline files written to ${join(options.dir)} stay there for the next run: ${written.join(', ')}`,
        { cause: e.cause },
      );
    throw e;
  });
  return {
    scope: options.scope,
    written,
    differing,
    applied: result.steps,
    unchanged: written.length === 0 && result.steps.length === 0,
  };
}
