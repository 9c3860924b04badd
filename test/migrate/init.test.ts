import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isChatDbError } from '../../src/errors.js';
import {
  down,
  init,
  PACKAGE_MIGRATIONS_DIR,
  parseScope,
  readHistory,
  status,
  up,
} from '../../src/migrate/index.js';
import { freshDatabase, type ScratchDatabase } from '../helpers/db.js';
import { describeSchema, migrationsDir, sql, tables } from '../helpers/migrations.js';

const AUTH = '20250101000001_chatdb_auth.sql';
const CHAT = '20250101000002_chatdb_chat.sql';
const LINK = '20250101000003_chatdb_link_chat_to_auth.sql';
const PARTS = '20261201000001_chatdb_chat_parts.sql';
const LINK_PARTS = '20261201000002_chatdb_link_chat_parts_to_auth.sql';
const FEEDBACK = '20261202000001_chatdb_chat_feedback.sql';
const LINK_FEEDBACK = '20261202000002_chatdb_link_chat_feedback_to_auth.sql';
const GUESTS = '20261203000001_chatdb_auth_guests.sql';
const LIFECYCLE = '20261203000002_chatdb_chat_lifecycle.sql';
const USAGE = '20261203000003_chatdb_chat_usage.sql';
const SHARES = '20261203000004_chatdb_chat_shares.sql';
const LINK_SHARES = '20261203000005_chatdb_link_chat_shares_to_auth.sql';
const APPEND_FN = '20261203000006_chatdb_chat_append_function.sql';
const TOKEN_FN = '20261203000007_chatdb_auth_token_function.sql';
const SAVE_FN = '20261203000008_chatdb_chat_save_function.sql';
const SAVE_WRITE = '20261204000001_chatdb_chat_save_one_session_write.sql';
const LINK_APPEND_AS = '20261204000002_chatdb_link_append_as_to_auth.sql';
const SAVE_RETURNS = '20261204000003_chatdb_chat_save_returns_what_it_wrote.sql';
const ALL = [
  AUTH,
  CHAT,
  LINK,
  PARTS,
  LINK_PARTS,
  FEEDBACK,
  LINK_FEEDBACK,
  GUESTS,
  LIFECYCLE,
  USAGE,
  SHARES,
  LINK_SHARES,
  APPEND_FN,
  TOKEN_FN,
  SAVE_FN,
  SAVE_WRITE,
  LINK_APPEND_AS,
  SAVE_RETURNS,
];
const ALL_VERSIONS = ALL.map((f) => f.slice(0, 14));

let s: ScratchDatabase;
beforeEach(async () => {
  s = await freshDatabase('none');
});
afterEach(() => s.drop());

/** The schema `init --scope all` gives on a database of its own, described once per file. */
let allSchema: Promise<string[]> | undefined;
const schemaOfAll = () => {
  allSchema ??= (async () => {
    const other = await freshDatabase('none');
    try {
      await init(other.db, { dir: migrationsDir(), scope: 'all' });
      return await describeSchema(other.db);
    } finally {
      await other.drop();
    }
  })();
  return allSchema;
};

const versions = async () => (await readHistory(s.db)).map((h) => h.version);

