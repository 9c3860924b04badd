import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Database } from '../db/index.js';
import { ChatDbError } from '../errors.js';
import { BASELINE_FILES, filesOfScope } from '../migrate/baseline.js';
import { recordApplied } from '../migrate/history.js';
import {
  ensureHistoryTable,
  loadMigrations,
  type Migration,
  PACKAGE_MIGRATIONS_DIR,
  readHistory,
  type Scope,
  up,
  withMigrationLock,
} from '../migrate/index.js';
import { schemaDiff } from './diff.js';
import { type DumpObject, dumpObjects } from './dump.js';
import { extensionsCreatedBy, loadPgliteExtensions } from './pglite-extensions.js';
import { type ScratchKind, scratchKindFor, withScratch } from './scratch.js';

export interface AdoptOptions {
  readonly dir: string;
  /** Adopt the baseline of this scope (its files are written into `dir` when missing). */
  readonly scope?: Scope | undefined;
  /** Or: adopt every migration file up to and including this version. */
  readonly to?: string | undefined;
  /** The existing database. */
  readonly target: Database;
  readonly targetUrl?: string | undefined;
  readonly scratch?: ScratchKind | undefined;
  /** Also refuse objects the migrations do not create (default: listed, allowed). */
  readonly strict?: boolean;
  /** Remove the scratch copy on SIGINT/SIGTERM/SIGHUP too (the CLI sets this). */
  readonly handleSignals?: boolean;
  readonly log?: (line: string) => void;
}

export interface ObjectDifference {
  /** `relation users`, `function chatdb_touch_updated_at()`, ... */
  readonly object: string;
  readonly problem: 'missing' | 'different' | 'extra';
  readonly diff?: string;
}

export interface AdoptReport {
  readonly ok: boolean;
  /** Baseline files written into the migrations directory. */
  readonly written: string[];
  /** Versions recorded as applied now. */
  readonly recorded: string[];
  /** Versions that were recorded already. */
  readonly alreadyRecorded: string[];
  /** Where the existing schema is not what the migrations give ('extra' blocks only with strict). */
  readonly differences: ObjectDifference[];
}

const versionOfFile = (file: string): string => file.slice(0, 14);

/**
 * The baseline files of a scope as `chatdb init` picks them: `record` (the scope's files, plus the
 * link when auth and chat both end up installed) and `write` (plus the link whenever the
 * directory holds both scopes). Keep in step with `init` in src/migrate/baseline.ts.
 */
function baselineFiles(
  dir: string,
  scope: Scope,
  recorded: ReadonlySet<string>,
): { record: string[]; write: string[] } {
  const scopeFiles = filesOfScope(scope);
  const installed = (f: string): boolean => scopeFiles.includes(f) || recorded.has(versionOfFile(f));
  const linked = installed(BASELINE_FILES.auth[0]) && installed(BASELINE_FILES.chat[0]);
  const inDir = (f: string): boolean => installed(f) || existsSync(join(dir, f));
  const withLink = [...new Set([...scopeFiles, ...BASELINE_FILES.link])];
  return {
    record: linked ? withLink : scopeFiles,
    write: linked || (inDir(BASELINE_FILES.auth[0]) && inDir(BASELINE_FILES.chat[0])) ? withLink : scopeFiles,
  };
}

/** Copies missing baseline files into `dir`; returns the names written. */
function writeMissing(dir: string, files: readonly string[], log: (l: string) => void): string[] {
  if (resolve(dir) === resolve(PACKAGE_MIGRATIONS_DIR)) return [];
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const f of files) {
    if (existsSync(join(dir, f))) continue;
    copyFileSync(join(PACKAGE_MIGRATIONS_DIR, f), join(dir, f));
    written.push(f);
    log(`wrote ${join(dir, f)}`);
  }
  return written;
}

const keyOf = (o: DumpObject): string => `${o.kind} ${o.name}`;

