/**
 * Benchmark harness: timing and statistics, a table printer, JSON results, and the databases to
 * run on (PGlite in memory always; real Postgres when a URL is set or 127.0.0.1:5432 answers,
 * on a scratch database created for the run and dropped after it).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { type Database, openDatabase, redactUrl } from '../src/db/index.js';
import { openPglite } from '../src/db/pglite.js';
import { init, PACKAGE_MIGRATIONS_DIR } from '../src/migrate/index.js';
import { type ChatDb, createChatDb } from '../src/store/chatdb.js';

export const RESULTS_DIR = new URL('./results/', import.meta.url);

const ROOT = new URL('../', import.meta.url).pathname;
/** The built CLI, as `npm start` and the package's bin run it (not the sources under tsx). */
export const BIN = join(ROOT, 'bin', 'chatdb.js');

/** Builds dist/ (`npm run build`), so that BIN runs the code being measured. */
export function buildDist(progress: (message: string) => void): void {
  progress('building dist/ (npm run build)');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
}

export interface BenchContext {
  readonly db: Database;
  readonly chat: ChatDb;
  /** `pglite` or `postgres`: also the suffix of the results file. */
  readonly kind: Database['kind'];
  /** The database's URL for other processes and pools (with its password): undefined for in-memory PGlite. */
  readonly url: string | undefined;
  /** One line of progress on stderr (overwritten by the next). */
  progress(message: string): void;
}

/** A benchmark file's default export. */
export interface Bench {
  readonly name: string;
  readonly description: string;
  /** The databases it runs on. Default both. */
  readonly kinds?: readonly Database['kind'][];
  run(ctx: BenchContext): Promise<Record<string, unknown>>;
}

export interface Stats {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
}

/** The q-quantile (0..1) of sorted samples, nearest rank. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

export const median = (samples: readonly number[]): number =>
  percentile(
    [...samples].sort((a, b) => a - b),
    0.5,
  );

/** n, min, p50, p99, mean, max of samples in ms. */
export function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return {
    n: s.length,
    min: s[0] ?? Number.NaN,
    p50: percentile(s, 0.5),
    p99: percentile(s, 0.99),
    mean,
    max: s.at(-1) ?? Number.NaN,
  };
}

/** Milliseconds `fn` takes (high-resolution clock). */
export async function timeOnce(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Runs `fn` `n` times in a row and returns each run's ms; `between` runs untimed after each. */
export async function timeMany(
  n: number,
  fn: (i: number) => Promise<unknown>,
  between?: (i: number) => Promise<unknown>,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await timeOnce(() => fn(i)));
    if (between) await between(i);
  }
  return out;
}

/** A number for a table: integers as they are, ms with 3 significant-ish digits. */
export const fmt = (x: number): string =>
  Number.isInteger(x)
    ? x.toLocaleString('en-US')
    : x >= 100
      ? x.toFixed(0)
      : x >= 10
        ? x.toFixed(1)
        : x.toFixed(2);

/** Prints rows as an aligned text table (columns from the first row's keys). */
export function printTable(rows: readonly Record<string, string | number>[]): void {
  const first = rows[0];
  if (!first) return;
  const cols = Object.keys(first);
  const cell = (v: string | number | undefined) => (typeof v === 'number' ? fmt(v) : String(v ?? ''));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padStart(widths[i] ?? 0)).join('  ');
  process.stdout.write(`${line(cols)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(`${line(cols.map((c) => cell(r[c])))}\n`);
}

/** Writes bench/results/<name>-<db>.json and returns its path. */
export function writeResult(name: string, kind: string, data: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = new URL(`${name}-${kind}.json`, RESULTS_DIR);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file.pathname;
}

export function progress(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${message}`);
  else process.stderr.write(`${message}\n`);
}
export const endProgress = (): void => {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
};

const portAnswers = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host, port, timeout: 500 });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.on('connect', () => done(true))
      .on('error', () => done(false))
      .on('timeout', () => done(false));
  });

/** The server URL to make scratch databases on, or undefined to run on PGlite only. */
export async function serverUrl(): Promise<string | undefined> {
  const env = process.env.BENCH_DATABASE_URL?.trim() || process.env.TEST_DATABASE_URL?.trim();
  if (env) return env;
  return (await portAnswers('127.0.0.1', 5432)) ? 'postgres://postgres@127.0.0.1:5432/postgres' : undefined;
}

export interface Target {
  readonly kind: Database['kind'];
  /** Opens a fresh database with the `all` baseline installed by `chatdb init`; `drop` closes and removes it. */
  open(): Promise<{ db: Database; label: string; url: string | undefined; drop(): Promise<void> }>;
}

/** Installs the `all` baseline as `chatdb init --scope all` does (schema_migrations included). */
const installBaseline = (db: Database) => init(db, { dir: PACKAGE_MIGRATIONS_DIR, scope: 'all' });

const withAdmin = async (url: string, sql: string) => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
};

