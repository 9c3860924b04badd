import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { isChatDbError } from '../../src/errors.js';
import { createChatDb } from '../../src/store/chatdb.js';
import { freshDatabase, onRealPostgres } from '../helpers/db.js';
import { appendBody, makeClients } from '../helpers/load.js';
import { serveQuietly } from '../http/helpers.js';

/** A second connection, straight to the server, holding `sql`'s row locks until `release()`. */
async function holdLock(directUrl: string, sql: string, params: unknown[]) {
  const c = new pg.Client({ connectionString: directUrl });
  await c.connect();
  await c.query('BEGIN');
  await c.query(sql, params);
  return {
    async release() {
      await c.query('ROLLBACK');
      await c.end();
    },
  };
}

// Needs a second session holding a lock: PGlite is one connection. Runs through PgBouncer too.
describe.runIf(onRealPostgres)('statement timeout (SET LOCAL statement_timeout per transaction)', () => {
  it('the adapter: a query stuck behind a row lock fails db_unavailable in time; its connection is reused clean', async () => {
    const s = await freshDatabase('none');
    await s.db.exec('CREATE TABLE t (id int PRIMARY KEY, n int); INSERT INTO t VALUES (1, 0)');
    // One connection: the next statement is bound to reuse the one the timeout hit.
    const db = await openDatabase({ url: s.url, poolSize: 1, statementTimeoutMs: 300, connectRetries: 0 });
    const lock = await holdLock(s.directUrl, 'SELECT * FROM t WHERE id = 1 FOR UPDATE', []);
    try {
      const started = Date.now();
      const lone = await db.query('UPDATE t SET n = n + 1 WHERE id = 1').catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(isChatDbError(lone, 'db_unavailable')).toBe(true);
      expect((lone as Error).message).toBe('the database did not answer within 300 ms (statement timeout)');
      const inTx = await db
        .transaction((tx) => tx.query('UPDATE t SET n = n + 1 WHERE id = 1'))
        .catch((e: unknown) => e);
      expect(isChatDbError(inTx, 'db_unavailable')).toBe(true);
      // Usable, nothing left behind: no aborted transaction, the SET LOCAL gone with it.
      const setting = await db.withSession((c) =>
        c.query<{ t: string }>("SELECT current_setting('statement_timeout') AS t"),
      );
      expect(setting.rows[0]?.t).toBe('0');
      const inside = await db.transaction((tx) =>
        tx.query<{ t: string }>("SELECT current_setting('statement_timeout') AS t"),
      );
      expect(inside.rows[0]?.t).toBe('300ms');
    } finally {
      await lock.release();
    }
    const after = await db.query<{ n: number }>('UPDATE t SET n = n + 1 WHERE id = 1 RETURNING n');
    expect(after.rows[0]?.n).toBe(1); // neither timed-out update was applied
    await db.close();
    await s.drop();
  });

  it('the append bounds its own lock wait in one round trip (lock_timeout inside the function), and leaves nothing set', async () => {
    const s = await freshDatabase('all');
    // One connection: every statement below runs on the one the timeout hit.
    const db = await openDatabase({ url: s.url, poolSize: 1, statementTimeoutMs: 300, connectRetries: 0 });
    const chat = createChatDb(db, { logger: () => undefined });
    const user = await chat.users.register({ email: 'lock@example.com', password: 'correct horse battery' });
    const { token } = await chat.tokens.issue(user.id);
    const session = await chat.sessions.create(user.id);
    const setting = async () =>
      (await db.withSession((c) => c.query<{ t: string }>("SELECT current_setting('lock_timeout') AS t")))
        .rows[0]?.t;
    await chat.messages.append(user.id, session.id, { role: 'user', content: 'first' });
    expect(await setting()).toBe('0');
    const lock = await holdLock(s.directUrl, 'SELECT * FROM chat_sessions WHERE id = $1 FOR UPDATE', [
      session.id,
    ]);
    try {
      for (const attempt of [
        () => chat.messages.append(user.id, session.id, { role: 'user', content: 'stuck' }),
        () => chat.messages.appendAs(token, session.id, { role: 'user', content: 'stuck' }),
      ]) {
        const started = Date.now();
        const e = await attempt().catch((x: unknown) => x);
        expect(Date.now() - started).toBeLessThan(1500);
        expect(isChatDbError(e, 'db_unavailable')).toBe(true);
        expect((e as Error).message).toBe(
          'the database did not answer within 300 ms (waiting for a lock: lock timeout)',
        );
        expect(await setting()).toBe('0');
      }
    } finally {
      await lock.release();
    }
    const list = await chat.messages.list(user.id, session.id);
    expect(list.data.map((m) => m.content)).toEqual(['first']);
    expect(
      (await chat.messages.appendAs(token, session.id, { role: 'user', content: 'after' }))?.created,
    ).toBe(true);
    await db.close();
    await s.drop();
  });

  it('HTTP: an append stuck behind a lock held elsewhere answers 503 problem within ~1 s, the next one 201', async () => {
    const s = await freshDatabase('all');
    const server = await serveQuietly({ DATABASE_URL: s.url, CHATDB_STATEMENT_TIMEOUT_MS: '500' }, {});
    try {
      const [client] = await makeClients(server.url, 1, 1, 'stmt-timeout');
      if (!client) throw new Error('no client');
      const append = (i: number) =>
        fetch(`${server.url}/chat/sessions/${client.sessionId}/messages`, {
          method: 'POST',
          headers: client.headers,
          body: appendBody(i),
        });
      const lock = await holdLock(s.directUrl, 'SELECT * FROM chat_sessions WHERE id = $1 FOR UPDATE', [
        client.sessionId,
      ]);
      let stuck: Response;
      const started = Date.now();
      try {
        stuck = await append(0);
      } finally {
        await lock.release();
      }
      expect(Date.now() - started).toBeLessThan(1500);
      expect(stuck.status).toBe(503);
      expect(stuck.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await stuck.json()).toMatchObject({
        status: 503,
        type: 'urn:chatdb:problem:db_unavailable',
        detail: 'the database did not answer in time: retry',
      });
      const next = await append(1);
      expect(next.status).toBe(201);
      // The stuck append left nothing: the session holds exactly the one acknowledged message.
      const list = await fetch(`${server.url}/chat/sessions/${client.sessionId}/messages`, {
        headers: client.headers,
      });
      expect(((await list.json()) as { data: unknown[] }).data).toHaveLength(1);
    } finally {
      await server.close();
      await s.drop();
    }
  });
});
