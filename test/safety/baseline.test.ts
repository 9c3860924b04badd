import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { readHistory, status } from '../../src/migrate/index.js';
import { adoptBaseline } from '../../src/safety/adopt.js';
import {
  applyBaselineScript,
  createScratchUrl,
  freshDatabase,
  onRealPostgres,
  type ScratchDatabase,
} from '../helpers/db.js';
import { BASELINE_VERSIONS, migrationsDir, sql } from '../helpers/migrations.js';
import { runCli } from './run-cli.js';

const LINK = '20250101000003_chatdb_link_chat_to_auth.sql';
const LINK_PARTS = '20261201000002_chatdb_link_chat_parts_to_auth.sql';
const LINK_FEEDBACK = '20261202000002_chatdb_link_chat_feedback_to_auth.sql';
const LINK_SHARES = '20261203000005_chatdb_link_chat_shares_to_auth.sql';
const LINK_APPEND_AS = '20261204000002_chatdb_link_append_as_to_auth.sql';
const ALL_VERSIONS = BASELINE_VERSIONS;
const emptyDir = (): string => join(mkdtempSync(join(tmpdir(), 'chatdb-adopt-')), 'migrations');

let s: ScratchDatabase | undefined;
afterEach(async () => {
  await s?.drop();
  s = undefined;
});

