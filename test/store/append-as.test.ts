/** messages.appendAs: the append with its bearer token checked in the same statement. */
import { describe, expect, it } from 'vitest';
import { hashToken } from '../../src/auth/token.js';
import { count, errorCode, useChatDb } from './helpers.js';

const fx = useChatDb();
let n = 0;
const newUser = async () => {
  const u = await fx.chat.users.register({
    email: `as-${n++}@example.com`,
    password: 'correct horse battery',
  });
  const { token } = await fx.chat.tokens.issue(u.id);
  const s = await fx.chat.sessions.create(u.id);
  return { user: u, token, session: s.id };
};

describe('messages.appendAs', () => {
  it("appends as the token's user and returns that user", async () => {
    const a = await newUser();
    const r = await fx.chat.messages.appendAs(a.token, a.session, {
      role: 'assistant',
      content: 'hi',
      citations: [{ documentId: 'd1' }, { documentId: 'd2' }],
    });
    expect(r?.user).toEqual(a.user);
    expect(r?.created).toBe(true);
    expect(r?.message).toMatchObject({ seq: 1, content: 'hi' });
    expect(r?.message.citations.map((c) => c.documentId)).toEqual(['d1', 'd2']);
    expect((await fx.chat.sessions.get(a.user.id, a.session)).messageCount).toBe(1);
  });

  it('null for a token that is unknown, malformed, revoked or of an inactive user: nothing written', async () => {
    const a = await newUser();
    const revoked = await newUser();
    await fx.chat.tokens.revoke(revoked.token);
    const inactive = await newUser();
    await fx.db.query('UPDATE users SET is_active = false WHERE id = $1', [inactive.user.id]);
    const expired = await newUser();
    await fx.db.query(
      "UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
      [hashToken(expired.token)],
    );
    const cases: [string, string][] = [
      ['A'.repeat(43), a.session],
      ['not a token', a.session],
      [revoked.token, revoked.session],
      [inactive.token, inactive.session],
      [expired.token, expired.session],
    ];
    for (const [token, session] of cases)
      expect(await fx.chat.messages.appendAs(token, session, { role: 'user', content: 'x' })).toBeNull();
    expect(await count(fx.db, 'messages', 'session_id = ANY($1::uuid[])', [cases.map((c) => c[1])])).toBe(0);
  });

  it("another user's session or a malformed id: not_found, nothing written; bad input: invalid_input", async () => {
    const a = await newUser();
    const b = await newUser();
    expect(
      await errorCode(fx.chat.messages.appendAs(b.token, a.session, { role: 'user', content: 'x' })),
    ).toBe('not_found');
    expect(await errorCode(fx.chat.messages.appendAs(b.token, 'nope', { role: 'user', content: 'x' }))).toBe(
      'not_found',
    );
    expect(await errorCode(fx.chat.messages.appendAs(b.token, b.session, { role: 'robot' } as never))).toBe(
      'invalid_input',
    );
    expect(await count(fx.db, 'messages', 'session_id = ANY($1::uuid[])', [[a.session, b.session]])).toBe(0);
  });

  it('concurrent retries with one key create one message; each gets it back with the user', async () => {
    const a = await newUser();
    const same = { role: 'user' as const, content: 'racing', idempotencyKey: 'as-race' };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => fx.chat.messages.appendAs(a.token, a.session, same)),
    );
    expect(new Set(results.map((r) => r?.message.id)).size).toBe(1);
    expect(results.filter((r) => r?.created)).toHaveLength(1);
    expect(results.every((r) => r?.user.id === a.user.id)).toBe(true);
    expect(await count(fx.db, 'messages', 'session_id = $1', [a.session])).toBe(1);
  });

  it("writes the token's last_used_at on first use and then at most once a minute, as resolve does", async () => {
    const a = await newUser();
    const lastUsed = async () =>
      (
        await fx.db.query<{ t: Date | null }>(
          'SELECT last_used_at AS t FROM auth_tokens WHERE token_hash = $1',
          [hashToken(a.token)],
        )
      ).rows[0]?.t;
    expect(await lastUsed()).toBeNull();
    await fx.chat.messages.appendAs(a.token, a.session, { role: 'user', content: 'one' });
    expect(await lastUsed()).toBeInstanceOf(Date);
    await fx.db.query(
      "UPDATE auth_tokens SET last_used_at = now() - interval '30 seconds' WHERE token_hash = $1",
      [hashToken(a.token)],
    );
    const recent = await lastUsed();
    await fx.chat.messages.appendAs(a.token, a.session, { role: 'user', content: 'two' });
    expect(await lastUsed()).toEqual(recent);
    const old = new Date('2025-01-01T00:00:00.000Z');
    await fx.db.query('UPDATE auth_tokens SET last_used_at = $2 WHERE token_hash = $1', [
      hashToken(a.token),
      old,
    ]);
    // Also when the session is not the user's: the token was used.
    const b = await newUser();
    await expect(
      fx.chat.messages.appendAs(a.token, b.session, { role: 'user', content: 'x' }),
    ).rejects.toThrow();
    expect((await lastUsed())?.getTime()).toBeGreaterThan(old.getTime());
  });

  it("runs chatdb_append_message's statement with the token's user as the owner, and nothing else changed", async () => {
    // chatdb_append_message_as holds a copy of the append's statement (one function, no nested
    // call, is what made it pay); a change to the append must be made to both.
    const source = async (fn: string) =>
      (await fx.db.query<{ src: string }>('SELECT prosrc AS src FROM pg_proc WHERE proname = $1', [fn]))
        .rows[0]?.src ?? '';
    const statement = (src: string) => {
      const start = src.indexOf('RETURN QUERY\n  WITH s AS');
      const end = src.indexOf('FROM prior;', start);
      expect(start).toBeGreaterThan(0);
      expect(end).toBeGreaterThan(start);
      return src.slice(start, end);
    };
    const owner = "(json_populate_record(NULL::chat_sessions, json_build_object('user_id', p_user))).user_id";
    const tokenUser =
      'v_token_user.id, v_token_user.email, v_token_user.is_guest, v_token_user.is_active, v_token_user.created_at,\n    v_token_user.updated_at, ';
    const append = statement(await source('chatdb_append_message'));
    expect(append).toContain(owner);
    const expected = append
      .replace(owner, 'v_token_user.id')
      .replaceAll('  SELECT id, session_id,', `  SELECT ${tokenUser}id, session_id,`);
    expect(statement(await source('chatdb_append_message_as'))).toBe(expected);
  });
});
