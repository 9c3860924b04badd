/**
 * The append runs inside chatdb_append_message (migration 20261203000006): one function for the
 * chat scope alone (owner ids are any text) and for `all` (uuid owners, in every spelling Postgres
 * reads), and a clear error when the database predates it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isChatDbError } from '../../src/errors.js';
import { init, PACKAGE_MIGRATIONS_DIR } from '../../src/migrate/baseline.js';
import { up } from '../../src/migrate/index.js';
import { type ChatDb, createChatDb } from '../../src/store/chatdb.js';
import { freshDatabase, type ScratchDatabase } from '../helpers/db.js';
import { errorCode, makeUser } from './helpers.js';

const quiet = { logger: () => undefined };

describe('the append function', () => {
  let chatOnly: ScratchDatabase;
  let all: ScratchDatabase;
  let chatScope: ChatDb;
  let allScope: ChatDb;
  beforeAll(async () => {
    [chatOnly, all] = await Promise.all([freshDatabase('chat'), freshDatabase('all')]);
    chatScope = createChatDb(chatOnly.db, quiet);
    allScope = createChatDb(all.db, quiet);
  });
  afterAll(async () => {
    await chatOnly.drop();
    await all.drop();
  });

  it('chat scope: any text owner id, compared exactly (case matters)', async () => {
    const s = await chatScope.sessions.create('Owner-7');
    const r = await chatScope.messages.append('Owner-7', s.id, {
      role: 'assistant',
      content: 'hi',
      citations: [{ documentId: 'd1' }, { documentId: 'd2', score: 0.5 }],
    });
    expect(r.message).toMatchObject({ seq: 1, content: 'hi' });
    expect(r.message.citations.map((c) => c.documentId)).toEqual(['d1', 'd2']);
    expect(await errorCode(chatScope.messages.append('owner-7', s.id, { role: 'user', content: 'x' }))).toBe(
      'not_found',
    );
    const row = await chatOnly.db.query<{ user_id: string }>('SELECT user_id FROM messages');
    expect(row.rows.map((x) => x.user_id)).toEqual(['Owner-7']);
  });

  it('all scope: a uuid owner in upper case or without hyphens is the same user; a malformed one is not found', async () => {
    const user = await makeUser(all.db);
    const s = await allScope.sessions.create(user);
    await allScope.messages.append(user.toUpperCase(), s.id, { role: 'user', content: 'one' });
    await allScope.messages.append(user.replaceAll('-', ''), s.id, { role: 'user', content: 'two' });
    const list = await allScope.messages.list(user, s.id);
    expect(list.data.map((m) => [m.seq, m.content])).toEqual([
      [1, 'one'],
      [2, 'two'],
    ]);
    expect(
      await errorCode(allScope.messages.append('not-a-uuid', s.id, { role: 'user', content: 'x' })),
    ).toBe('not_found');
  });

  it('a database without the function: config_invalid naming chatdb init, nothing written', async () => {
    const s = await chatScope.sessions.create('owner-b');
    await chatOnly.db.exec(
      'DROP FUNCTION chatdb_append_message(uuid, text, uuid, text, text, text, jsonb, text, text, jsonb, text, integer, integer, integer, integer)',
    );
    const e = await chatScope.messages
      .append('owner-b', s.id, { role: 'user', content: 'x' })
      .catch((x) => x);
    expect(isChatDbError(e, 'config_invalid')).toBe(true);
    expect(String(e.message)).toMatch(/chatdb init/);
    const n = await chatOnly.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM messages WHERE session_id = $1',
      [s.id],
    );
    expect(n.rows[0]?.n).toBe(0);
  });
  it('chat installed first, then auth: the same connection appends before and after the link makes owners uuids', async () => {
    const s = await freshDatabase('none');
    try {
      const chat = createChatDb(s.db, quiet);
      await init(s.db, { dir: PACKAGE_MIGRATIONS_DIR, scope: 'chat' });
      const owner = '0190a3a4-0000-7000-8000-000000000001';
      const session = await chat.sessions.create(owner);
      // Appended on text owner ids: the plan of the function is made (and kept) on this connection.
      for (const content of ['a', 'b'])
        await chat.messages.append(owner, session.id, { role: 'user', content });
      // auth: its tables are made, then the link refuses an owner that is no user (init.test.ts)...
      await expect(init(s.db, { dir: PACKAGE_MIGRATIONS_DIR, scope: 'auth' })).rejects.toThrow(/cannot link/);
      // ...so the owner becomes one, and `up` applies the links.
      await s.db.query("INSERT INTO users (id, email, hashed_password) VALUES ($1, 'o@example.com', 'x')", [
        owner,
      ]);
      await up(s.db, { dir: PACKAGE_MIGRATIONS_DIR });
      const type = await s.db.query<{ t: string }>(
        "SELECT data_type AS t FROM information_schema.columns WHERE table_name = 'chat_sessions' AND column_name = 'user_id'",
      );
      expect(type.rows[0]?.t).toBe('uuid');
      const r = await chat.messages.append(owner.toUpperCase(), session.id, {
        role: 'assistant',
        content: 'c',
        citations: [{ documentId: 'd' }],
      });
      expect(r.message).toMatchObject({ seq: 3, content: 'c' });
      expect(r.message.citations).toHaveLength(1);
    } finally {
      await s.drop();
    }
  });
});
