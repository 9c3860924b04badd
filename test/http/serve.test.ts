import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { isChatDbError } from '../../src/errors.js';
import { buildApp } from '../../src/http/app.js';
import { throttled } from '../../src/http/serve.js';
import { BASELINE_FILES, PACKAGE_MIGRATIONS_DIR, up } from '../../src/migrate/index.js';
import { createChatDb } from '../../src/store/chatdb.js';
import { createScratchUrl, freshDatabase, onRealPostgres } from '../helpers/db.js';
import { BASELINE_VERSIONS, migrationsDir, sql, tables } from '../helpers/migrations.js';
import { serveQuietly } from './helpers.js';

describe('serve', () => {
  it('serves over a real socket and keeps all data across a restart on the same embedded data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chatdb-serve-'));
    const dir = mkdtempSync(join(tmpdir(), 'chatdb-serve-m-'));
    const start = () => serveQuietly({}, { dataDir, dir }, { migrate: false });

    const first = await start();
    const json = { 'content-type': 'application/json' };
    const creds = JSON.stringify({ email: 'persist@example.com', password: 'correct horse battery' });
    expect((await fetch(`${first.url}/users`, { method: 'POST', headers: json, body: creds })).status).toBe(
      201,
    );
    const { access_token } = (await (
      await fetch(`${first.url}/auth/token`, { method: 'POST', headers: json, body: creds })
    ).json()) as {
      access_token: string;
    };
    const h = { ...json, authorization: `Bearer ${access_token}` };
    const session = (await (
      await fetch(`${first.url}/chat/sessions`, { method: 'POST', headers: h, body: '{"title":"kept"}' })
    ).json()) as {
      id: string;
    };
    const msg = await fetch(`${first.url}/chat/sessions/${session.id}/messages`, {
      method: 'POST',
      headers: h,
      body: JSON.stringify({
        role: 'assistant',
        content: 'survives restarts',
        citations: [{ document_id: 'doc-1' }],
      }),
    });
    expect(msg.status).toBe(201);
    await first.close();

    const second = await start();
    try {
      const list = await fetch(`${second.url}/chat/sessions/${session.id}/messages`, { headers: h });
      expect(list.status).toBe(200);
      const body = (await list.json()) as { data: { content: string; citations: unknown[] }[] };
      expect(body.data).toHaveLength(1);
      expect(body.data[0]).toMatchObject({
        content: 'survives restarts',
        citations: [{ document_id: 'doc-1' }],
      });
    } finally {
      await second.close();
    }
  });

  it('restarts on an embedded data directory apply what the directory gained, restore a deleted baseline file, else change nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chatdb-serve-'));
    const dir = mkdtempSync(join(tmpdir(), 'chatdb-serve-m-'));
    const start = () => serveQuietly({}, { dataDir, dir }, { migrate: false });
    const history = async () => {
      const db = await openDatabase({ dataDir });
      try {
        return (
          await db.query<{ version: string; applied_at: Date }>(
            'SELECT version::text AS version, applied_at FROM schema_migrations ORDER BY version',
          )
        ).rows;
      } finally {
        await db.close();
      }
    };
    await (await start()).close();
    const installed = await history();
    expect(installed.map((r) => r.version)).toEqual(BASELINE_VERSIONS);

    await (await start()).close(); // nothing new: the history stays as it was
    expect(await history()).toEqual(installed);

    const file = BASELINE_FILES.chat[1] as string;
    rmSync(join(dir, file));
    writeFileSync(
      join(dir, '20270101000000_pin.sql'),
      sql('ALTER TABLE chat_sessions ADD starred boolean;', 'ALTER TABLE chat_sessions DROP starred;'),
    );
    await (await start()).close();
    expect(readdirSync(dir)).toContain(file);
    expect((await history()).map((r) => r.version)).toEqual([...BASELINE_VERSIONS, '20270101000000']);
  });

  it('readyz answers 503 once the database is gone', async () => {
    const s = await freshDatabase('all');
    const app = await buildApp({ chat: createChatDb(s.db) });
    await s.drop();
    const r = await app.inject({ method: 'GET', url: '/readyz' });
    expect(r.statusCode).toBe(503);
    expect(r.headers['content-type']).toMatch(/problem\+json/);
    await app.close();
  });
});

