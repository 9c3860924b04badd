import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/index.js';
import { init, type Scope, up } from '../../src/migrate/index.js';
import { adoptBaseline } from '../../src/safety/adopt.js';
import { dumpSchema } from '../../src/safety/dump.js';
import { verify } from '../../src/safety/verify.js';
import { createScratchUrl, onRealPostgres } from '../helpers/db.js';
import { migrationsDir, sql } from '../helpers/migrations.js';

// The issue-10 round trips: a chatdb database copied by pg_dump and restored by psql or pg_restore
// is the same schema, and `chatdb baseline` / `chatdb verify` must say so (on Postgres: the tools
// need a server; PGlite's side is the `pglite` scratch copy below and test/safety/dump-expr.test.ts).

const hasTool = (name: string): boolean => {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const tools = ['pg_dump', 'psql', 'pg_restore'].every(hasTool);

type Copy = 'pg_dump | psql' | 'pg_dump -Fc | pg_restore';
const COPIES: readonly Copy[] = ['pg_dump | psql', 'pg_dump -Fc | pg_restore'];

/** A user's own migration on top of the baseline, full of expressions a restore reparses. */
const USER_FILE = '20270301000000_notes.sql';
const USER = sql(
  `CREATE DOMAIN percent AS int CHECK (VALUE BETWEEN 0 AND 100 AND VALUE <> 50);
CREATE DOMAIN mood AS varchar(8) CHECK (VALUE IN ('happy', 'sad') OR VALUE NOT IN ('x', 'y'));
CREATE TABLE notes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  stars int NOT NULL DEFAULT 3 CHECK (stars BETWEEN 1 AND 5 AND stars <> 4),
  lang text DEFAULT 'en' CHECK (lang NOT BETWEEN 'a' AND 'b' OR lang IS NULL OR lang = 'zz'),
  score percent,
  body text CHECK (char_length(body) BETWEEN 1 AND 10 AND body <> 'x' AND (body <> 'y' AND body <> 'z')),
  kind varchar(10) NOT NULL DEFAULT 'note' CHECK (kind IN ('note', 'todo') AND kind NOT IN ('x', 'y')),
  feel mood,
  due timestamptz DEFAULT '2027-03-01 12:00:00+00'
);
CREATE INDEX notes_stars_idx ON notes (user_id) WHERE stars BETWEEN 2 AND 4 AND lang = 'en';
CREATE INDEX notes_kind_idx ON notes (user_id) WHERE kind NOT IN ('x', 'y') AND due > '2027-01-01 00:00:00+00';
CREATE VIEW good_notes AS SELECT id, stars FROM notes
  WHERE stars BETWEEN 4 AND 5 AND lang = 'en' AND kind IN ('note', 'todo');
CREATE FUNCTION is_good(s int) RETURNS boolean LANGUAGE sql IMMUTABLE RETURN s BETWEEN 4 AND 5 AND s <> 0;
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_good ON notes USING (stars BETWEEN 1 AND 5 AND lang = 'en' AND kind NOT IN ('x', 'y'));`,
  'DROP POLICY notes_good ON notes;\nDROP FUNCTION is_good(int);\nDROP VIEW good_notes;\nDROP TABLE notes;\nDROP DOMAIN mood;\nDROP DOMAIN percent;',
);
const PENDING = {
  '20270401000000_tz.sql': sql('ALTER TABLE users ADD COLUMN tz text;', 'ALTER TABLE users DROP COLUMN tz;'),
};

const dbs: { drop(): Promise<void> }[] = [];
const open: Database[] = [];
afterAll(async () => {
  for (const d of open) await d.close();
  for (const d of dbs) await d.drop();
});

/** Database defaults that change how constants print (a timestamptz in Berlin time, ...). */
const BERLIN: Record<string, string> = {
  TimeZone: 'Europe/Berlin',
  DateStyle: 'SQL, DMY',
  IntervalStyle: 'sql_standard',
  extra_float_digits: '0',
};

/** A new scratch database, with `defaults` set on it (ALTER DATABASE ... SET) when given. */
async function newDatabase(defaults?: Record<string, string>): Promise<{ url: string; db: Database }> {
  const scratch = await createScratchUrl('chatdb_rt');
  dbs.push(scratch);
  if (defaults) {
    const name = new URL(scratch.directUrl).pathname.slice(1);
    const admin = await openDatabase({ url: scratch.directUrl, connectRetries: 0 });
    try {
      for (const [k, v] of Object.entries(defaults))
        await admin.exec(`ALTER DATABASE ${name} SET ${k} TO '${v}'`);
    } finally {
      await admin.close();
    }
  }
  const db = await openDatabase({ url: scratch.url, connectRetries: 0 });
  open.push(db);
  return { url: scratch.url, db };
}

/** A new database (with `defaults`) holding `from`'s schema (and data unless `schemaOnly`), copied as `how`. */
async function restoredCopy(
  from: string,
  how: Copy,
  schemaOnly: boolean,
  defaults?: Record<string, string>,
): Promise<{ url: string; db: Database }> {
  const to = await newDatabase(defaults);
  const only = schemaOnly ? ['--schema-only'] : [];
  if (how === 'pg_dump | psql') {
    const script = execFileSync('pg_dump', [...only, '-d', from], { maxBuffer: 64 << 20 });
    execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', to.url], {
      input: script,
      stdio: 'pipe',
    });
  } else {
    const file = join(mkdtempSync(join(tmpdir(), 'chatdb-rt-')), 'db.dump');
    execFileSync('pg_dump', ['-Fc', ...only, '-f', file, '-d', from]);
    execFileSync('pg_restore', ['--exit-on-error', '-d', to.url, file], { stdio: 'pipe' });
  }
  return to;
}

