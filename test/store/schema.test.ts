import { afterAll, describe, expect, it } from 'vitest';
import { ChatDbError, isChatDbError } from '../../src/errors.js';
import { createChatDb, DEFAULT_TOKEN_TTL_SECONDS, openChatDb } from '../../src/index.js';
import { createScratchUrl, onRealPostgres } from '../helpers/db.js';
import { cjk, useChatDb } from './helpers.js';

const chatOnly = useChatDb('chat');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** openChatDb on an empty database: the real server's scratch db, or a new in-memory PGlite. */
async function openEmpty() {
  if (!onRealPostgres) return openChatDb({ url: 'memory://', logger: () => undefined });
  const scratch = await createScratchUrl();
  cleanups.push(scratch.drop);
  return openChatDb({ url: scratch.url, logger: () => undefined });
}

describe('openChatDb', () => {
  it('on a database without the schema, calls fail with a clear config_invalid, not a driver error', async () => {
    const chat = await openEmpty();
    try {
      const err = await chat.users
        .register({ email: 'a@example.com', password: 'long-enough' })
        .catch((e) => e);
      expect(err).toBeInstanceOf(ChatDbError);
      expect(err.code).toBe('config_invalid');
      expect(err.message).toBe(
        'chatdb schema not installed (relation "users" does not exist): run `chatdb init --scope all`',
      );
      const e2 = await chat.sessions.list('someone').catch((e) => e);
      expect(isChatDbError(e2, 'config_invalid')).toBe(true);
      expect(e2.message).toContain('relation "chat_sessions" does not exist');
    } finally {
      await chat.close();
    }
    // close() closed the database it opened.
    await expect(chat.db.query('SELECT 1')).rejects.toThrow();
  });

  it('with `db`, close() leaves the database open; bad options are invalid_input', async () => {
    const chat = await openChatDb({ db: chatOnly.db });
    await chat.close();
    expect((await chatOnly.db.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
    expect(DEFAULT_TOKEN_TTL_SECONDS).toBe(604800);
    expect(() => createChatDb(chatOnly.db, { tokenTtlSeconds: 0 })).toThrow(/tokenTtlSeconds/);
    await expect(openChatDb({ url: 'mysql://x' })).rejects.toSatisfy((e) =>
      isChatDbError(e, 'config_invalid'),
    );
  });
});

describe('chat scope (user ids from an external auth provider)', () => {
  it('sessions and messages work with non-uuid user ids, owner-checked', async () => {
    const { chat } = chatOnly;
    const s = await chat.sessions.create('user_2NNEqL2nrIRdJ194ndJqAHwEfxC', { title: 'clerk user' });
    expect(s.userId).toBe('user_2NNEqL2nrIRdJ194ndJqAHwEfxC');
    const m = await chat.messages.append(s.userId, s.id, {
      role: 'user',
      content: 'hi',
      citations: [{ documentId: 'd' }],
    });
    expect(m.message.seq).toBe(1);
    expect((await chat.sessions.list('auth0|abc')).data).toEqual([]);
    await expect(chat.messages.append('auth0|abc', s.id, { role: 'user', content: 'x' })).rejects.toSatisfy(
      (e) => isChatDbError(e, 'not_found'),
    );
    expect((await chat.sessions.conversation(s.userId, s.id)).messages).toHaveLength(1);
    expect(await chat.queries.sessionsPerUser()).toEqual([{ userId: s.userId, sessions: 1, messages: 1 }]);
  });

  it('auth features report the missing users table as config_invalid', async () => {
    const { chat } = chatOnly;
    const calls = [
      () => chat.users.register({ email: 'a@example.com', password: 'long-enough' }),
      () => chat.users.authenticate({ email: 'a@example.com', password: 'long-enough' }),
      () => chat.tokens.issue('00000000-0000-4000-8000-000000000000'),
      () => chat.queries.userCounts(),
    ];
    for (const call of calls) {
      const e = await call().catch((x) => x);
      expect(isChatDbError(e, 'config_invalid')).toBe(true);
      // The driver error stays as the cause, without the statement's parameters.
      expect(JSON.stringify(e.cause ?? {})).not.toContain('a@example.com');
    }
  });

  it('a user id of 255 multibyte characters (765 bytes) fits chat_sessions_user_list_idx; 256 is not_found', async () => {
    const { chat } = chatOnly;
    const user = cjk(255);
    const s = await chat.sessions.create(user, { title: 'long id' });
    await chat.messages.append(user, s.id, { role: 'user', content: 'hi' });
    expect((await chat.sessions.list(user)).data.map((x) => x.id)).toEqual([s.id]);
    await expect(chat.sessions.create(cjk(256))).rejects.toSatisfy((e) => isChatDbError(e, 'not_found'));
  });
});