describe('init', () => {
  it('writes the scope files into the migrations directory and applies them; a second run changes nothing', async () => {
    const dir = migrationsDir();
    const first = await init(s.db, { dir, scope: 'all' });
    expect(first.written.sort()).toEqual(ALL);
    expect(first.applied.map((a) => a.file)).toEqual(ALL);
    expect(first.unchanged).toBe(false);
    for (const f of ALL)
      expect(readFileSync(join(dir, f), 'utf8')).toBe(readFileSync(join(PACKAGE_MIGRATIONS_DIR, f), 'utf8'));
    expect(await tables(s.db)).toEqual([
      'auth_tokens',
      'chat_sessions',
      'message_citations',
      'message_feedback',
      'messages',
      'schema_migrations',
      'session_shares',
      'user_profiles',
      'users',
    ]);
    const again = await init(s.db, { dir, scope: 'all' });
    expect(again).toMatchObject({ unchanged: true, written: [], applied: [], differing: [] });
    const st = await status(s.db, { dir });
    expect([st.applied, st.pending, st.edited, st.missing]).toEqual([ALL.length, 0, 0, 0]);
  });

  it('chat alone keeps user ids opaque (any string, no users table)', async () => {
    const dir = migrationsDir();
    await init(s.db, { dir, scope: 'chat' });
    expect(readdirSync(dir)).toEqual([
      CHAT,
      PARTS,
      FEEDBACK,
      LIFECYCLE,
      USAGE,
      SHARES,
      APPEND_FN,
      SAVE_FN,
      SAVE_WRITE,
      SAVE_RETURNS,
    ]);
    expect(await tables(s.db)).not.toContain('users');
    await s.db.query("INSERT INTO chat_sessions (user_id) VALUES ('auth0|65f1c0ffee')");
    expect((await s.db.query('SELECT user_id FROM chat_sessions')).rows).toEqual([
      { user_id: 'auth0|65f1c0ffee' },
    ]);
  });

  it.each([
    ['chat', 'auth'],
    ['auth', 'chat'],
  ] as const)('%s then %s gives the same schema as all, with the link written and applied', async (a, b) => {
    const dir = migrationsDir();
    await init(s.db, { dir, scope: a });
    expect(readdirSync(dir)).not.toContain(LINK);
    expect(readdirSync(dir)).not.toContain(LINK_PARTS);
    const second = await init(s.db, { dir, scope: b });
    const added =
      a === 'chat'
        ? [AUTH, GUESTS, TOKEN_FN]
        : [CHAT, PARTS, FEEDBACK, LIFECYCLE, USAGE, SHARES, APPEND_FN, SAVE_FN, SAVE_WRITE, SAVE_RETURNS];
    expect(second.written.sort()).toEqual(
      [...added, LINK, LINK_PARTS, LINK_FEEDBACK, LINK_SHARES, LINK_APPEND_AS].sort(),
    );
    expect(second.applied.map((x) => x.file)).toEqual(
      a === 'chat'
        ? [AUTH, LINK, LINK_PARTS, LINK_FEEDBACK, GUESTS, LINK_SHARES, TOKEN_FN, LINK_APPEND_AS]
        : [
            CHAT,
            LINK,
            PARTS,
            LINK_PARTS,
            FEEDBACK,
            LINK_FEEDBACK,
            LIFECYCLE,
            USAGE,
            SHARES,
            LINK_SHARES,
            APPEND_FN,
            SAVE_FN,
            SAVE_WRITE,
            LINK_APPEND_AS,
            SAVE_RETURNS,
          ],
    );
    expect(await describeSchema(s.db)).toEqual(await schemaOfAll());
    expect((await versions()).sort()).toEqual(ALL_VERSIONS.slice().sort());
    expect((await init(s.db, { dir, scope: 'all' })).unchanged).toBe(true);
  });

  // auth's first file is what marks it installed; its later files (guests) come with it either way.
  it.each([
    ['auth', 'all'],
    ['all', 'auth'],
  ] as const)('%s then %s gives the schema of all', async (a, b) => {
    const dir = migrationsDir();
    const first = await init(s.db, { dir, scope: a });
    expect(first.applied.map((x) => x.file)).toEqual(a === 'auth' ? [AUTH, GUESTS, TOKEN_FN] : ALL);
    const second = await init(s.db, { dir, scope: b });
    expect(second.applied.map((x) => x.file)).toEqual(
      a === 'auth' ? ALL.filter((f) => f !== AUTH && f !== GUESTS && f !== TOKEN_FN) : [],
    );
    expect(await describeSchema(s.db)).toEqual(await schemaOfAll());
    expect((await versions()).sort()).toEqual(ALL_VERSIONS.slice().sort());
    const st = await status(s.db, { dir });
    expect([st.applied, st.pending, st.edited, st.missing]).toEqual([ALL.length, 0, 0, 0]);
  });

  it('init --scope auth on a database with the first auth file only applies the later auth files', async () => {
    const dir = migrationsDir({ [AUTH]: readFileSync(join(PACKAGE_MIGRATIONS_DIR, AUTH), 'utf8') });
    await up(s.db, { dir });
    await s.db.query("INSERT INTO users (email, hashed_password) VALUES ('old@example.com', 'x')");
    const r = await init(s.db, { dir, scope: 'auth' });
    expect(r.written).toEqual([GUESTS, TOKEN_FN]);
    expect(r.applied.map((x) => x.file)).toEqual([GUESTS, TOKEN_FN]);
    expect((await s.db.query('SELECT email, is_guest FROM users')).rows).toEqual([
      { email: 'old@example.com', is_guest: false },
    ]);
  });

  it('auth after chat whose sessions hold other ids: says why the link cannot be applied and what to do', async () => {
    const dir = migrationsDir();
    await init(s.db, { dir, scope: 'chat' });
    const stranger = '0b7c4f1e-3d2a-4c5b-9e8f-1a2b3c4d5e6f';
    await s.db.query(
      "INSERT INTO chat_sessions (user_id) VALUES ('auth0|65f1c0ffee'), ('google-oauth2|1234'), ($1)",
      [stranger],
    );
    const e = await init(s.db, { dir, scope: 'auth' }).then(
      () => expect.unreachable('expected the link to be refused'),
      (err: unknown) => err as Error,
    );
    expect(isChatDbError(e, 'migration_failed')).toBe(true);
    expect(e.message).toBe(
      `${LINK}: cannot link chat sessions to users: the migration makes chat_sessions.user_id a uuid foreign key to users(id), but of the existing chat sessions 2 have a user_id that is not a UUID (an id from another auth provider?) and 1 has a UUID that is no row of users. Set their user_id to the id of a chatdb user (UPDATE chat_sessions SET user_id = …) or delete them, then run chatdb up again; or, to keep your own auth provider, install only the chat scope`,
    );
    // auth is installed, the link is pending and nothing of it ran
    expect((await versions()).sort()).toEqual([
      '20250101000001',
      '20250101000002',
      '20261201000001',
      '20261202000001',
      '20261203000002',
      '20261203000003',
      '20261203000004',
      '20261203000006',
      '20261203000008',
      '20261204000001',
      '20261204000003',
    ]);
    expect((await s.db.query('SELECT count(*)::int AS n FROM chat_sessions')).rows).toEqual([{ n: 3 }]);
    // doing what it says lets `up` finish the job
    await s.db.query("INSERT INTO users (id, email, hashed_password) VALUES ($1, 'a@example.com', 'x')", [
      stranger,
    ]);
    await s.db.query('UPDATE chat_sessions SET user_id = $1', [stranger.toUpperCase()]);
    expect((await up(s.db, { dir })).steps.map((x) => x.file)).toEqual([
      LINK,
      LINK_PARTS,
      LINK_FEEDBACK,
      GUESTS,
      LINK_SHARES,
      TOKEN_FN,
      LINK_APPEND_AS,
    ]);
    expect(await describeSchema(s.db)).toEqual(await schemaOfAll());
  });

  it('orders the baseline before later migrations without an out-of-order warning', async () => {
    const dir = migrationsDir({
      '20260101000000_pin.sql': sql(
        'ALTER TABLE chat_sessions ADD starred boolean;',
        'ALTER TABLE chat_sessions DROP starred;',
      ),
    });
    await init(s.db, { dir, scope: 'chat' });
    await up(s.db, { dir });
    const warnings: string[] = [];
    const r = await init(s.db, { dir, scope: 'auth', warn: (l) => warnings.push(l) });
    expect(r.applied.map((x) => x.file)).toEqual([
      AUTH,
      LINK,
      LINK_PARTS,
      LINK_FEEDBACK,
      GUESTS,
      LINK_SHARES,
      TOKEN_FN,
      LINK_APPEND_AS,
    ]);
    expect(warnings).toEqual([]);
    const st = await status(s.db, { dir });
    expect(st.entries.map((e) => [e.version, e.state])).toEqual([
      ['20250101000001', 'applied'],
      ['20250101000002', 'applied'],
      ['20250101000003', 'applied'],
      ['20260101000000', 'applied'],
      ['20261201000001', 'applied'],
      ['20261201000002', 'applied'],
      ['20261202000001', 'applied'],
      ['20261202000002', 'applied'],
      ['20261203000001', 'applied'],
      ['20261203000002', 'applied'],
      ['20261203000003', 'applied'],
      ['20261203000004', 'applied'],
      ['20261203000005', 'applied'],
      ['20261203000006', 'applied'],
      ['20261203000007', 'applied'],
      ['20261203000008', 'applied'],
      ['20261204000001', 'applied'],
      ['20261204000002', 'applied'],
      ['20261204000003', 'applied'],
    ]);
  });

  it("in the package's own migrations directory copies nothing and still installs by scope", async () => {
    const before = readdirSync(PACKAGE_MIGRATIONS_DIR);
    const chat = await init(s.db, { dir: PACKAGE_MIGRATIONS_DIR, scope: 'chat' });
    expect(chat.written).toEqual([]);
    expect(chat.applied.map((x) => x.file)).toEqual([
      CHAT,
      PARTS,
      FEEDBACK,
      LIFECYCLE,
      USAGE,
      SHARES,
      APPEND_FN,
      SAVE_FN,
      SAVE_WRITE,
      SAVE_RETURNS,
    ]);
    expect(await tables(s.db)).not.toContain('users');
    const auth = await init(s.db, { dir: PACKAGE_MIGRATIONS_DIR, scope: 'auth' });
    expect(auth.applied.map((x) => x.file)).toEqual([
      AUTH,
      LINK,
      LINK_PARTS,
      LINK_FEEDBACK,
      GUESTS,
      LINK_SHARES,
      TOKEN_FN,
      LINK_APPEND_AS,
    ]);
    expect(await describeSchema(s.db)).toEqual(await schemaOfAll());
    expect(readdirSync(PACKAGE_MIGRATIONS_DIR)).toEqual(before);
  });

  it('writes the link into a directory that holds both scopes, and applies it only when both are installed', async () => {
    const file = (f: string) => readFileSync(join(PACKAGE_MIGRATIONS_DIR, f), 'utf8');
    const dir = migrationsDir({ [AUTH]: file(AUTH), [GUESTS]: file(GUESTS), [TOKEN_FN]: file(TOKEN_FN) });
    const r = await init(s.db, { dir, scope: 'chat' });
    expect(r.written.sort()).toEqual([
      CHAT,
      LINK,
      PARTS,
      LINK_PARTS,
      FEEDBACK,
      LINK_FEEDBACK,
      LIFECYCLE,
      USAGE,
      SHARES,
      LINK_SHARES,
      APPEND_FN,
      SAVE_FN,
      SAVE_WRITE,
      LINK_APPEND_AS,
      SAVE_RETURNS,
    ]);
    expect(r.applied.map((x) => x.file)).toEqual([
      CHAT,
      PARTS,
      FEEDBACK,
      LIFECYCLE,
      USAGE,
      SHARES,
      APPEND_FN,
      SAVE_FN,
      SAVE_WRITE,
      SAVE_RETURNS,
    ]);
    expect((await status(s.db, { dir })).entries.map((e) => e.state)).toEqual([
      'pending',
      'applied',
      'pending',
      'applied',
      'pending',
      'applied',
      'pending',
      'pending',
      'applied',
      'applied',
      'applied',
      'pending',
      'applied',
      'pending',
      'applied',
      'applied',
      'pending',
      'applied',
    ]);
    // `up` then gives the same schema as `all`
    await up(s.db, { dir });
    expect(await describeSchema(s.db)).toEqual(await schemaOfAll());
  });

  it('keeps a baseline file the user edited, says so, and applies their version', async () => {
    const edited = `${readFileSync(join(PACKAGE_MIGRATIONS_DIR, AUTH), 'utf8')}\n-- reviewed by us\n`;
    const dir = migrationsDir({ [AUTH]: edited });
    const warnings: string[] = [];
    const r = await init(s.db, { dir, scope: 'auth', warn: (l) => warnings.push(l) });
    expect(r.differing).toEqual([AUTH]);
    expect(warnings.join('\n')).toMatch(
      /kept .*20250101000001_chatdb_auth\.sql: it differs from chatdb's baseline/,
    );
    expect(readFileSync(join(dir, AUTH), 'utf8')).toBe(edited);
    expect(r.applied.map((x) => x.file)).toEqual([AUTH, GUESTS, TOKEN_FN]);
    expect((await status(s.db, { dir })).edited).toBe(0);
  });

  it('fails on a malformed file in the directory before writing or applying anything', async () => {
    const dir = migrationsDir({ 'add_index.sql': sql('SELECT 1;', 'SELECT 1;') });
    await expect(init(s.db, { dir, scope: 'all' })).rejects.toThrow(/^add_index\.sql: file name must be/);
    expect(readdirSync(dir)).toEqual(['add_index.sql']);
    expect(await tables(s.db)).toEqual([]);
  });

  it('rejects an unknown scope', () => {
    expect(() => parseScope('everything')).toThrow('unknown scope "everything": use all, chat or auth');
    expect(parseScope('chat')).toBe('chat');
  });
});

describe('the baseline files', () => {
  it('round-trip: all scopes down and up again give the same schema', async () => {
    const dir = migrationsDir();
    await init(s.db, { dir, scope: 'all' });
    await down(s.db, { dir, to: '0' });
    expect(await tables(s.db)).toEqual(['schema_migrations']);
    expect(await describeSchema(s.db)).toEqual([]);
    await up(s.db, { dir });
    expect(await describeSchema(s.db)).toEqual(await schemaOfAll());
    writeFileSync(join(dir, 'notes.md'), 'ignored');
    expect((await status(s.db, { dir })).pending).toBe(0);
  });
});
