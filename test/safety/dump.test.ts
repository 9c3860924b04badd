import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import type { Queryable } from '../../src/db/types.js';
import { dumpSchema, normalizeViewDef, stripSchemaQualifier } from '../../src/safety/dump.js';
import {
  applyBaselineScript,
  createScratchUrl,
  freshDatabase,
  onRealPostgres,
  type ScratchDatabase,
} from '../helpers/db.js';
import { runCli } from './run-cli.js';

const fixture = (name: string): string => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

// The committed fixtures were made on PGlite (Postgres 18); the real-Postgres run (15 here) must
// produce them byte for byte, which is what makes a committed dump diffable across machines.
describe('chatdb dump', () => {
  let base: ScratchDatabase;
  let rich: ScratchDatabase;
  beforeAll(async () => {
    base = await freshDatabase('all');
    rich = await freshDatabase('none');
    await rich.db.exec(fixture('rich-schema-input.sql'));
  });
  afterAll(async () => {
    await base.drop();
    await rich.drop();
  });

  it('dumps the baseline exactly as the committed fixture, twice the same', async () => {
    const first = await dumpSchema(base.db);
    expect(first).toBe(fixture('baseline-schema.sql'));
    expect(await dumpSchema(base.db)).toBe(first);
  });

  it('describes every kind of object the same way on every server version', async () => {
    const dump = await dumpSchema(rich.db);
    expect(dump).toBe(fixture('rich-schema.sql'));
    // Postgres 18 catalogs NOT NULL as constraints: they must show on the column only.
    expect(dump).not.toMatch(/_not_null/);
    expect(dump).not.toMatch(/CREATE TABLE schema_migrations/);
    expect(dump).not.toMatch(/\bpublic\./);
    expect(dump).toContain('CREATE VIEW item_names AS\nSELECT id,\n    name\n   FROM items');
  });

  it('dumps another schema, keeping qualifiers that point out of it', async () => {
    const dump = await dumpSchema(rich.db, { schema: 'other' });
    expect(dump).toContain('CREATE TABLE x (');
    expect(dump).toContain('REFERENCES public.items(id)');
    expect(dump).not.toContain('CREATE TABLE items');
    const none = await dumpSchema(rich.db, { schema: 'no_such_schema' });
    expect(none.split('\n').filter((l) => l && !l.startsWith('--'))).toEqual([]);
  });

  it('sees a changed column, index or function body', async () => {
    const before = await dumpSchema(base.db);
    await base.db.exec('CREATE INDEX users_created_idx ON users (created_at)');
    const after = await dumpSchema(base.db);
    expect(after).toContain('CREATE INDEX users_created_idx ON users USING btree (created_at);');
    await base.db.exec('DROP INDEX users_created_idx');
    expect(await dumpSchema(base.db)).toBe(before);
  });
});

describe('chatdb dump (session settings)', () => {
  // How constants print depends on these; a database (or role) default must not change the dump.
  const SETTINGS: Record<string, string> = {
    TimeZone: 'Europe/Berlin',
    DateStyle: 'SQL, DMY',
    IntervalStyle: 'sql_standard',
    extra_float_digits: '0',
  };
  const DDL = `CREATE TABLE ev (
    at timestamptz DEFAULT '2027-03-01 12:00:00+00', day date DEFAULT '2027-03-04',
    every interval DEFAULT '1 day 2 hours', ratio float8 DEFAULT '0.30000000000000004');
  CREATE INDEX ev_recent_idx ON ev (day) WHERE at > '2027-01-01 00:00:00+00';`;
  const timeZone = async (db: Queryable): Promise<unknown> =>
    (await db.query<{ TimeZone: string }>('SHOW TimeZone')).rows[0]?.TimeZone;

  it('reads the same whatever TimeZone, DateStyle, IntervalStyle and extra_float_digits are', async () => {
    const s = await freshDatabase('none');
    try {
      await s.db.exec(DDL);
      const utc = await dumpSchema(s.db);
      expect(utc).toContain(
        "at timestamp with time zone DEFAULT '2027-03-01 12:00:00+00'::timestamp with time zone,",
      );
      expect(utc).toContain("WHERE (at > '2027-01-01 00:00:00+00'::timestamp with time zone);");
      expect(utc).toContain("every interval DEFAULT '1 day 02:00:00'::interval,");
      expect(utc).toContain("ratio double precision DEFAULT '0.30000000000000004'::double precision");
      let other: string;
      if (!onRealPostgres) {
        // PGlite is one session: the session's settings are the database's.
        for (const [k, v] of Object.entries(SETTINGS)) await s.db.exec(`SET ${k} TO '${v}'`);
        other = await dumpSchema(s.db);
        expect(await timeZone(s.db)).toBe('Europe/Berlin'); // SET LOCAL: the session keeps its own
      } else {
        for (const [k, v] of Object.entries(SETTINGS))
          await s.db.exec(
            `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET ${k} TO %L', current_database(), '${v}'); END $$`,
          );
        const db = await openDatabase({ url: s.directUrl, connectRetries: 0 });
        try {
          expect(await timeZone(db)).toBe('Europe/Berlin');
          other = await dumpSchema(db);
        } finally {
          await db.close();
        }
      }
      expect(other).toBe(utc);
    } finally {
      await s.drop();
    }
  });
});

