import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isChatDbError } from '../../src/errors.js';
import { checksumOf, loadMigrations, parseMigration } from '../../src/migrate/index.js';
import { migrationsDir, sql } from '../helpers/migrations.js';

describe('parseMigration', () => {
  it('reads dbmate sections, options and line numbers', () => {
    const m = parseMigration(
      '20260101120000_add_tz.sql',
      '-- a header comment\n-- migrate:up\nALTER TABLE users ADD COLUMN tz text;\n-- migrate:down\nALTER TABLE users DROP COLUMN tz;\n',
    );
    expect(m).toMatchObject({
      version: '20260101120000',
      name: 'add_tz',
      transaction: true,
      upLine: 3,
      downLine: 5,
    });
    expect(m.up.trim()).toBe('ALTER TABLE users ADD COLUMN tz text;');
    expect(m.down.trim()).toBe('ALTER TABLE users DROP COLUMN tz;');
  });

  it('reads CRLF files like LF files, with the same checksum', () => {
    const lf = sql('CREATE TABLE a (id int);', 'DROP TABLE a;');
    const crlf = parseMigration('20260101120000_a.sql', lf.replace(/\n/g, '\r\n'));
    expect(crlf.up.trim()).toBe('CREATE TABLE a (id int);');
    expect(crlf.down.trim()).toBe('DROP TABLE a;');
    expect(crlf.checksum).toBe(parseMigration('20260101120000_a.sql', lf).checksum);
    expect(crlf.checksum).toBe(checksumOf(lf));
    expect(checksumOf(`${lf} `)).not.toBe(crlf.checksum);
  });

  it('reads transaction:false on either section', () => {
    const m = parseMigration(
      '20260101120000_idx.sql',
      '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (x);\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY i;\n',
    );
    expect(m.transaction).toBe(false);
    expect(m.downTransaction).toBe(false);
    const plain = parseMigration('20260101120000_a.sql', sql('SELECT 1;', 'SELECT 1;', 'transaction:true'));
    expect([plain.transaction, plain.downTransaction]).toEqual([true, true]);
  });

  it('accepts the older -- UP / -- DOWN layout with commented-out down statements', () => {
    const m = parseMigration(
      '20250129103000_add_phone.sql',
      "-- UP\nALTER TABLE users ADD COLUMN phone VARCHAR(20);\n\n-- DOWN (in comments)\n-- ALTER TABLE users DROP COLUMN phone;\n-- DELETE FROM schema_migrations WHERE version = '20250129103000';\n",
    );
    expect(m.up.trim()).toBe('ALTER TABLE users ADD COLUMN phone VARCHAR(20);');
    expect(m.down.trim()).toBe('ALTER TABLE users DROP COLUMN phone;');
    expect(m.down).not.toMatch(/schema_migrations/);
    expect([m.upLine, m.downLine]).toEqual([2, 5]);
  });

  it('uncomments only commented-out SQL in the old layout: prose stays a comment', () => {
    const m = parseMigration(
      '20250129103000_add_phone.sql',
      [
        '-- UP',
        'ALTER TABLE users ADD COLUMN phone VARCHAR(20);',
        '',
        '-- DOWN (in comments)',
        '-- Rollback: drop the column',
        '-- Drop the column added above; run it before 2025-02-01.',
        '-- ALTER TABLE users',
        '--   DROP COLUMN phone;',
        '-- Update the docs too.',
        "-- UPDATE users SET note = 'x;y'",
        '--  WHERE note IS NULL;',
        '-- DO $$',
        '-- BEGIN',
        '--   PERFORM 1;',
        '-- END $$;',
        '-- Then forget the version:',
        '-- DELETE FROM schema_migrations',
        "--  WHERE version = '20250129103000';",
        '-- Done.',
        '',
      ].join('\n'),
    );
    expect(m.down.split('\n')).toEqual([
      '-- Rollback: drop the column',
      '-- Drop the column added above; run it before 2025-02-01.',
      'ALTER TABLE users',
      '  DROP COLUMN phone;',
      '-- Update the docs too.',
      "UPDATE users SET note = 'x;y'",
      ' WHERE note IS NULL;',
      'DO $$',
      'BEGIN',
      '  PERFORM 1;',
      'END $$;',
      '-- Then forget the version:',
      '',
      '',
      '-- Done.',
      '',
    ]);
    expect(m.downLine).toBe(5);
  });

  it('ends an uncommented statement that never gets its semicolon at a blank line', () => {
    const m = parseMigration(
      '20250129103000_a.sql',
      '-- UP\nCREATE TABLE a (id int);\n-- DOWN\n-- DROP TABLE a\n\n-- Rollback notes: none\n',
    );
    expect(m.down).toBe('DROP TABLE a\n\n-- Rollback notes: none\n');
  });

  it('marks a missing or empty down section as irreversible (empty down)', () => {
    expect(parseMigration('20260101120000_a.sql', '-- migrate:up\nSELECT 1;\n').down).toBe('');
    expect(parseMigration('20260101120000_a.sql', sql('SELECT 1;', '-- nothing here')).down).toBe('');
  });

  it.each([
    ['add_tz.sql', 'file name must be'],
    ['2026_add_tz.sql', 'file name must be'],
    ['20260101120000-add_tz.sql', 'file name must be'],
    ['20260101120000_.sql', 'file name must be'],
    ['20260101120000_add tz.sql', 'file name must be'],
  ])('rejects the malformed name %s', (name, message) => {
    expect(() => parseMigration(name, sql('SELECT 1;', 'SELECT 1;'))).toThrow(message);
  });

  it('rejects a file without an up marker, SQL before it, and unknown options', () => {
    expect(() => parseMigration('20260101120000_a.sql', 'SELECT 1;')).toThrow(/no "-- migrate:up" section/);
    expect(() =>
      parseMigration('20260101120000_a.sql', `SELECT 1;\n${sql('SELECT 1;', 'SELECT 1;')}`),
    ).toThrow(/SQL before/);
    expect(() =>
      parseMigration('20260101120000_a.sql', sql('SELECT 1;', 'SELECT 1;', 'transaction:maybe')),
    ).toThrow(/unknown option "transaction:maybe"/);
  });

  it.each([
    [`${sql('SELECT 1;', 'SELECT 2;')}-- migrate:up\nSELECT 3;\n`, 6, '-- migrate:up', 1],
    [`-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n`, 3, '-- migrate:up', 1],
    [`${sql('SELECT 1;', 'SELECT 2;')}-- migrate:down\nSELECT 3;\n`, 6, '-- migrate:down', 4],
    ['-- UP\nSELECT 1;\n-- DOWN\n-- SELECT 2;\n-- UP\nSELECT 3;\n', 5, '-- UP', 1],
  ])('rejects a second section marker, naming its line (%#)', (text, line, marker, first) => {
    try {
      parseMigration('20260101120000_a.sql', text);
      expect.unreachable();
    } catch (e) {
      expect(isChatDbError(e, 'migration_invalid')).toBe(true);
      expect((e as Error).message).toBe(
        `20260101120000_a.sql: line ${line}: a second "${marker}" line (the first is line ${first}): a file holds one migration; put the next one in a file of its own (chatdb new)`,
      );
    }
  });
});