/** Compares the existing schema with the expected one, object by object. */
export function compareObjects(
  actual: readonly DumpObject[],
  expected: readonly DumpObject[],
): ObjectDifference[] {
  const have = new Map(actual.map((o) => [keyOf(o), o]));
  const want = new Map(expected.map((o) => [keyOf(o), o]));
  const out: ObjectDifference[] = [];
  for (const [key, o] of want) {
    const a = have.get(key);
    if (!a) out.push({ object: key, problem: 'missing' });
    else if (a.text !== o.text)
      out.push({
        object: key,
        problem: 'different',
        diff: schemaDiff(`${o.text}\n`, `${a.text}\n`, 'what the migrations create', 'what the database has'),
      });
  }
  for (const key of have.keys()) if (!want.has(key)) out.push({ object: key, problem: 'extra' });
  return out;
}

/**
 * `chatdb baseline`: adopts a database whose tables already exist (built by hand or an older init
 * script). Builds the schema the chosen migrations give on a scratch copy, compares it with the
 * database object by object, and only when they match records the versions in schema_migrations
 * (with checksums) without running them. Otherwise it records nothing and lists the differences.
 */
export async function adoptBaseline(options: AdoptOptions): Promise<AdoptReport> {
  const log = options.log ?? (() => undefined);
  if ((options.scope === undefined) === (options.to === undefined))
    throw new ChatDbError('invalid_input', 'give one of --scope or --to');
  const dir = resolve(options.dir);
  const history = await readHistory(options.target);
  const recordedBefore = new Set(history.map((h) => h.version));
  let written: string[] = [];
  let chosen: Migration[];
  if (options.scope) {
    const files = baselineFiles(dir, options.scope, recordedBefore);
    written = writeMissing(dir, files.write, log);
    const names = new Set(files.record);
    chosen = loadMigrations(dir).filter((m) => names.has(m.file));
  } else {
    const to = options.to as string;
    const migrations = loadMigrations(dir);
    if (!migrations.some((m) => m.version === to))
      throw new ChatDbError('migration_missing', `--to ${to}: no migration file has that version`);
    chosen = migrations.filter((m) => m.version <= to);
  }
  const alreadyRecorded = chosen.filter((m) => recordedBefore.has(m.version)).map((m) => m.version);
  const toRecord = chosen.filter((m) => !recordedBefore.has(m.version));
  if (toRecord.length === 0) {
    log('every chosen version is recorded already: nothing to do');
    return { ok: true, written, recorded: [], alreadyRecorded, differences: [] };
  }
  // The expected schema: what is recorded already plus the chosen migrations, built from files.
  const expectedVersions = new Set([...recordedBefore, ...chosen.map((m) => m.version)]);
  const actual = await dumpObjects(options.target);
  const kind = scratchKindFor({ targetUrl: options.targetUrl, kind: options.scratch });
  const toRun = loadMigrations(dir).filter((m) => expectedVersions.has(m.version));
  const pgliteExtensions = kind === 'pglite' ? await loadPgliteExtensions(extensionsCreatedBy(toRun)) : {};
  const expected = await withScratch(
    {
      targetUrl: options.targetUrl,
      kind,
      pgliteExtensions,
      handleSignals: options.handleSignals === true,
      onCreated: (c) => log(`scratch copy: ${c.where}`),
    },
    async (copy) => {
      await up(copy.db, { dir, only: expectedVersions, allowIrreversible: true });
      return dumpObjects(copy.db);
    },
  );
  const differences = compareObjects(actual, expected);
  const blocking = differences.filter((d) => d.problem !== 'extra' || options.strict);
  if (blocking.length > 0) return { ok: false, written, recorded: [], alreadyRecorded, differences };
  const recorded = await withMigrationLock(options.target, (s) =>
    s.transaction(async (tx) => {
      await ensureHistoryTable(tx);
      const now = new Set((await readHistory(tx)).map((h) => h.version));
      const out: string[] = [];
      for (const m of toRecord) {
        if (now.has(m.version)) continue;
        await recordApplied(tx, m, 0);
        out.push(m.version);
        log(`recorded ${m.file} as applied (not run)`);
      }
      return out;
    }),
  );
  return { ok: true, written, recorded, alreadyRecorded, differences };
}
