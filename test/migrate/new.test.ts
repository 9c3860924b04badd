import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isChatDbError } from '../../src/errors.js';
import { newMigration, parseMigration, slugify, versionOf } from '../../src/migrate/index.js';
import { migrationsDir } from '../helpers/migrations.js';

const NOW = new Date('2026-03-04T05:06:07.890Z');

describe('newMigration', () => {
  it('writes <UTC timestamp>_<slug>.sql with both sections and returns its path', () => {
    const dir = `${migrationsDir()}/nested/migrations`;
    const path = newMigration(dir, 'Add user timezone!', NOW);
    expect(basename(path)).toBe('20260304050607_add_user_timezone.sql');
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/^-- migrate:up\n[\s\S]*\n-- migrate:down\n/);
    const m = parseMigration(basename(path), text);
    expect([m.up, m.down]).toEqual(['', '']);
  });

  it('moves on by a second when the version exists', () => {
    const dir = migrationsDir();
    newMigration(dir, 'a', NOW);
    newMigration(dir, 'b', NOW);
    newMigration(dir, 'c', NOW);
    expect(readdirSync(dir).sort()).toEqual([
      '20260304050607_a.sql',
      '20260304050608_b.sql',
      '20260304050609_c.sql',
    ]);
  });

  it('refuses a name with no letters or digits', () => {
    const dir = migrationsDir();
    try {
      newMigration(dir, ' !!! ', NOW);
      expect.unreachable();
    } catch (e) {
      expect(isChatDbError(e, 'invalid_input')).toBe(true);
      expect((e as Error).message).toMatch(/give the migration a name/);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a migrations directory that is a file, in one clear line', () => {
    const file = `${migrationsDir()}/not-a-dir`;
    writeFileSync(file, 'x');
    for (const dir of [file, `${file}/sub`]) {
      try {
        newMigration(dir, 'a', NOW);
        expect.unreachable();
      } catch (e) {
        expect(isChatDbError(e, 'config_invalid')).toBe(true);
        expect((e as Error).message).toBe(
          `migrations directory ${dir} is not a directory (it, or a folder above it, is a file): give a directory with --dir or CHATDB_MIGRATIONS_DIR`,
        );
      }
    }
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('slugifies and formats versions in UTC', () => {
    expect(slugify('  Ünïcode -- and   spaces ')).toBe('unicode_and_spaces');
    expect(slugify('x'.repeat(150))).toHaveLength(100);
    expect(versionOf(new Date('2026-12-31T23:59:59.999Z'))).toBe('20261231235959');
  });
});
