import { performance } from 'node:perf_hooks';
import type { Extensions } from '@electric-sql/pglite';
import type { Database, Session } from '../db/index.js';
import { compare, down, type Migration, readHistory, up } from '../migrate/index.js';
import { schemaDiff } from './diff.js';
import { dumpSchema, renderDump } from './dump.js';
import { loadMigrationsDir } from './migrations-dir.js';
import { extensionsCreatedBy, loadPgliteExtensions } from './pglite-extensions.js';
import { type ScratchCopy, type ScratchKind, scratchKindFor, withScratch } from './scratch.js';

export type VerifyStepName = 'copy' | 'up' | 'down' | 'up again';

/** One step run on the scratch copy. */
export interface VerifyStep {
  readonly step: VerifyStepName;
  readonly ok: boolean;
  readonly durationMs: number;
  /** What went wrong (the migration's error, or why the schema is not the expected one). */
  readonly error?: string;
  /** Unified diff of the expected and the actual schema dump, when they differ. */
  readonly diff?: string;
}

export interface VerifiedMigration {
  readonly version: string;
  readonly file: string;
  readonly ok: boolean;
  readonly steps: VerifyStep[];
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly scratch: ScratchKind | 'none';
  /** The scratch database's name (removed by now), or `memory://`. */
  readonly scratchName?: string;
  /** Applied migrations replayed from files to bring the copy to the target's state. */
  readonly replayed: number;
  /**
   * Diff of the target's schema and the copy's after the replay ('' when equal): drift. Fails
   * verification unless `allowDrift`.
   */
  readonly drift: string;
  readonly migrations: VerifiedMigration[];
  readonly notes: string[];
  /** The first failure, if any (verification stops there). */
  readonly failure?: { readonly file: string; readonly step: VerifyStepName; readonly message: string };
}

export interface VerifyOptions {
  readonly dir: string;
  /** The target, read only (schema_migrations and the catalog); undefined: an empty database. */
  readonly target: Session | undefined;
  /** The target's URL, to create a scratch database on its server. */
  readonly targetUrl?: string | undefined;
  /** Default: `server` for a postgres:// target, else `pglite`. */
  readonly scratch?: ScratchKind | undefined;
  /** Accept pending migrations without a down section (their down and up-again steps are skipped). */
  readonly allowIrreversible?: boolean;
  /**
   * Go on when the target's schema differs from what its applied migrations give (drift): the copy
   * is then not the target's schema, so a pass means less. Default false: drift fails verify.
   */
  readonly allowDrift?: boolean;
  /** Remove the copy on SIGINT/SIGTERM/SIGHUP too (the CLI sets this). */
  readonly handleSignals?: boolean;
  /** Progress, one line at a time. */
  readonly log?: (line: string) => void;
}

const ms = (t0: number): number => Math.round(performance.now() - t0);
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Runs `fn`, timing it; an error becomes the step's failure. */
async function step(name: VerifyStepName, fn: () => Promise<void>): Promise<VerifyStep> {
  const t0 = performance.now();
  try {
    await fn();
    return { step: name, ok: true, durationMs: ms(t0) };
  } catch (e) {
    return { step: name, ok: false, durationMs: ms(t0), error: message(e) };
  }
}

/** up, down, up again for one migration, comparing dumps after each step. */
async function checkOne(
  db: Database,
  m: Migration,
  options: VerifyOptions,
  notes: string[],
): Promise<VerifyStep[]> {
  const dir = options.dir;
  const only = new Set([m.version]);
  const steps: VerifyStep[] = [];
  const before = await dumpSchema(db);
  const first = await step('up', async () => {
    await up(db, { dir, only, allowIrreversible: true });
  });
  steps.push(first);
  if (!first.ok) return steps;
  const afterUp = await dumpSchema(db);
  if (!m.down) {
    if (options.allowIrreversible) {
      notes.push(`${m.file} has no down section: its down and up-again checks were skipped`);
      return steps;
    }
    steps.push({
      step: 'down',
      ok: false,
      durationMs: 0,
      error: 'no down section: it cannot be rolled back (add one, or pass --allow-irreversible)',
    });
    return steps;
  }
  const newest = (await readHistory(db)).at(-1)?.version;
  if (newest !== m.version) {
    steps.push({
      step: 'down',
      ok: false,
      durationMs: 0,
      error: `it is older than ${newest}, already applied (a merged branch): verify rolls back only the newest migration`,
    });
    return steps;
  }
  const rolledBack = await step('down', async () => {
    await down(db, { dir, steps: 1 });
  });
  if (rolledBack.ok) {
    const diff = schemaDiff(before, await dumpSchema(db), 'schema before up', 'schema after down');
    steps.push(
      diff
        ? { ...rolledBack, ok: false, error: 'down did not restore the schema from before up', diff }
        : rolledBack,
    );
  } else steps.push(rolledBack);
  if (!steps.at(-1)?.ok) return steps;
  const again = await step('up again', async () => {
    await up(db, { dir, only, allowIrreversible: true });
  });
  if (again.ok) {
    const diff = schemaDiff(
      afterUp,
      await dumpSchema(db),
      'schema after up',
      'schema after down and up again',
    );
    steps.push(
      diff
        ? { ...again, ok: false, error: 'up is not repeatable: the second up gave another schema', diff }
        : again,
    );
  } else steps.push({ ...again, error: `up is not repeatable after down: ${again.error}` });
  return steps;
}