/** PGlite (in memory) and, when reachable, a scratch database on the server. */
export async function targets(): Promise<Target[]> {
  const list: Target[] = [
    {
      kind: 'pglite',
      async open() {
        const db = await openPglite(undefined);
        await installBaseline(db);
        return { db, label: 'PGlite (in memory)', url: undefined, drop: () => db.close() };
      },
    },
  ];
  const admin = await serverUrl();
  if (admin)
    list.push({
      kind: 'postgres',
      async open() {
        const name = `chatdb_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
        await withAdmin(admin, `CREATE DATABASE ${name}`);
        const u = new URL(admin);
        u.pathname = `/${name}`;
        const db = await openDatabase({ url: u.toString(), connectRetries: 0, logger: () => undefined });
        await installBaseline(db);
        return {
          db,
          label: redactUrl(u.toString()),
          url: u.toString(),
          async drop() {
            await db.close();
            await withAdmin(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          },
        };
      },
    });
  return list;
}

/**
 * After a warm-up: statistics for the planner, as a server's autovacuum has them by then (a server
 * without autovacuum, as this machine's, has none; the embedded database, `chatdb serve`'s on
 * PGlite included, analyzes by itself). Plans kept from the near-empty tables of the start (the
 * foreign-key checks', chatdb's functions') are made again (docs/design.md, "Planner statistics").
 */
export const analyzeAfterWarmUp = async (ctx: BenchContext): Promise<void> => {
  if (ctx.kind === 'postgres') await ctx.db.exec('ANALYZE');
};

/** Builds the context a bench runs with. */
export const context = (db: Database, url: string | undefined): BenchContext => ({
  db,
  chat: createChatDb(db, { logger: () => undefined }),
  kind: db.kind,
  url,
  progress,
});

/** What one path did in one timed slice: the latencies of its successes, its errors, its seconds. */
export interface Slice {
  readonly latencies: number[];
  readonly errors: number;
  readonly elapsed: number;
}

/** A path over all its slices: every latency, errors, seconds, and its rate in each round. */
export interface Interleaved<P extends string> extends Slice {
  readonly path: P;
  readonly perSecond: number;
  readonly perRound: number[];
}

/**
 * Runs every path for `seconds` in all, as `rounds` slices taken in turn, the order rotating each
 * round (A B C, then B C A, then C A B, …). These machines are shared: a slow minute then weighs on
 * every path alike instead of on whichever ran in it, so a ratio of two paths is not the luck of
 * their slots. `spread` gives the lowest and highest per-round ratio of two paths.
 */
export async function interleave<P extends string>(
  paths: readonly { readonly path: P; run(seconds: number): Promise<Slice> }[],
  seconds: number,
  rounds: number,
  progress: (message: string) => void,
): Promise<Interleaved<P>[]> {
  const acc = paths.map((p) => ({
    path: p.path,
    latencies: [] as number[],
    errors: 0,
    elapsed: 0,
    perRound: [] as number[],
  }));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < paths.length; k++) {
      const i = (r + k) % paths.length;
      const p = paths[i];
      const a = acc[i];
      if (!p || !a) continue;
      progress(`round ${r + 1}/${rounds}: ${p.path} for ${(seconds / rounds).toFixed(1)} s`);
      const s = await p.run(seconds / rounds);
      for (const l of s.latencies) a.latencies.push(l);
      a.errors += s.errors;
      a.elapsed += s.elapsed;
      a.perRound.push(s.latencies.length / s.elapsed);
    }
  }
  return acc.map((a) => ({ ...a, perSecond: a.latencies.length / a.elapsed }));
}

/** The lowest and highest ratio of a's rate to b's over the rounds of one interleaved run. */
export const spread = (a: { perRound: number[] }, b: { perRound: number[] }): [number, number] => {
  const r = a.perRound.map((x, i) => x / (b.perRound[i] ?? Number.NaN));
  return [Math.min(...r), Math.max(...r)];
};

export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/**
 * The first 250 ms of every slice are not counted (errors are): connections open and the server
 * warms up again after the other paths' turns. Counted, they put some 1% of the HTTP requests on
 * PGlite, about one per connection and slice, into the p99 (4.0-4.2x the p50 in five slices
 * against 3.0x in one).
 */
export const SETTLE_MS = 250;

/**
 * One timed slice of loops in parallel, one per item, each sending its next request as soon as the
 * last one answered (`step` resolves true for a success, false or a throw for an error), counted
 * from SETTLE_MS on for `seconds`.
 */
export async function timedLoops<T>(
  items: readonly T[],
  seconds: number,
  step: (item: T, i: number) => Promise<boolean>,
): Promise<Slice> {
  const latencies: number[] = [];
  let errors = 0;
  const from = performance.now() + SETTLE_MS;
  const end = from + seconds * 1000;
  await Promise.all(
    items.map(async (item) => {
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        try {
          if (!(await step(item, i))) errors++;
          else if (performance.now() >= from) latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  return { latencies, errors, elapsed: (performance.now() - from) / 1000 };
}
