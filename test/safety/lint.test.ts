import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHistory, up } from '../../src/migrate/index.js';
import { type LintFinding, lintMigrations } from '../../src/safety/lint.js';
import { type PackageResolver, resolveSquawkPath, squawkTimeoutMs } from '../../src/safety/squawk.js';
import { freshDatabase, type ScratchDatabase } from '../helpers/db.js';
import { migrationsDir, sql } from '../helpers/migrations.js';
import { runCli } from './run-cli.js';

const REPO_MIGRATIONS = new URL('../../migrations/', import.meta.url).pathname;
const REPO_FILES = readdirSync(REPO_MIGRATIONS).filter((f) => f.endsWith('.sql')).length;

const FILES = {
  '20260101000001_concurrently.sql':
    '-- migrate:up\nCREATE TABLE IF NOT EXISTS t1 (id bigint PRIMARY KEY);\n' +
    '-- a comment mentioning CREATE INDEX CONCURRENTLY is no statement\n' +
    'CREATE INDEX CONCURRENTLY t1_idx ON t1 (id);\n' +
    "DO $$ BEGIN RAISE NOTICE 'VACUUM; CREATE INDEX CONCURRENTLY'; END $$;\n\n-- migrate:down\nDROP TABLE t1;\n",
  '20260101000002_no_down.sql': '-- migrate:up\nCREATE TABLE t2 (id bigint PRIMARY KEY);\n',
  '20260101000003_empty_down.sql': sql('CREATE TABLE t3 (id bigint PRIMARY KEY);', '-- nothing'),
  '20260101000004_two_concurrently.sql':
    '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON t (a);\n' +
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS b_idx ON t (b);\n\n' +
    '-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY IF EXISTS a_idx;\n',
  '20260101000005_enum.sql': sql(
    "CREATE TYPE mood AS ENUM ('sad');\nALTER TYPE mood ADD VALUE 'happy';\nCREATE TABLE m (x mood DEFAULT 'happy');",
    'DROP TABLE m;\nDROP TYPE mood;',
  ),
  '20260101000006_required_column.sql': sql(
    "SET lock_timeout = '1s';\nSET statement_timeout = '5s';\nALTER TABLE users ADD COLUMN tz text NOT NULL;",
    'ALTER TABLE users DROP COLUMN tz;',
  ),
  'not_a_migration.sql': 'SELECT 1;\n',
};

/** No DATABASE_URL and an embedded data directory that does not exist: lint opens no database. */
const NO_DB = { CHATDB_DATA_DIR: '/nonexistent/chatdb-data' };

const find = (fs: readonly LintFinding[], file: string, rule: string): LintFinding | undefined =>
  fs.find((f) => f.file.endsWith(file) && f.rule === rule);