/** A database built by `chatdb init --scope`, plus the user's migration when given; its directory. */
async function built(scope: Scope, withUser: boolean): Promise<{ url: string; db: Database; dir: string }> {
  const d = await newDatabase();
  const dir = migrationsDir(withUser ? { [USER_FILE]: USER } : {});
  await init(d.db, { dir, scope });
  if (withUser) await up(d.db, { dir });
  return { ...d, dir };
}

/** A new migrations directory with `dir`'s files and `extra`. */
function dirWith(dir: string, extra: Record<string, string>): string {
  const out = migrationsDir(extra);
  for (const f of readdirSync(dir)) copyFileSync(join(dir, f), join(out, f));
  return out;
}

const emptyDir = (): string => join(mkdtempSync(join(tmpdir(), 'chatdb-rt-')), 'migrations');

describe.runIf(onRealPostgres && tools)('comparing schemas after a dump and restore (Postgres)', () => {
  const sources = new Map<string, Awaited<ReturnType<typeof built>>>();
  beforeAll(async () => {
    for (const scope of ['auth', 'chat', 'all'] as const) sources.set(scope, await built(scope, false));
    sources.set('all+user', await built('all', true));
  });

  for (const how of COPIES)
    for (const scope of ['auth', 'chat', 'all'] as const)
      it(`chatdb baseline --scope ${scope} adopts a copy made by ${how}`, async () => {
        const src = sources.get(scope);
        if (!src) throw new Error('no source');
        const copy = await restoredCopy(src.url, how, true);
        expect(await dumpSchema(copy.db)).toBe(await dumpSchema(src.db));
        const r = await adoptBaseline({ dir: emptyDir(), scope, target: copy.db, targetUrl: copy.url });
        expect(r.differences).toEqual([]);
        expect(r.ok).toBe(true);
        expect(r.recorded.length).toBeGreaterThan(0);
      });

  for (const how of COPIES)
    it(`adopts the user's own migrations on top (--to), copied by ${how}`, async () => {
      const src = sources.get('all+user');
      if (!src) throw new Error('no source');
      const copy = await restoredCopy(src.url, how, true);
      expect(await dumpSchema(copy.db)).toBe(await dumpSchema(src.db));
      const r = await adoptBaseline({
        dir: dirWith(src.dir, {}),
        to: '20270301000000',
        target: copy.db,
        targetUrl: copy.url,
      });
      expect(r.differences).toEqual([]);
      expect(r.ok).toBe(true);
    });

  for (const how of COPIES)
    for (const scratch of ['server', 'pglite'] as const)
      it(`chatdb verify finds no drift on a restored database (${how}, ${scratch} copy)`, async () => {
        const src = sources.get('all+user');
        if (!src) throw new Error('no source');
        const copy = await restoredCopy(src.url, how, false);
        const r = await verify({
          dir: dirWith(src.dir, PENDING),
          target: copy.db,
          targetUrl: copy.url,
          scratch,
        });
        expect(r.drift).toBe('');
        expect(r.failure).toBeUndefined();
        expect(r.ok).toBe(true);
        expect(r.replayed).toBe(readdirSync(src.dir).filter((f) => f.endsWith('.sql')).length);
      });

  for (const how of COPIES)
    it(`compares a copy whose database defaults are Europe/Berlin, SQL dates, ... equal (${how})`, async () => {
      const src = sources.get('all+user');
      if (!src) throw new Error('no source');
      const copy = await restoredCopy(src.url, how, false, BERLIN);
      const shown = await copy.db.query<{ TimeZone: string }>('SHOW TimeZone');
      expect(shown.rows[0]?.TimeZone).toBe('Europe/Berlin');
      expect(await dumpSchema(copy.db)).toBe(await dumpSchema(src.db));
      const r = await verify({ dir: dirWith(src.dir, PENDING), target: copy.db, targetUrl: copy.url });
      expect(r.drift).toBe('');
      expect(r.ok).toBe(true);
    });

  it("still finds a real difference in the user's varchar lists and timestamps after a restore", async () => {
    const src = sources.get('all+user');
    if (!src) throw new Error('no source');
    const copy = await restoredCopy(src.url, 'pg_dump | psql', true, BERLIN);
    // The same instant written in Berlin time is no difference; another list or instant is.
    await copy.db.exec(`DROP INDEX notes_kind_idx;
      CREATE INDEX notes_kind_idx ON notes (user_id) WHERE kind NOT IN ('x', 'y') AND due > '2027-01-01 01:00:00';`);
    expect(await dumpSchema(copy.db)).toBe(await dumpSchema(src.db));
    await copy.db.exec(`ALTER TABLE notes DROP CONSTRAINT notes_kind_check,
        ADD CONSTRAINT notes_kind_check CHECK (kind IN ('note', 'todo', 'idea') AND kind NOT IN ('x', 'y'));
      ALTER TABLE notes ALTER COLUMN due SET DEFAULT '2027-03-01 12:00:00';`);
    const r = await adoptBaseline({
      dir: dirWith(src.dir, {}),
      to: '20270301000000',
      target: copy.db,
      targetUrl: copy.url,
    });
    expect(r.ok).toBe(false);
    expect(r.differences.map((d) => [d.object, d.problem])).toEqual([['relation notes', 'different']]);
    const changed = (r.differences[0]?.diff ?? '').split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l));
    const vc = (x: string): string => `('${x}'::character varying)::text`;
    const kind = (list: string[]): string =>
      `  CONSTRAINT notes_kind_check CHECK ((((kind)::text = ANY (ARRAY[${list.map(vc).join(', ')}])) AND ((kind)::text <> ALL (ARRAY[${vc('x')}, ${vc('y')}])))),`;
    expect(changed).toEqual([
      "-  due timestamp with time zone DEFAULT '2027-03-01 12:00:00+00'::timestamp with time zone,",
      "+  due timestamp with time zone DEFAULT '2027-03-01 11:00:00+00'::timestamp with time zone,",
      `-${kind(['note', 'todo'])}`,
      `+${kind(['note', 'todo', 'idea'])}`,
    ]);
  });

  it('still finds a real difference after a restore: a CHECK bound, an index, a default', async () => {
    const src = sources.get('all');
    if (!src) throw new Error('no source');
    const copy = await restoredCopy(src.url, 'pg_dump | psql', false);
    await copy.db.exec(`ALTER TABLE users DROP CONSTRAINT users_email_check,
        ADD CONSTRAINT users_email_check CHECK (char_length(email) BETWEEN 3 AND 321 AND email LIKE '_%@_%');
      DROP INDEX chat_sessions_user_list_idx;
      ALTER TABLE chat_sessions ALTER COLUMN title SET DEFAULT 'untitled';`);
    const changed = (diff = ''): string[] => diff.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l));
    const bound = [
      "-  CONSTRAINT users_email_check CHECK (((char_length(email) >= 3) AND (char_length(email) <= 320) AND (email ~~ '_%@_%'::text))),",
      "+  CONSTRAINT users_email_check CHECK (((char_length(email) >= 3) AND (char_length(email) <= 321) AND (email ~~ '_%@_%'::text))),",
    ];
    const expectSessions = (lines: string[] | undefined, sign: '-' | '+'): void => {
      const other = sign === '-' ? '+' : '-';
      expect(lines?.filter((l) => l.startsWith(sign)).map((l) => l.slice(1).trim())).toEqual([
        'title text,',
        'CREATE INDEX chat_sessions_user_list_idx ON chat_sessions USING btree (user_id, archived, pinned DESC, updated_at DESC, id DESC) WHERE (trashed_at IS NULL);',
      ]);
      expect(lines?.filter((l) => l.startsWith(other))).toEqual([
        `${other}  title text DEFAULT 'untitled'::text,`,
      ]);
    };

    // verify: the drift shows exactly these three changes, nothing about parentheses.
    const r = await verify({ dir: dirWith(src.dir, PENDING), target: copy.db, targetUrl: copy.url });
    expect(r.ok).toBe(false);
    expect(r.failure?.step).toBe('copy');
    const drift = changed(r.drift);
    expect(drift.filter((l) => /users_email_check/.test(l))).toEqual(
      bound.map((l) => (l[0] === '-' ? `+${l.slice(1)}` : `-${l.slice(1)}`)).reverse(),
    );
    expectSessions(
      drift.filter((l) => !/users_email_check/.test(l)),
      '+',
    );
    expect(drift).toHaveLength(5);

    // baseline: the same three, as differences of two objects.
    await copy.db.exec('TRUNCATE schema_migrations');
    const a = await adoptBaseline({ dir: emptyDir(), scope: 'all', target: copy.db, targetUrl: copy.url });
    expect(a.ok).toBe(false);
    expect(a.recorded).toEqual([]);
    expect(a.differences.map((d) => [d.object, d.problem])).toEqual([
      ['relation chat_sessions', 'different'],
      ['relation users', 'different'],
    ]);
    expectSessions(changed(a.differences[0]?.diff), '-');
    expect(changed(a.differences[1]?.diff)).toEqual(bound);
  });
});