describe.runIf(onRealPostgres)('serve on a Postgres server', () => {
  it('refuses to start while migrations are pending, and applies them with --migrate', async () => {
    const scratch = await createScratchUrl();
    try {
      const dir = migrationsDir({
        '20990101000000_extra.sql': sql('CREATE TABLE extra (id int);', 'DROP TABLE extra;'),
      });
      const flags = { dir };
      const refused = await serveQuietly(scratch.env, flags, { migrate: false }).catch((e: unknown) => e);
      expect(isChatDbError(refused, 'migration_pending')).toBe(true);
      expect((refused as Error).message).toMatch(/1 migration\(s\) pending/);
      const server = await serveQuietly(scratch.env, flags, { migrate: true });
      try {
        expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      } finally {
        await server.close();
      }
    } finally {
      await scratch.drop();
    }
  });

  it('after an upgrade of chatdb, refuses to start until its new baseline files are applied, and says how', async () => {
    const scratch = await createScratchUrl();
    try {
      // A project set up by an older chatdb: the first baseline file of each scope, applied.
      const old = [BASELINE_FILES.auth[0], BASELINE_FILES.chat[0], BASELINE_FILES.link[0]];
      const dir = migrationsDir(
        Object.fromEntries(old.map((f) => [f, readFileSync(join(PACKAGE_MIGRATIONS_DIR, f), 'utf8')])),
      );
      const db = await openDatabase({ url: scratch.url });
      try {
        await up(db, { dir });
      } finally {
        await db.close();
      }
      const refused = await serveQuietly(scratch.env, { dir }, { migrate: false }).catch((e: unknown) => e);
      expect(isChatDbError(refused, 'migration_pending')).toBe(true);
      const missing = BASELINE_VERSIONS.length - old.length;
      expect((refused as Error).message).toMatch(
        new RegExp(
          `needs ${missing} baseline migration\\(s\\) the database does not have .*chatdb init --scope all`,
        ),
      );
      const server = await serveQuietly(scratch.env, { dir }, { migrate: true });
      try {
        expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      } finally {
        await server.close();
      }
      expect(readdirSync(dir).sort()).toEqual(BASELINE_VERSIONS.map((v) => expect.stringMatching(`^${v}_`)));
    } finally {
      await scratch.drop();
    }
  });

  it('--migrate runs migrations over DATABASE_URL_UNPOOLED, not the pooled serving URL', async () => {
    // Two databases stand in for one behind a pooler: whichever gets the schema was migrated over.
    const pooled = await createScratchUrl();
    const direct = await createScratchUrl();
    try {
      const server = await serveQuietly(
        { DATABASE_URL: pooled.url, DATABASE_URL_UNPOOLED: direct.url },
        { dir: migrationsDir(), dataDir: mkdtempSync(join(tmpdir(), 'chatdb-serve-')) },
        { migrate: true },
      );
      await server.close();
      const tablesOf = async (url: string) => {
        const db = await openDatabase({ url });
        try {
          return await tables(db);
        } finally {
          await db.close();
        }
      };
      expect(await tablesOf(direct.url)).toContain('chat_sessions');
      expect(await tablesOf(pooled.url)).toEqual([]);
    } finally {
      await pooled.drop();
      await direct.drop();
    }
  });
});

describe('throttled', () => {
  it('passes the first message of a kind, holds back repeats for the window, then says how many', () => {
    const out: string[] = [];
    let t = 0;
    const log = throttled(
      (m) => out.push(m),
      5000,
      () => t,
    );
    log('retry 1/2 in 250 ms');
    log('retry 2/2 in 500 ms');
    log('idle connection lost');
    t = 4999;
    log('retry 1/2 in 250 ms');
    t = 5000;
    log('retry 1/2 in 250 ms');
    expect(out).toEqual([
      'retry 1/2 in 250 ms',
      'idle connection lost',
      'retry 1/2 in 250 ms (and 2 more like it since the last one)',
    ]);
  });
});