const DRIFT = "the target's schema differs from what its applied migrations give (drift)";

const describe = (m: Migration, steps: readonly VerifyStep[]): string =>
  `${m.file}: ${steps
    .map((s) => `${s.step} ${s.ok ? 'ok' : 'FAILED'} (${s.durationMs} ms)`)
    .join(', ')}${steps.every((s) => s.ok) && steps.length === 3 ? ', schema restored and repeatable' : ''}`;

/**
 * `chatdb verify`: on a throwaway copy (a scratch database on the target's server, or an in-memory
 * PGlite that loads the extensions the migrations create), replays the migrations the target has
 * applied and checks that the copy's schema dump is the target's (else it fails with the drift,
 * unless `allowDrift`). Then it takes each pending one up, down and up again, comparing schema
 * dumps: a down that does not restore the schema, or an up that is not repeatable, fails with a
 * diff. The target is only read; the copy is always removed. Throws when `dir` does not exist.
 */
export async function verify(options: VerifyOptions): Promise<VerifyReport> {
  const log = options.log ?? (() => undefined);
  const notes: string[] = [];
  const migrations = loadMigrationsDir(options.dir);
  const history = options.target ? await readHistory(options.target) : [];
  const status = compare(migrations, history);
  const missing = status.entries.filter((e) => e.state === 'missing');
  if (missing.length > 0) {
    const versions = missing.map((e) => e.version).join(', ');
    return {
      ok: false,
      scratch: 'none',
      replayed: 0,
      drift: '',
      migrations: [],
      notes,
      failure: {
        file: versions,
        step: 'copy',
        message: `the target has applied ${versions} but the migrations directory has no file for it: the copy cannot be built`,
      },
    };
  }
  for (const e of status.entries.filter((x) => x.state === 'edited'))
    notes.push(`${e.file} was edited after it was applied: the copy runs the file as it is now`);
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  const pending = status.entries
    .filter((e) => e.state === 'pending')
    .map((e) => byVersion.get(e.version) as Migration);
  if (pending.length === 0) {
    log('nothing pending: nothing to verify');
    return { ok: true, scratch: 'none', replayed: 0, drift: '', migrations: [], notes };
  }
  const targetDump = options.target ? await dumpSchema(options.target) : renderDump([]);
  const appliedVersions = new Set(history.map((h) => h.version));
  const kind = scratchKindFor({ targetUrl: options.targetUrl, kind: options.scratch });
  let pgliteExtensions: Extensions = {};
  if (kind === 'pglite') {
    const toRun = migrations.filter((m) => appliedVersions.has(m.version) || pending.includes(m));
    try {
      pgliteExtensions = await loadPgliteExtensions(extensionsCreatedBy(toRun));
    } catch (e) {
      const failure = { file: '(migrations)', step: 'copy' as const, message: (e as Error).message };
      return { ok: false, scratch: 'none', replayed: 0, drift: '', migrations: [], notes, failure };
    }
  }
  let stopped: AbortSignal | undefined;
  // Once interrupted, the process is about to end: a step that the interruption broke is no news.
  const say = (line: string): void => {
    if (!stopped?.aborted) log(line);
  };
  return withScratch(
    {
      targetUrl: options.targetUrl,
      kind,
      pgliteExtensions,
      handleSignals: options.handleSignals === true,
      onCreated: (c: ScratchCopy) => say(`scratch copy: ${c.where}`),
    },
    async (copy, interrupted): Promise<VerifyReport> => {
      stopped = interrupted;
      const results: VerifiedMigration[] = [];
      const done = (failure?: VerifyReport['failure'], drift = ''): VerifyReport => {
        say(`removing the scratch copy`);
        return {
          ok: failure === undefined,
          scratch: copy.kind,
          scratchName: copy.name,
          replayed: appliedVersions.size,
          drift,
          migrations: results,
          notes,
          ...(failure ? { failure } : {}),
        };
      };
      if (appliedVersions.size > 0) {
        const replay = await step('copy', async () => {
          await up(copy.db, { dir: options.dir, only: appliedVersions, allowIrreversible: true });
        });
        if (!replay.ok)
          return done({
            file: '(applied migrations)',
            step: 'copy',
            message: `replaying the applied migrations failed: ${replay.error}`,
          });
        say(`replayed ${appliedVersions.size} applied migration(s) on the copy (${replay.durationMs} ms)`);
      }
      const drift = schemaDiff(
        targetDump,
        await dumpSchema(copy.db),
        'target schema',
        'schema the applied migrations give',
      );
      if (drift && !options.allowDrift)
        return done(
          {
            file: '(applied migrations)',
            step: 'copy',
            message: `${DRIFT}: the copy would not be faithful, so verify stops (see the diff; fix the target or the files, or pass --allow-drift)`,
          },
          drift,
        );
      if (drift) {
        notes.push(`${DRIFT} (allowed by --allow-drift): the copy is built from the files, see drift`);
        say(`warning: ${DRIFT}`);
      }
      for (const m of pending) {
        const steps = await checkOne(copy.db, m, options, notes);
        results.push({ version: m.version, file: m.file, ok: steps.every((s) => s.ok), steps });
        say(describe(m, steps));
        const bad = steps.find((s) => !s.ok);
        if (bad) return done({ file: m.file, step: bad.step, message: bad.error ?? 'failed' }, drift);
      }
      return done(undefined, drift);
    },
  );
}