describe('chatdb baseline', () => {
  it('adopts a hand-built schema: writes the files, records the versions with checksums, runs nothing', async () => {
    s = await freshDatabase('all'); // the baseline SQL applied by hand: no schema_migrations
    expect(await readHistory(s.db)).toEqual([]);
    const dir = emptyDir();
    const r = await adoptBaseline({ dir, scope: 'all', target: s.db, targetUrl: s.url });
    expect(r.ok).toBe(true);
    expect(r.differences).toEqual([]);
    expect(r.written).toHaveLength(ALL_VERSIONS.length);
    expect(readdirSync(dir).sort()).toEqual(r.written.sort());
    expect(r.recorded).toEqual(ALL_VERSIONS);
    const st = await status(s.db, { dir });
    expect([st.applied, st.pending, st.edited]).toEqual([ALL_VERSIONS.length, 0, 0]);
    expect((await readHistory(s.db)).every((h) => h.checksum?.length === 64)).toBe(true);

    const again = await adoptBaseline({ dir, scope: 'all', target: s.db, targetUrl: s.url });
    expect(again).toMatchObject({ ok: true, recorded: [], written: [] });
    expect(again.alreadyRecorded).toHaveLength(ALL_VERSIONS.length);
  });

  it('refuses a schema that differs, lists the differences, and records nothing', async () => {
    s = await freshDatabase('all');
    await s.db.exec(
      'ALTER TABLE messages DROP COLUMN selected_text; DROP INDEX users_email_lower_key; CREATE TABLE notes (id int);',
    );
    const dir = emptyDir();
    const r = await adoptBaseline({ dir, scope: 'all', target: s.db, targetUrl: s.url });
    expect(r.ok).toBe(false);
    expect(r.recorded).toEqual([]);
    expect(r.differences.map((d) => [d.object, d.problem])).toEqual([
      ['relation messages', 'different'],
      ['relation users', 'different'],
      ['relation notes', 'extra'],
    ]);
    const messages = r.differences[0]?.diff ?? '';
    expect(messages).toMatch(/^- {2}selected_text text,$/m);
    expect(r.differences[1]?.diff).toMatch(/^-CREATE UNIQUE INDEX users_email_lower_key/m);
    expect(await readHistory(s.db)).toEqual([]);
    const { rows } = await s.db.query("SELECT to_regclass('schema_migrations')::text AS t");
    expect(rows).toEqual([{ t: null }]);
  });

  it('allows objects the migrations do not create, unless strict', async () => {
    s = await freshDatabase('chat');
    await s.db.exec('CREATE TABLE notes (id int)');
    const dir = emptyDir();
    const strict = await adoptBaseline({ dir, scope: 'chat', target: s.db, targetUrl: s.url, strict: true });
    expect(strict.ok).toBe(false);
    expect(strict.differences).toEqual([{ object: 'relation notes', problem: 'extra' }]);
    const r = await adoptBaseline({ dir, scope: 'chat', target: s.db, targetUrl: s.url });
    expect(r.ok).toBe(true);
    // chat alone: no auth file, so no link migration.
    expect(r.recorded).toEqual([
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
    expect(existsSync(join(dir, '20250101000003_chatdb_link_chat_to_auth.sql'))).toBe(false);
  });

  it('adopting auth after chat also records the link migration, as init would apply it', async () => {
    s = await freshDatabase('chat');
    const dir = emptyDir();
    const chat = await adoptBaseline({ dir, scope: 'chat', target: s.db, targetUrl: s.url });
    expect(chat.recorded).toEqual([
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
    // The auth tables and the links, made by hand as an old init script would have.
    await applyBaselineScript(s.db, 'auth');
    for (const f of [LINK, LINK_PARTS, LINK_FEEDBACK, LINK_SHARES, LINK_APPEND_AS]) {
      const link = readFileSync(new URL(`../../migrations/${f}`, import.meta.url), 'utf8');
      await s.db.exec(link.split('-- migrate:down')[0] ?? '');
    }
    const r = await adoptBaseline({ dir, scope: 'auth', target: s.db, targetUrl: s.url });
    expect(r).toMatchObject({
      ok: true,
      recorded: [
        '20250101000001',
        '20250101000003',
        '20261201000002',
        '20261202000002',
        '20261203000001',
        '20261203000005',
        '20261203000007',
        '20261204000002',
      ],
    });
    expect(r.written.sort()).toEqual([
      '20250101000001_chatdb_auth.sql',
      LINK,
      LINK_PARTS,
      LINK_FEEDBACK,
      '20261203000001_chatdb_auth_guests.sql',
      LINK_SHARES,
      '20261203000007_chatdb_auth_token_function.sql',
      LINK_APPEND_AS,
    ]);
  });

  it("--to adopts every file up to a version, including the project's own", async () => {
    s = await freshDatabase('none');
    await s.db.exec('CREATE TABLE a (id bigint PRIMARY KEY); CREATE TABLE b (id bigint PRIMARY KEY);');
    const dir = migrationsDir({
      '20260101000001_a.sql': sql('CREATE TABLE a (id bigint PRIMARY KEY);', 'DROP TABLE a;'),
      '20260101000002_b.sql': sql('CREATE TABLE b (id bigint PRIMARY KEY);', 'DROP TABLE b;'),
      '20260101000003_c.sql': sql('CREATE TABLE c (id bigint PRIMARY KEY);', 'DROP TABLE c;'),
    });
    const wrong = await adoptBaseline({ dir, to: '20260101000003', target: s.db, targetUrl: s.url });
    expect(wrong.differences).toEqual([{ object: 'relation c', problem: 'missing' }]);
    const r = await adoptBaseline({ dir, to: '20260101000002', target: s.db, targetUrl: s.url });
    expect(r.recorded).toEqual(['20260101000001', '20260101000002']);
    expect((await status(s.db, { dir })).pending).toBe(1);
    await expect(adoptBaseline({ dir, to: '20990101000000', target: s.db })).rejects.toThrow(
      /no migration file/,
    );
  });
});

// The binary end to end, on a server database another process can open (the functions above run
// on both databases; the command adds only argument handling).
describe.skipIf(!onRealPostgres)('chatdb baseline (command)', () => {
  it('exits 1 and lists the differences when the schema is not the baseline', async () => {
    const scratch = await createScratchUrl();
    try {
      const db = await openDatabase({ url: scratch.url });
      await applyBaselineScript(db, 'auth');
      await db.close();
      const r = await runCli(['baseline', '--scope', 'all', '--dir', emptyDir()], {
        DATABASE_URL: scratch.url,
      });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^missing {3}relation chat_sessions$/m);
      expect(r.stdout).toContain('baseline refused');
      const ok = await runCli(['baseline', '--scope', 'auth', '--dir', emptyDir(), '--json'], {
        DATABASE_URL: scratch.url,
      });
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout).recorded).toEqual(['20250101000001', '20261203000001', '20261203000007']);
    } finally {
      await scratch.drop();
    }
  });
});