describe('normalization helpers', () => {
  it('strips only the dumped schema qualifier, outside identifiers', () => {
    expect(stripSchemaQualifier('ON public.users USING btree', 'public')).toBe('ON users USING btree');
    expect(stripSchemaQualifier("nextval('public.s'::regclass)", 'public')).toBe("nextval('s'::regclass)");
    expect(stripSchemaQualifier('mypublic.users, other.t', 'public')).toBe('mypublic.users, other.t');
    expect(stripSchemaQualifier('ON "My S"."T"', 'My S')).toBe('ON "T"');
  });

  it('unqualifies the columns of a single-source view, as Postgres 16+ prints them', () => {
    expect(normalizeViewDef(' SELECT items.id,\n    items.name\n   FROM items;', 'items')).toBe(
      'SELECT id,\n    name\n   FROM items;',
    );
    expect(normalizeViewDef(' SELECT a.id FROM items a;', undefined)).toBe('SELECT a.id FROM items a;');
  });
});

describe('chatdb dump (command errors)', () => {
  it('refuses to create an embedded database just to dump it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'chatdb-dump-empty-'));
    const r = await runCli(['dump'], {}, empty);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'chatdb: nothing to dump: no DATABASE_URL and no embedded database in .chatdb (run chatdb up first)\n',
    );
    expect(readdirSync(empty)).toEqual([]);
    expect(existsSync(join(empty, '.chatdb'))).toBe(false);
  });

  it('says in one line that --out cannot be written', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'chatdb-dump-out-'));
    const r = await runCli(['dump', '--out', '/nonexistent/x.sql'], {}, empty);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^chatdb: --out \/nonexistent\/x\.sql: cannot write it \(ENOENT[^\n]*\)\n$/);
  });
});

// The binary end to end, on a server database another process can open (the functions above run
// on both databases; the command adds only argument handling).
describe.skipIf(!onRealPostgres)('chatdb dump (command)', () => {
  it('writes the dump with --out, and --check fails with a diff once the schema moved on', async () => {
    const work = mkdtempSync(join(tmpdir(), 'chatdb-dump-'));
    const scratch = await createScratchUrl();
    const env = { DATABASE_URL: scratch.url };
    try {
      const db = await openDatabase({ url: scratch.url });
      await applyBaselineScript(db, 'all');
      await db.close();
      const file = join(work, 'schema.sql');
      const wrote = await runCli(['dump', '--out', file], env);
      expect(wrote.code).toBe(0);
      expect(readFileSync(file, 'utf8')).toBe(fixture('baseline-schema.sql'));
      const db2 = await openDatabase({ url: scratch.url });
      await db2.exec('ALTER TABLE users ADD COLUMN tz text');
      await db2.close();
      const check = await runCli(['dump', '--check', file], env);
      expect(check.code).toBe(1);
      expect(check.stdout).toMatch(/^\+ {2}tz text,$/m);
      expect(check.stdout).toContain(`${file} is out of date`);
    } finally {
      await scratch.drop();
    }
  });
});