describe('loadMigrations', () => {
  it('orders by version, ignores other files, and treats a missing directory as empty', () => {
    const dir = migrationsDir({
      '20260102000000_b.sql': sql('SELECT 2;', 'SELECT 2;'),
      '20260101000000_a.sql': sql('SELECT 1;', 'SELECT 1;'),
      'README.md': '# notes',
      '20260103000000_c.sql.bak': 'not SQL',
      '.gitkeep': '',
    });
    expect(loadMigrations(dir).map((m) => m.name)).toEqual(['a', 'b']);
    expect(loadMigrations(`${dir}/nope`)).toEqual([]);
  });

  it('rejects two files with one version, naming both', () => {
    const dir = migrationsDir({
      '20260101000000_a.sql': sql('SELECT 1;', 'SELECT 1;'),
      '20260101000000_b.sql': sql('SELECT 1;', 'SELECT 1;'),
    });
    try {
      loadMigrations(dir);
      expect.unreachable();
    } catch (e) {
      expect(isChatDbError(e, 'migration_invalid')).toBe(true);
      expect((e as Error).message).toMatch(
        /duplicate migration version 20260101000000: 20260101000000_a.sql and 20260101000000_b.sql/,
      );
    }
  });

  it('names the malformed file when loading a directory', () => {
    const dir = migrationsDir({
      '20260101000000_a.sql': sql('SELECT 1;', 'SELECT 1;'),
      'add_index.sql': sql('SELECT 1;', 'SELECT 1;'),
    });
    expect(() => loadMigrations(dir)).toThrow(/^add_index\.sql: file name must be YYYYMMDDHHMMSS_name\.sql/);
  });

  it('reports a migrations path that is not a directory', () => {
    const dir = migrationsDir({ 'file.txt': '' });
    expect(() => loadMigrations(`${dir}/file.txt`)).toThrow(/cannot read migrations directory/);
  });

  /** The one-line migration_invalid error loading `dir` gives. */
  const refusal = (dir: string): string => {
    try {
      loadMigrations(dir);
    } catch (e) {
      expect(isChatDbError(e, 'migration_invalid')).toBe(true);
      return (e as Error).message;
    }
    return expect.unreachable('expected a refusal');
  };

  it('names a directory or a dangling symbolic link that has a migration name', () => {
    const withDir = migrationsDir({ '20270101000000_a.sql': sql('SELECT 1;', 'SELECT 1;') });
    mkdirSync(join(withDir, '20270101000001_dir.sql'));
    expect(refusal(withDir)).toBe(
      '20270101000001_dir.sql: is a directory, not a migration file: rename it (a migration is one .sql file)',
    );
    const withLink = migrationsDir();
    symlinkSync(join(withLink, 'gone.sql'), join(withLink, '20270101000002_link.sql'));
    expect(refusal(withLink)).toBe(
      `20270101000002_link.sql: is a symbolic link to ${join(withLink, 'gone.sql')}, which does not exist: fix or remove the link`,
    );
  });

  it('refuses a .sql extension in another case instead of skipping the migration', () => {
    const dir = migrationsDir({ '20270101000000_a.SQL': sql('SELECT 1;', 'SELECT 1;') });
    expect(refusal(dir)).toBe(
      '20270101000000_a.SQL: looks like a migration, but its extension is not ".sql" in lower case: rename it to 20270101000000_a.sql',
    );
  });

  it('refuses a version that is no real UTC date and time, naming the file', () => {
    for (const v of ['20271301000000', '20270230000000', '20270101240000', '20270101006000']) {
      const dir = migrationsDir({ [`${v}_x.sql`]: sql('SELECT 1;', 'SELECT 1;') });
      expect(refusal(dir)).toMatch(
        new RegExp(`^${v}_x\\.sql: version ${v} is not a UTC date and time YYYYMMDDHHMMSS`),
      );
    }
    const leap = migrationsDir({ '20280229235959_x.sql': sql('SELECT 1;', 'SELECT 1;') });
    expect(loadMigrations(leap).map((m) => m.version)).toEqual(['20280229235959']);
  });
});
