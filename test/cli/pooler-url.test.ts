import { describe, expect, it } from 'vitest';
import { directMigrationsUrl, isPoolerHost, loadConfig } from '../../src/config.js';
import { isChatDbError } from '../../src/errors.js';
import { chatdb, tempDir } from '../helpers/cli.js';

// Neon's pooled and direct hosts differ only by "-pooler". Nothing here resolves: the check runs
// before any connection, so a run that got past it would fail with "host not found" instead.
const PASSWORD = 'Sekr3t-never-printed';
const POOLED = `postgresql://app:${PASSWORD}@ep-cool-name-123456-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require`;
const DIRECT = `postgresql://app:${PASSWORD}@ep-cool-name-123456.us-east-2.aws.neon.tech/neondb?sslmode=require`;

describe('a pooled URL for migrations', () => {
  it('is recognised by the -pooler suffix of the first host label only', () => {
    expect(isPoolerHost(POOLED)).toBe(true);
    expect(isPoolerHost(DIRECT)).toBe(false);
    expect(isPoolerHost('postgres://u@db-pooler/app')).toBe(true);
    expect(isPoolerHost('postgres://u@db.pooler-example.com/app')).toBe(false);
    expect(isPoolerHost('postgres://u@127.0.0.1:6432/app')).toBe(false);
  });

  it('is refused naming DATABASE_URL_UNPOOLED / DIRECT_URL; the direct URL beside it is taken', () => {
    const err = (() => {
      try {
        return directMigrationsUrl(loadConfig({ DATABASE_URL: POOLED }));
      } catch (e) {
        return e;
      }
    })();
    expect(isChatDbError(err, 'config_invalid')).toBe(true);
    expect((err as Error).message).toBe(
      'DATABASE_URL points at a connection pooler (ep-cool-name-123456-pooler.us-east-2.aws.neon.tech); ' +
        'migrations need the direct connection: set DATABASE_URL_UNPOOLED (or DIRECT_URL) to the same URL ' +
        'without "-pooler" in the host',
    );
    expect(directMigrationsUrl(loadConfig({ DATABASE_URL: POOLED, DATABASE_URL_UNPOOLED: DIRECT }))).toBe(
      DIRECT,
    );
    expect(directMigrationsUrl(loadConfig({ DATABASE_URL: POOLED, DIRECT_URL: DIRECT }))).toBe(DIRECT);
    expect(() => directMigrationsUrl(loadConfig({ DATABASE_URL: DIRECT, DIRECT_URL: POOLED }))).toThrow(
      /^DIRECT_URL points at a connection pooler/,
    );
    expect(() => directMigrationsUrl(loadConfig({}, { databaseUrl: POOLED }))).toThrow(
      /^--database-url points at a connection pooler/,
    );
  });

  it.each([
    ['up'],
    ['down'],
    ['redo'],
    ['init', '--scope', 'all'],
    ['verify'],
    ['baseline'],
    ['serve', '--migrate', '--port', '0'],
  ])('chatdb %s stops with one line before connecting', async (...args) => {
    const cwd = tempDir('chatdb-pooler-');
    const r = await chatdb(['--dir', cwd, ...args], cwd, { DATABASE_URL: POOLED });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /^chatdb: DATABASE_URL points at a connection pooler \(ep-cool-name-123456-pooler\.[^)]+\); .*DATABASE_URL_UNPOOLED \(or DIRECT_URL\).*\n$/,
    );
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });
});
