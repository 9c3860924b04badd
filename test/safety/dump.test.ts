import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
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
