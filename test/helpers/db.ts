import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/db/index.js';
import { openPglite } from '../../src/db/pglite.js';
import { neonPool, throughNeonDriver } from './neon.js';

/**
 * Each test file gets its own database: PGlite in memory by default, or, when TEST_DATABASE_URL
 * is set (postgres://postgres@127.0.0.1:5432/test), a scratch database created on that server and
 * dropped afterwards, so runs never see each other's data.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL?.trim() || undefined;
export const onRealPostgres = TEST_DATABASE_URL !== undefined;
/**
 * TEST_POOLED_URL (postgres://postgres@127.0.0.1:6432/test, PgBouncer in transaction mode, as
 * `.ci/run` starts it): scratch databases are still created and migrated directly, over
 * TEST_DATABASE_URL, but the tests get a Database and an application URL through the pooler (same
 * database name, the pooler's host and port), as an app on Neon's pooled URL does.
 */
export const TEST_POOLED_URL = onRealPostgres ? process.env.TEST_POOLED_URL?.trim() || undefined : undefined;
export const throughPooler = TEST_POOLED_URL !== undefined;

export type TestScope = 'none' | 'auth' | 'chat' | 'all';

export interface ScratchDatabase {
  /**
   * URL of the scratch database for the application (through the pooler under TEST_POOLED_URL;
   * `memory://` on PGlite: then use `db`, a new open gives a new db).
   */
  readonly url: string;
  /** The same database without the pooler: for migrations and session-bound work. */
  readonly directUrl: string;
  readonly db: Database;
  /** Closes `db` and drops the scratch database. Safe to call twice. */
  drop(): Promise<void>;
}

const adminUrl = (url: string, database: string): string => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

/** The same database through the pooler of TEST_POOLED_URL (its host, port and query), else `url`. */
export function pooledUrl(url: string): string {
  if (!TEST_POOLED_URL) return url;
  const u = new URL(url);
  const p = new URL(TEST_POOLED_URL);
  u.host = p.host;
  u.search = p.search;
  return u.toString();
}

/** A scratch database's URLs: `url` for the application (pooled when TEST_POOLED_URL), `directUrl`. */
export interface ScratchUrl {
  readonly url: string;
  readonly directUrl: string;
  /** DATABASE_URL (the application's) and, through the pooler, DATABASE_URL_UNPOOLED for migrations. */
  readonly env: Record<string, string>;
  drop(): Promise<void>;
}

/** Creates an empty scratch database on the test server and returns its URLs and a dropper. */
export async function createScratchUrl(prefix = 'chatdb_t'): Promise<ScratchUrl> {
  if (!TEST_DATABASE_URL) throw new Error('createScratchUrl needs TEST_DATABASE_URL');
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  let dropped = false;
  const directUrl = adminUrl(TEST_DATABASE_URL, name);
  const url = pooledUrl(directUrl);
  return {
    url,
    directUrl,
    env: url === directUrl ? { DATABASE_URL: url } : { DATABASE_URL: url, DATABASE_URL_UNPOOLED: directUrl },
    async drop() {
      if (dropped) return;
      dropped = true;
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

const BASELINE_DIR = new URL('../../migrations/', import.meta.url);
const SCOPE_FILES: Record<TestScope, RegExp> = {
  none: /^$/,
  auth: /_chatdb_auth(_[a-z_]+)?\.sql$/,
  chat: /_chatdb_chat(_[a-z_]+)?\.sql$/,
  all: /_chatdb_/,
};

/** Applies the up sections of the baseline files of a scope (a plain script, for test set-up). */
export async function applyBaselineScript(db: Database, scope: TestScope): Promise<void> {
  const files = readdirSync(BASELINE_DIR)
    .filter((f) => SCOPE_FILES[scope].test(f))
    .sort();
  for (const f of files) {
    const text = readFileSync(new URL(f, BASELINE_DIR), 'utf8');
    await db.exec(text.split('-- migrate:down')[0] ?? '');
  }
}

const templates = new Map<TestScope, Promise<Blob>>();

/**
 * Where a template is kept between test files (each runs in its own process and would otherwise
 * run initdb again, ~5 s of CPU): named by a hash of everything that shapes it (PGlite's version,
 * the baseline SQL, this file), so a change to any of them builds a new one.
 */
function templateCachePath(scope: TestScope): string {
  const h = createHash('sha256');
  h.update(readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url)));
  h.update(readFileSync(new URL(import.meta.url)));
  for (const f of readdirSync(BASELINE_DIR).sort())
    h.update(f).update(readFileSync(new URL(f, BASELINE_DIR)));
  return join(tmpdir(), `chatdb-pglite-template-${scope}-${h.digest('hex').slice(0, 16)}.tar.gz`);
}

/** A dumped PGlite data directory with the scope installed: loading it skips initdb (~5x faster). */
export function pgliteTemplate(scope: TestScope): Promise<Blob> {
  let t = templates.get(scope);
  if (!t) {
    t = (async () => {
      const cached = templateCachePath(scope);
      if (existsSync(cached)) return new Blob([gunzipSync(readFileSync(cached))]);
      const db = await openPglite(undefined);
      await applyBaselineScript(db, scope);
      const blob = await db.dumpDataDir();
      await db.close();
      // Write then rename: a parallel test file never reads half a file.
      const part = `${cached}.${process.pid}.part`;
      writeFileSync(part, gzipSync(Buffer.from(await blob.arrayBuffer()), { level: 1 }));
      renameSync(part, cached);
      return blob;
    })();
    templates.set(scope, t);
  }
  return t;
}

/** A fresh database for one test file, with the baseline of `scope` installed (default `all`). */
export async function freshDatabase(scope: TestScope = 'all'): Promise<ScratchDatabase> {
  if (!TEST_DATABASE_URL) {
    const db = await openPglite(undefined, { loadDataDir: await pgliteTemplate(scope) });
    return { url: 'memory://', directUrl: 'memory://', db, drop: () => db.close() };
  }
  const scratch = await createScratchUrl();
  const direct = await openDatabase({ url: scratch.directUrl, connectRetries: 0 });
  try {
    await applyBaselineScript(direct, scope);
  } finally {
    if (throughPooler) await direct.close();
  }
  const pool = throughNeonDriver ? await neonPool(scratch.url) : undefined;
  if (pool) await direct.close();
  const db = pool
    ? await openDatabase({ pool, connectRetries: 0 })
    : throughPooler
      ? await openDatabase({ url: scratch.url, connectRetries: 0 })
      : direct;
  let closed = false;
  return {
    url: scratch.url,
    directUrl: scratch.directUrl,
    db,
    async drop() {
      if (!closed) {
        closed = true;
        await db.close();
        await pool?.end();
      }
      await scratch.drop();
    },
  };
}
