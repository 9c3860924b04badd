import { Pool as NeonPool, neonConfig } from '@neondatabase/serverless';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { ChatDbError } from '../../src/errors.js';
import { openChatDb } from '../../src/store/chatdb.js';
import { freshDatabase, onRealPostgres } from '../helpers/db.js';
import { neonBridge, neonPool } from '../helpers/neon.js';

/** A user, a session, an answer with a citation, read back: the modules work on `chat`. */
async function roundTrip(chat: Awaited<ReturnType<typeof openChatDb>>, tag: string) {
  const user = await chat.users.register({
    email: `${tag}-${Date.now()}@example.com`,
    password: 'a long password',
  });
  const session = await chat.sessions.create(user.id, { title: tag });
  const a = await chat.messages.append(user.id, session.id, {
    role: 'assistant',
    content: `answer of ${tag}`,
    citations: [{ documentId: 'manual', chunkId: 'c1', score: 0.5 }],
  });
  const conv = await chat.sessions.conversation(user.id, session.id);
  return { a, conv };
}

describe('openChatDb({ pool }): an application-supplied pool', () => {
  it('is refused together with url, dataDir or db, as config_invalid', async () => {
    const pool = { connect: async () => ({}) } as never;
    for (const options of [
      { pool, url: 'memory://' },
      { pool, dataDir: '.x' },
    ]) {
      const e = await openChatDb(options).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ChatDbError);
      expect(e).toMatchObject({ code: 'config_invalid' });
    }
    const e = await openDatabase({ pool, url: 'postgres://u@h/d' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'config_invalid' });
  });

  it.runIf(onRealPostgres)(
    "pg.Pool: the modules use it, bigints read as numbers, close() leaves the app's pool open",
    async () => {
      const s = await freshDatabase('all');
      const pool = new pg.Pool({ connectionString: s.url, max: 3 });
      try {
        const chat = await openChatDb({ pool, logger: () => undefined });
        expect(chat.db.target).not.toContain('postgres://');
        const { a, conv } = await roundTrip(chat, 'pgpool');
        expect(a.message.seq).toBe(1);
        expect(typeof a.message.seq).toBe('number');
        expect(conv.messages.map((m) => m.content)).toEqual(['answer of pgpool']);
        await chat.close();
        // Still the application's, still open.
        expect((await pool.query('SELECT 41 + 1 AS n')).rows[0].n).toBe(42);
        expect(pool.listenerCount('error')).toBe(0);
      } finally {
        await pool.end();
        await s.drop();
      }
    },
  );

  it.runIf(onRealPostgres)(
    "@neondatabase/serverless's Pool over WebSockets (a local bridge as Neon's proxy)",
    async () => {
      const s = await freshDatabase('all');
      const pool = await neonPool(s.url);
      const before = (await neonBridge()).connections();
      try {
        const chat = await openChatDb({ pool, logger: () => undefined });
        const { a, conv } = await roundTrip(chat, 'neonpool');
        expect(a.message.seq).toBe(1);
        expect(conv.messages[0]?.citations).toHaveLength(1);
        await chat.close();
        // It really went over the bridge's WebSockets.
        expect((await neonBridge()).connections()).toBeGreaterThan(before);
        expect(neonConfig.useSecureWebSocket).toBe(false);
        expect(pool).toBeInstanceOf(NeonPool);
      } finally {
        await pool.end();
        await s.drop();
      }
    },
  );
});
