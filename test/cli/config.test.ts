import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BODY_LIMIT,
  DEFAULT_DATA_DIR,
  DEFAULT_HOST,
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_PORT,
  DEFAULT_TOKEN_TTL_SECONDS,
  loadConfig,
} from '../../src/config.js';
import { TOKEN_TTL_SECONDS_RANGE } from '../../src/defaults.js';
import { isChatDbError } from '../../src/errors.js';
import { createChatDb } from '../../src/store/chatdb.js';
import { chatdb, tempDir } from '../helpers/cli.js';
import { freshDatabase } from '../helpers/db.js';

const invalid = (env: NodeJS.ProcessEnv, flags = {}) => {
  try {
    loadConfig(env, flags);
  } catch (e) {
    expect(isChatDbError(e, 'config_invalid')).toBe(true);
    return (e as Error).message;
  }
  return expect.unreachable('expected config_invalid');
};

describe('loadConfig', () => {
  it('fills every field with its default from an empty environment', () => {
    expect(loadConfig({})).toEqual({
      databaseUrl: undefined,
      migrationsUrl: undefined,
      migrationsUrlSource: undefined,
      dataDir: DEFAULT_DATA_DIR,
      migrationsDir: DEFAULT_MIGRATIONS_DIR,
      port: DEFAULT_PORT,
      host: DEFAULT_HOST,
      corsOrigins: [],
      bodyLimit: DEFAULT_BODY_LIMIT,
      statementTimeoutMs: 10_000,
      tokenTtlSeconds: DEFAULT_TOKEN_TTL_SECONDS,
      trashRetentionDays: 30,
      logLevel: 'info',
      trustProxy: false,
      loginLimit: { perAddress: 10, perEmail: 5 },
      registerLimit: { perAddress: 10 },
      shareLimit: { perAddress: 60 },
    });
    expect([DEFAULT_PORT, DEFAULT_HOST, DEFAULT_BODY_LIMIT, DEFAULT_TOKEN_TTL_SECONDS]).toEqual([
      8080,
      '127.0.0.1',
      1048576,
      604800,
    ]);
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });

  it('reads the environment, and flags win over it', () => {
    const env = {
      DATABASE_URL: 'postgres://app:secret@pooler.example/db',
      CHATDB_MIGRATIONS_DIR: 'db/migrations',
      CHATDB_DATA_DIR: '/var/chatdb',
      PORT: '3000',
      HOST: '0.0.0.0',
      CHATDB_CORS_ORIGINS: ' https://docs.example.com , http://localhost:3000/ ',
      CHATDB_BODY_LIMIT: '2048',
      CHATDB_STATEMENT_TIMEOUT_MS: '0',
      CHATDB_TOKEN_TTL_SECONDS: '3600',
      CHATDB_TRASH_RETENTION_DAYS: '7',
      CHATDB_LOGIN_LIMIT_PER_ADDRESS: '100',
      CHATDB_LOGIN_LIMIT_PER_EMAIL: '7',
      LOG_LEVEL: 'DEBUG',
    };
    expect(loadConfig(env)).toMatchObject({
      databaseUrl: env.DATABASE_URL,
      migrationsDir: 'db/migrations',
      dataDir: '/var/chatdb',
      port: 3000,
      host: '0.0.0.0',
      corsOrigins: ['https://docs.example.com', 'http://localhost:3000'],
      bodyLimit: 2048,
      statementTimeoutMs: 0,
      tokenTtlSeconds: 3600,
      trashRetentionDays: 7,
      logLevel: 'debug',
      loginLimit: { perAddress: 100, perEmail: 7 },
    });
    const flagged = loadConfig(env, {
      databaseUrl: 'memory://',
      dir: 'm',
      dataDir: 'd',
      port: '9000',
      host: '::1',
    });
    expect(flagged).toMatchObject({
      databaseUrl: 'memory://',
      migrationsUrl: 'memory://',
      migrationsDir: 'm',
    });
    expect(flagged).toMatchObject({ dataDir: 'd', port: 9000, host: '::1' });
    expect(loadConfig({ CHATDB_CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    for (const bad of ['0', '36501', '1.5', 'month'])
      expect(() => loadConfig({ CHATDB_TRASH_RETENTION_DAYS: bad })).toThrow(
        /^CHATDB_TRASH_RETENTION_DAYS must be a whole number from 1 to 36500/,
      );
  });

  it('migrations prefer the direct URL: DATABASE_URL_UNPOOLED, then DIRECT_URL, then DATABASE_URL', () => {
    const pooled = 'postgres://u:p@ep-x-pooler.neon.tech/db?sslmode=require';
    const unpooled = 'postgres://u:p@ep-x.neon.tech/db?sslmode=require';
    const direct = 'postgres://u:p@direct.example/db';
    expect(loadConfig({ DATABASE_URL: pooled }).migrationsUrl).toBe(pooled);
    expect(loadConfig({ DATABASE_URL: pooled, DIRECT_URL: direct }).migrationsUrl).toBe(direct);
    const both = loadConfig({ DATABASE_URL: pooled, DIRECT_URL: direct, DATABASE_URL_UNPOOLED: unpooled });
    expect([both.databaseUrl, both.migrationsUrl]).toEqual([pooled, unpooled]);
    // an explicit --database-url names the one database to use
    expect(
      loadConfig({ DATABASE_URL: pooled, DIRECT_URL: direct }, { databaseUrl: unpooled }).migrationsUrl,
    ).toBe(unpooled);
    expect(loadConfig({ DATABASE_URL: '  ' }).databaseUrl).toBeUndefined();
  });

  it('accepts exactly the token lifetimes the library accepts, naming the variable otherwise', async () => {
    const { min, max } = TOKEN_TTL_SECONDS_RANGE;
    const scratch = await freshDatabase('all');
    try {
      for (const ttl of [min, max]) {
        const config = loadConfig({ CHATDB_TOKEN_TTL_SECONDS: String(ttl) });
        expect(config.tokenTtlSeconds).toBe(ttl);
        // what `serve` does with it: no failure naming the library option, tokens of that lifetime
        const chat = createChatDb(scratch.db, { tokenTtlSeconds: config.tokenTtlSeconds });
        const user = await chat.users.register({
          email: `ttl${ttl}@example.com`,
          password: 'long enough pw',
        });
        const issued = await chat.tokens.issue(user.id);
        const seconds = (issued.expiresAt.getTime() - Date.now()) / 1000;
        expect(Math.abs(seconds - ttl)).toBeLessThan(60);
      }
    } finally {
      await scratch.drop();
    }
    // 2 years: passed the environment check before, then `serve` died naming tokenTtlSeconds
    expect(invalid({ CHATDB_TOKEN_TTL_SECONDS: '63072000' })).toBe(
      `CHATDB_TOKEN_TTL_SECONDS must be a whole number from 1 to ${max}, got "63072000"`,
    );
    expect(invalid({ CHATDB_TOKEN_TTL_SECONDS: String(max + 1) })).toMatch(/^CHATDB_TOKEN_TTL_SECONDS/);
  });

  it('serve refuses a token lifetime out of range naming the variable, before opening anything', async () => {
    const dir = tempDir();
    const r = await chatdb(['serve'], dir, { CHATDB_TOKEN_TTL_SECONDS: '63072000', PORT: '47913' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/CHATDB_TOKEN_TTL_SECONDS must be a whole number from 1 to 31622400/);
    expect(r.stderr).not.toMatch(/tokenTtlSeconds|\n\s+at /);
  });

  it('rejects bad values with a message naming the variable, and never shows a password', () => {
    expect(invalid({ PORT: '0' })).toBe('PORT must be a whole number from 1 to 65535, got "0"');
    expect(invalid({ PORT: '80.5' })).toMatch(/^PORT must be a whole number/);
    expect(invalid({ PORT: '8080abc' })).toMatch(/^PORT must be/);
    expect(invalid({}, { port: '70000' })).toMatch(/^--port must be/);
    expect(invalid({ CHATDB_BODY_LIMIT: '-1' })).toMatch(/^CHATDB_BODY_LIMIT must be/);
    expect(invalid({ CHATDB_STATEMENT_TIMEOUT_MS: '1.5s' })).toBe(
      'CHATDB_STATEMENT_TIMEOUT_MS must be a whole number from 0 to 3600000, got "1.5s"',
    );
    expect(invalid({ CHATDB_TOKEN_TTL_SECONDS: '0' })).toMatch(
      /^CHATDB_TOKEN_TTL_SECONDS must be a whole number from 1 to 31622400/,
    );
    expect(invalid({ CHATDB_LOGIN_LIMIT_PER_EMAIL: '0' })).toMatch(
      /^CHATDB_LOGIN_LIMIT_PER_EMAIL must be a whole number from 1/,
    );
    expect(invalid({ LOG_LEVEL: 'loud' })).toMatch(/^LOG_LEVEL must be one of fatal, error, warn, info/);
    expect(invalid({ CHATDB_CORS_ORIGINS: 'docs.example.com' })).toMatch(
      /^CHATDB_CORS_ORIGINS: "docs.example.com"/,
    );
    expect(invalid({ CHATDB_CORS_ORIGINS: 'https://a.example/path' })).toMatch(/is not an origin/);
    const url = invalid({ DIRECT_URL: 'mysql://root:hunter2@db/x' });
    expect(url).toMatch(/^DIRECT_URL: unsupported database URL mysql:\/\/root:\*\*\*@db\/x/);
    expect(url).not.toContain('hunter2');
    expect(invalid({ DATABASE_URL: 'sqlite://x' })).toMatch(/^DATABASE_URL: unsupported/);
  });
});