describe('chatdb lint', () => {
  let dir: string;
  beforeAll(() => {
    dir = migrationsDir(FILES);
  });

  it("finds each of chatdb's own rules, with file lines and a fix", async () => {
    const r = await lintMigrations({ dir, history: [] });
    const at = (file: string, rule: string) => find(r.findings, file, rule)?.line;
    expect(at('_concurrently.sql', 'non-transactional-statement')).toBe(4);
    expect(r.findings.filter((f) => f.rule === 'non-transactional-statement')).toHaveLength(1);
    expect(at('_no_down.sql', 'missing-down')).toBe(2);
    expect(at('_empty_down.sql', 'empty-down')).toBe(4);
    expect(at('_two_concurrently.sql', 'transaction-false-multiple-statements')).toBe(1);
    expect(at('_enum.sql', 'enum-value-used-in-same-transaction')).toBe(4);
    expect(at('not_a_migration.sql', 'invalid-file')).toBe(1);
    for (const f of r.findings) expect(f.fix.length).toBeGreaterThan(10);
    expect(r.ok).toBe(false);
    expect(r.errors).toBe(r.findings.filter((f) => f.severity === 'error').length);
  });

  it("reports squawk's findings at the file's line (up section only)", async () => {
    const r = await lintMigrations({ dir, history: [] });
    expect(r.squawk).toBe('ran');
    const f = find(r.findings, '_required_column.sql', 'adding-required-field');
    expect(f).toMatchObject({ line: 4, source: 'squawk', severity: 'error' });
    // The down section (DROP COLUMN) is not linted: no ban-drop-column finding.
    expect(find(r.findings, '_required_column.sql', 'ban-drop-column')).toBeUndefined();
  });

  it('lints the repository baseline clean (its exceptions are squawk-ignore comments)', async () => {
    const r = await lintMigrations({ dir: REPO_MIGRATIONS, history: [] });
    expect(r.findings).toEqual([]);
    expect(r.files).toHaveLength(REPO_FILES);
    expect(r.squawk).toBe('ran');
  });

  it('without squawk: a one-line note, and chatdb rules still run', async () => {
    const r = await lintMigrations({ dir, history: [], squawkPath: '/nonexistent/squawk' });
    expect(r.squawk).toBe('unavailable');
    expect(r.notes.filter((n) => n.includes('squawk'))).toEqual([
      expect.stringMatching(/^squawk could not start \(\/nonexistent\/squawk\).*only chatdb rules ran$/),
    ]);
    expect(r.findings.some((f) => f.source === 'squawk')).toBe(false);
    expect(find(r.findings, '_no_down.sql', 'missing-down')).toBeDefined();
  });

  it('says when the applied-file rule is skipped for want of a database', async () => {
    const r = await lintMigrations({ dir: REPO_MIGRATIONS, historyNote: 'no database configured' });
    expect(r.notes).toContain('no database configured: rule edited-applied-migration skipped');
  });
});

describe('chatdb lint against a database', () => {
  let s: ScratchDatabase;
  beforeAll(async () => {
    s = await freshDatabase('none');
  });
  afterAll(() => s.drop());

  it('finds an applied file that was edited, and --pending skips applied files', async () => {
    const dir = migrationsDir({
      '20260101000001_a.sql': sql('CREATE TABLE a (id bigint PRIMARY KEY);', 'DROP TABLE a;'),
      '20260101000002_b.sql': sql('CREATE TABLE b (id bigint PRIMARY KEY);', 'DROP TABLE b;'),
    });
    await up(s.db, { dir, to: '20260101000001' });
    const clean = await lintMigrations({ dir, history: await readHistory(s.db) });
    expect(clean.findings).toEqual([]);

    writeFileSync(
      join(dir, '20260101000001_a.sql'),
      sql('CREATE TABLE a (id bigint PRIMARY KEY, x text);', 'DROP TABLE a;'),
    );
    const r = await lintMigrations({ dir, history: await readHistory(s.db) });
    expect(r.findings).toEqual([
      expect.objectContaining({
        file: expect.stringMatching(/_a\.sql$/),
        line: 1,
        rule: 'edited-applied-migration',
      }),
    ]);
    // --pending lints only b, but still checks the applied a for edits: the most dangerous finding.
    const pending = await lintMigrations({ dir, history: await readHistory(s.db), pendingOnly: true });
    expect(pending.files).toEqual([expect.stringMatching(/20260101000002_b\.sql$/)]);
    expect(pending.findings).toEqual([
      expect.objectContaining({ file: expect.stringMatching(/_a\.sql$/), rule: 'edited-applied-migration' }),
    ]);
    expect(pending.ok).toBe(false);
  });
});

describe('chatdb lint (command)', () => {
  it('exits 1 with findings as JSON, and 0 on the baseline', async () => {
    const dir = migrationsDir({ '20260101000002_no_down.sql': FILES['20260101000002_no_down.sql'] });
    const bad = await runCli(['lint', '--dir', dir, '--json'], NO_DB);
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout);
    expect(report.findings).toContainEqual(expect.objectContaining({ rule: 'missing-down', line: 2 }));
    const good = await runCli(['lint', '--dir', REPO_MIGRATIONS], NO_DB);
    expect(good.stdout).toContain(`${REPO_FILES} files linted: 0 errors, 0 warnings`);
    expect(good.code).toBe(0);
  });

  it('warns in one line when squawk cannot start (CHATDB_SQUAWK_PATH) and still fails on own rules', async () => {
    const dir = migrationsDir({ '20260101000002_no_down.sql': FILES['20260101000002_no_down.sql'] });
    const r = await runCli(['lint', '--dir', dir, '--json'], {
      ...NO_DB,
      CHATDB_SQUAWK_PATH: '/nonexistent/squawk',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^chatdb: warning: squawk could not start/),
    ]);
    expect(JSON.parse(r.stdout).squawk).toBe('unavailable');
  });
});

/** The concurrent-index migration that docs/safe-migrations.md recommends, as written there. */
function documentedConcurrentIndex(): string {
  const doc = readFileSync(new URL('../../docs/safe-migrations.md', import.meta.url), 'utf8');
  const block = /<!-- concurrent-index-example[^>]*-->\n```sql\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/safe-migrations.md lost its concurrent-index example');
  return block;
}

describe('chatdb lint: non-transactional migrations', () => {
  it('lints the documented concurrent-index shape clean, squawk included', async () => {
    const dir = migrationsDir({ '20260101000001_messages_created_at_idx.sql': documentedConcurrentIndex() });
    const r = await lintMigrations({ dir, history: [] });
    expect(r.squawk).toBe('ran');
    expect(r.findings).toEqual([]);
    // Without the SET lines squawk asks for them: the example is what makes it clean.
    const bare = documentedConcurrentIndex().replace(/^(SET|RESET) .*\n/gm, '');
    const noTimeouts = await lintMigrations({
      dir: migrationsDir({ '20260101000001_x.sql': bare }),
      history: [],
    });
    expect(noTimeouts.findings.map((f) => f.rule).sort()).toEqual([
      'require-lock-timeout',
      'require-statement-timeout',
    ]);
  });

  it('still refuses two real statements in a transaction:false section, SETs or not', async () => {
    const dir = migrationsDir({
      '20260101000001_two.sql':
        "-- migrate:up transaction:false\nSET lock_timeout = '5s';\nSET statement_timeout = 0;\n" +
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON t (a);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS b_idx ON t (b);\n' +
        'RESET lock_timeout;\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY IF EXISTS a_idx;\n',
    });
    const r = await lintMigrations({ dir, history: [] });
    const f = find(r.findings, '_two.sql', 'transaction-false-multiple-statements');
    expect(f).toMatchObject({ line: 1, severity: 'error' });
    expect(f?.message).toMatch(/has 2 statements \(SET and RESET aside\)/);
  });
});

describe('chatdb lint: cluster-wide statements', () => {
  it('warns about roles, databases, tablespaces and role membership, not about per-database statements', async () => {
    const dir = migrationsDir({
      '20260101000001_roles.sql': sql(
        [
          'CREATE ROLE reader NOLOGIN;',
          'ALTER USER reader SET search_path = public;',
          'GRANT reader TO app;',
          'GRANT CONNECT ON DATABASE app TO reader;',
          'CREATE USER MAPPING FOR reader SERVER remote;',
          'GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader;',
          "COMMENT ON TABLE t IS 'CREATE ROLE x';",
        ].join('\n'),
        'DROP ROLE reader;',
      ),
    });
    const r = await lintMigrations({ dir, history: [] });
    const hits = r.findings.filter((f) => f.rule === 'cluster-wide-statement');
    expect(hits.map((f) => [f.line, f.severity])).toEqual([
      [2, 'warning'],
      [3, 'warning'],
      [4, 'warning'],
      [5, 'warning'],
      [11, 'warning'],
    ]);
    expect(hits[0]?.message).toMatch(/verify runs it for real on the same server .* does not undo it/);
    // A warning: the file still passes.
    expect(r.errors).toBe(r.findings.filter((f) => f.severity === 'error').length);
  });
});

describe('chatdb lint: squawk missing, hanging or required', () => {
  const dir = (): string =>
    migrationsDir({ '20260101000002_no_down.sql': FILES['20260101000002_no_down.sql'] });
  const nothingFound: PackageResolver = Object.assign(
    (id: string): unknown => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    },
    {
      resolve: (id: string): string => {
        throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
      },
    },
  );

  it('finds no squawk when the package is not installed', () => {
    expect(resolveSquawkPath({}, nothingFound)).toBeUndefined();
    expect(resolveSquawkPath({ CHATDB_SQUAWK_PATH: '/opt/squawk' }, nothingFound)).toBe('/opt/squawk');
  });

  it('without the package: a note, own rules still run, and --require-squawk fails', async () => {
    const r = await lintMigrations({ dir: dir(), history: [], resolveSquawk: () => undefined });
    expect(r.squawk).toBe('unavailable');
    expect(r.notes).toContain('squawk is not installed (npm package squawk-cli): only chatdb rules ran');
    expect(find(r.findings, '_no_down.sql', 'missing-down')).toBeDefined();
    const clean = migrationsDir({ '20260101000001_ok.sql': documentedConcurrentIndex() });
    const lenient = await lintMigrations({ dir: clean, history: [], resolveSquawk: () => undefined });
    expect(lenient.ok).toBe(true);
    const strict = await lintMigrations({
      dir: clean,
      history: [],
      resolveSquawk: () => undefined,
      requireSquawk: true,
    });
    expect(strict.ok).toBe(false);
    expect(strict.notes).toContain('squawk did not run and it is required (--require-squawk): lint fails');
  });

  it('stops a squawk that does not answer, and runs its own rules', async () => {
    const bin = join(mkdtempSync(join(tmpdir(), 'chatdb-squawk-')), 'squawk');
    writeFileSync(bin, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(bin, 0o755);
    const r = await lintMigrations({ dir: dir(), history: [], squawkPath: bin, squawkTimeoutMs: 300 });
    expect(r.squawk).toBe('unavailable');
    expect(r.notes).toContainEqual(
      expect.stringMatching(/^squawk did not answer within 0\.3 s .*was stopped: only chatdb rules ran$/),
    );
    expect(find(r.findings, '_no_down.sql', 'missing-down')).toBeDefined();
  });

  it('reads the timeout from CHATDB_SQUAWK_TIMEOUT (seconds) and refuses nonsense', () => {
    expect(squawkTimeoutMs({})).toBe(60_000);
    expect(squawkTimeoutMs({ CHATDB_SQUAWK_TIMEOUT: '2.5' })).toBe(2500);
    expect(() => squawkTimeoutMs({ CHATDB_SQUAWK_TIMEOUT: 'soon' })).toThrow(/CHATDB_SQUAWK_TIMEOUT=soon/);
  });

  it('--require-squawk makes the command exit 1 when squawk cannot run', async () => {
    const clean = migrationsDir({ '20260101000001_ok.sql': documentedConcurrentIndex() });
    const env = { ...NO_DB, CHATDB_SQUAWK_PATH: '/nonexistent/squawk' };
    const lenient = await runCli(['lint', '--dir', clean, '--json'], env);
    expect(lenient.code).toBe(0);
    const strict = await runCli(['lint', '--dir', clean, '--json', '--require-squawk'], env);
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.stdout)).toMatchObject({ ok: false, squawk: 'unavailable' });
    expect(strict.stderr).toMatch(/^chatdb: error: squawk did not run and it is required/m);
  });
});

describe('chatdb lint: a missing migrations directory', () => {
  it('is an error, not "0 files linted"', async () => {
    const missing = join(tmpdir(), 'chatdb-no-such-dir', 'migrations');
    expect(existsSync(missing)).toBe(false);
    await expect(lintMigrations({ dir: missing, history: [] })).rejects.toThrow(
      `migrations directory ${missing} does not exist`,
    );
    const r = await runCli(['lint', '--dir', missing], NO_DB);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `chatdb: migrations directory ${missing} does not exist (check --dir or CHATDB_MIGRATIONS_DIR)\n`,
    );
  });
});
