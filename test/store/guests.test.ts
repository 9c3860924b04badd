import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { isChatDbError } from '../../src/errors.js';
import { countIdleGuests, purgeIdleGuestsBatch } from '../../src/store/guests.js';
import { guard } from '../../src/store/sql-errors.js';
import { onRealPostgres } from '../helpers/db.js';
import { count, errorCode, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const authOnly = useChatDb('auth');
const code = errorCode;
/** The users table as text: equal before and after = nothing changed. */
const users = async (db: Database = fx.db) =>
  (
    await db.query<{ t: string }>(
      `SELECT coalesce(string_agg(u::text, ';' ORDER BY u.id), '') AS t FROM users u`,
    )
  ).rows[0]?.t;
const sqlState = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e) => String((e as { code?: string }).code),
  );

/** Backdates a user and whatever it owns to `days` ago (the touch triggers are held off meanwhile). */
async function age(db: Database, userId: string, days: number, what: 'user' | 'sessions' | 'tokens') {
  const at = `now() - make_interval(days => ${days})`;
  if (what === 'user') {
    await db.transaction(async (tx) => {
      await tx.exec('ALTER TABLE users DISABLE TRIGGER users_touch_updated_at');
      await tx.query(`UPDATE users SET created_at = ${at}, updated_at = ${at} WHERE id = $1`, [userId]);
      await tx.exec('ALTER TABLE users ENABLE TRIGGER users_touch_updated_at');
    });
  } else if (what === 'sessions') {
    await db.transaction(async (tx) => {
      await tx.exec('ALTER TABLE chat_sessions DISABLE TRIGGER chat_sessions_touch_updated_at');
      await tx.query(`UPDATE chat_sessions SET created_at = ${at}, updated_at = ${at} WHERE user_id = $1`, [
        userId,
      ]);
      await tx.exec('ALTER TABLE chat_sessions ENABLE TRIGGER chat_sessions_touch_updated_at');
    });
  } else {
    await db.query(
      `UPDATE auth_tokens SET created_at = ${at}, last_used_at = CASE WHEN last_used_at IS NULL THEN NULL ELSE ${at} END
       WHERE user_id = $1`,
      [userId],
    );
  }
}

describe('guests', () => {
  it('a guest chats with a token, upgrades, signs in with the password and keeps its sessions', async () => {
    const g = await fx.chat.users.createGuest();
    expect(g).toMatchObject({ guest: true, email: null, isActive: true });
    const row = await fx.db.query('SELECT email, hashed_password, is_guest FROM users WHERE id = $1', [g.id]);
    expect(row.rows).toEqual([{ email: null, hashed_password: null, is_guest: true }]);
    const t = await fx.chat.tokens.issue(g.id);
    expect(await fx.chat.tokens.resolve(t.token)).toEqual(g);

    const s = await fx.chat.sessions.create(g.id, { title: 'as a guest' });
    await fx.chat.messages.saveMany(g.id, s.id, [
      { id: 'g-q', role: 'user', parts: [{ type: 'text', text: 'Hello?' }] },
      { id: 'g-a', role: 'assistant', parts: [{ type: 'text', text: 'Hi.' }] },
    ]);
    await fx.chat.feedback.set(g.id, s.id, 'g-a', { rating: 'up' });

    const u = await fx.chat.users.upgrade(g.id, { email: 'Grace@Example.com', password: 'cobol-1959' });
    expect(u).toMatchObject({ id: g.id, guest: false, email: 'Grace@Example.com', isActive: true });
    expect(u.createdAt).toEqual(g.createdAt);
    const hash = await fx.db.query<{ h: string }>('SELECT hashed_password AS h FROM users WHERE id = $1', [
      g.id,
    ]);
    expect(hash.rows[0]?.h).toMatch(/^\$argon2id\$/);

    const signedIn = await fx.chat.users.authenticate({ email: 'grace@example.com', password: 'cobol-1959' });
    expect(signedIn?.id).toBe(g.id);
    // The guest's token stays valid: it now names the registered user.
    expect(await fx.chat.tokens.resolve(t.token)).toMatchObject({ id: g.id, guest: false });
    const page = await fx.chat.sessions.list(g.id);
    expect(page.data.map((x) => x.id)).toEqual([s.id]);
    expect((await fx.chat.messages.activePath(g.id, s.id)).data.map((m) => m.id)).toEqual(['g-q', 'g-a']);
    expect(await fx.chat.feedback.list(g.id, s.id)).toHaveLength(1);
  });

  it('a guest has no password: no login, and no statement gives it one (or an email) without upgrading', async () => {
    const g = await fx.chat.users.createGuest();
    const registered = await makeUser(fx.db);
    expect(await fx.chat.users.authenticate({ email: '', password: 'whatever-123' })).toBeNull();
    const before = await users();
    for (const stmt of [
      `UPDATE users SET hashed_password = 'x' WHERE id = $1`,
      `UPDATE users SET email = 'sneaky@example.com' WHERE id = $1`,
      `UPDATE users SET is_guest = false WHERE id = $1`,
    ])
      expect(await sqlState(fx.db.query(stmt, [g.id])), stmt).toBe('23514');
    expect(await sqlState(fx.db.query('UPDATE users SET is_guest = true WHERE id = $1', [registered]))).toBe(
      '23514',
    );
    expect(await sqlState(fx.db.query(`INSERT INTO users (email) VALUES ('half@example.com')`))).toBe(
      '23514',
    );
    expect(await users()).toBe(before);
  });

  it('upgrade refuses bad input, a registered user, an unknown id and a taken email, changing nothing', async () => {
    const g = await fx.chat.users.createGuest();
    const taken = await fx.chat.users.register({ email: 'taken@example.com', password: 'long-enough' });
    const before = await users();
    const cases: [unknown, unknown, string][] = [
      [g.id, { email: 'not-an-email', password: 'long-enough' }, 'invalid_input'],
      [g.id, { email: 'a@example.com', password: 'short' }, 'invalid_input'],
      [g.id, { email: 'a@example.com', password: 'x'.repeat(1025) }, 'invalid_input'],
      [g.id, { email: 'a\u0000@example.com', password: 'long-enough' }, 'invalid_input'],
      [g.id, { email: 'a@example.com', password: 'long-\ud800-enough' }, 'invalid_input'],
      [g.id, { email: 'a@example.com' }, 'invalid_input'],
      [g.id, { email: 'a@example.com', password: 'long-enough', guest: true }, 'invalid_input'],
      [g.id, null, 'invalid_input'],
      [g.id, 'a@example.com', 'invalid_input'],
      [g.id, { email: 'TAKEN@example.com', password: 'long-enough' }, 'email_taken'],
      [taken.id, { email: 'b@example.com', password: 'long-enough' }, 'conflict'],
      [
        '0b7c4f1e-3d2a-4c5b-9e8f-1a2b3c4d5e6f',
        { email: 'c@example.com', password: 'long-enough' },
        'not_found',
      ],
      ['not-a-uuid', { email: 'c@example.com', password: 'long-enough' }, 'not_found'],
      [undefined, { email: 'c@example.com', password: 'long-enough' }, 'not_found'],
    ];
    for (const [id, input, want] of cases)
      expect(await code(fx.chat.users.upgrade(id as string, input as never)), JSON.stringify(input)).toBe(
        want,
      );
    expect(await users()).toBe(before);
    // Upgraded once, it is no guest any more.
    await fx.chat.users.upgrade(g.id, { email: 'once@example.com', password: 'long-enough' });
    expect(
      await code(fx.chat.users.upgrade(g.id, { email: 'twice@example.com', password: 'long-enough' })),
    ).toBe('conflict');
    expect((await fx.chat.users.get(g.id))?.email).toBe('once@example.com');
  });

  it(`two upgrades at once: one wins, the other is conflict, nothing half-written (${onRealPostgres ? 'Postgres, a pool' : 'PGlite, serialized'})`, async () => {
    for (const [first, second] of [
      ['one@example.com', 'two@example.com'],
      ['same@example.com', 'same@example.com'],
    ]) {
      const g = await fx.chat.users.createGuest();
      const results = await Promise.allSettled([
        fx.chat.users.upgrade(g.id, { email: first as string, password: 'password-one' }),
        fx.chat.users.upgrade(g.id, { email: second as string, password: 'password-two' }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.map((r) => isChatDbError(r.reason) && r.reason.code)).toEqual(['conflict']);
      const winner = (won[0] as PromiseFulfilledResult<{ email: string }>).value;
      const stored = await fx.chat.users.get(g.id);
      expect(stored).toMatchObject({ guest: false, email: winner.email });
      const password = results[0]?.status === 'fulfilled' ? 'password-one' : 'password-two';
      expect((await fx.chat.users.authenticate({ email: winner.email, password }))?.id).toBe(g.id);
      if (first !== second) {
        const loser = winner.email === first ? second : first;
        expect(await count(fx.db, 'users', 'lower(email) = lower($1)', [loser])).toBe(0);
      }
    }
  });

  it("a guest's export: email null, guest true, JSON-serializable", async () => {
    const g = await fx.chat.users.createGuest();
    const s = await fx.chat.sessions.create(g.id);
    const e = await fx.chat.users.export(g.id);
    expect(e.user).toMatchObject({ id: g.id, email: null, guest: true });
    expect(e.sessions.map((c) => c.session.id)).toEqual([s.id]);
    expect(JSON.parse(JSON.stringify(e)).user).toMatchObject({ email: null, guest: true });
  });
});

describe('idle guests: countIdleGuests and purgeIdleGuestsBatch', () => {
  it('deletes only idle guests, oldest first, in batches, with their sessions, messages and feedback', async () => {
    await fx.db.query('DELETE FROM users WHERE is_guest');
    const sql = guard(fx.db);
    const guest = async () => (await fx.chat.users.createGuest()).id;
    // Idle: created 40 days ago, a session and a token, both untouched for 35 days.
    const idle = await guest();
    const s = await fx.chat.sessions.create(idle);
    await fx.chat.messages.saveMany(idle, s.id, [
      { id: 'i-q', role: 'user', parts: [{ type: 'text', text: 'old question' }] },
      { id: 'i-a', role: 'assistant', parts: [{ type: 'text', text: 'old answer' }] },
    ]);
    await fx.chat.feedback.set(idle, s.id, 'i-a', { rating: 'down' });
    const t = await fx.chat.tokens.issue(idle);
    await fx.chat.tokens.resolve(t.token);
    await age(fx.db, idle, 35, 'sessions');
    await age(fx.db, idle, 35, 'tokens');
    await age(fx.db, idle, 40, 'user');
    // Idle too, older, never given a token or a session.
    const idleOlder = await guest();
    await age(fx.db, idleOlder, 50, 'user');
    // Active: an old guest whose token was used today; one that chatted today; one issued a token today.
    const usedToken = await guest();
    const t2 = await fx.chat.tokens.issue(usedToken);
    await age(fx.db, usedToken, 40, 'tokens');
    await fx.db.query('UPDATE auth_tokens SET last_used_at = now() WHERE user_id = $1', [usedToken]);
    await age(fx.db, usedToken, 40, 'user');
    const chatted = await guest();
    await fx.chat.sessions.create(chatted);
    await age(fx.db, chatted, 40, 'user');
    const newToken = await guest();
    await age(fx.db, newToken, 40, 'user');
    await fx.chat.tokens.issue(newToken);
    // Young guest; an old registered user with nothing recent.
    const young = await guest();
    await age(fx.db, young, 5, 'user');
    const registered = await makeUser(fx.db);
    await age(fx.db, registered, 400, 'user');

    expect(await countIdleGuests(sql, { olderThanDays: 30 })).toBe(2);
    expect(await countIdleGuests(sql, { olderThanDays: 45 })).toBe(1);
    expect(await countIdleGuests(sql, { olderThanDays: 3 })).toBe(3);
    expect(await purgeIdleGuestsBatch(sql, { olderThanDays: 30, dryRun: true })).toBe(2);
    expect(await purgeIdleGuestsBatch(sql, { olderThanDays: 30, batchSize: 1, dryRun: true })).toBe(1);
    expect(await count(fx.db, 'users', 'is_guest')).toBe(6);

    // Oldest first, one per batch, until a batch comes back short.
    expect(await purgeIdleGuestsBatch(sql, { olderThanDays: 30, batchSize: 1 })).toBe(1);
    expect(await count(fx.db, 'users', 'id = $1', [idleOlder])).toBe(0);
    expect(await count(fx.db, 'users', 'id = $1', [idle])).toBe(1);
    expect(await purgeIdleGuestsBatch(sql, { olderThanDays: 30, batchSize: 1 })).toBe(1);
    expect(await purgeIdleGuestsBatch(sql, { olderThanDays: 30, batchSize: 1 })).toBe(0);

    const left = await fx.db.query<{ id: string }>('SELECT id FROM users WHERE id = ANY($1) ORDER BY id', [
      [idle, idleOlder, usedToken, chatted, newToken, young, registered],
    ]);
    expect(left.rows.map((r) => r.id).sort()).toEqual(
      [usedToken, chatted, newToken, young, registered].sort(),
    );
    // The cascade (20250101000003 and the chat scope's foreign keys): nothing of the idle guest is left.
    expect(await count(fx.db, 'chat_sessions', 'id = $1', [s.id])).toBe(0);
    expect(await count(fx.db, 'messages', 'session_id = $1', [s.id])).toBe(0);
    expect(await count(fx.db, 'message_feedback', 'user_id = $1', [idle])).toBe(0);
    expect(await count(fx.db, 'auth_tokens', 'user_id = $1', [idle])).toBe(0);
    expect(await fx.chat.tokens.resolve(t2.token)).toMatchObject({ id: usedToken, guest: true });
  });

  it("chat.purge({ idleGuestsOlderThanDays }): the same as purge's third target (dry run, batches, bad values)", async () => {
    await fx.db.query('DELETE FROM users WHERE is_guest');
    const guest = async (days: number) => {
      const id = (await fx.chat.users.createGuest()).id;
      await age(fx.db, id, days, 'user');
      return id;
    };
    await guest(40);
    await guest(50);
    const young = await guest(5);
    const dry = await fx.chat.purge({ idleGuestsOlderThanDays: 30, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, counts: { idleGuests: 2 } });
    expect(await count(fx.db, 'users', 'is_guest')).toBe(3);
    for (const bad of [0, 36_501, '30', 1.5, null])
      expect(await code(fx.chat.purge({ idleGuestsOlderThanDays: bad as never })), String(bad)).toBe(
        'invalid_input',
      );
    expect(await count(fx.db, 'users', 'is_guest')).toBe(3);
    expect((await fx.chat.purge()).counts).not.toHaveProperty('idleGuests');
    const r = await fx.chat.purge({ idleGuestsOlderThanDays: 30, batchSize: 1 });
    expect(r).toMatchObject({ dryRun: false, interrupted: false, counts: { idleGuests: 2 } });
    const left = await fx.db.query<{ id: string }>('SELECT id FROM users WHERE is_guest');
    expect(left.rows.map((x) => x.id)).toEqual([young]);
  });

  it('works on the auth scope alone (no chat tables)', async () => {
    const sql = guard(authOnly.db);
    const idle = (await authOnly.chat.users.createGuest()).id;
    await age(authOnly.db, idle, 10, 'user');
    const active = (await authOnly.chat.users.createGuest()).id;
    await authOnly.chat.tokens.issue(active);
    await age(authOnly.db, active, 10, 'user');
    expect(await countIdleGuests(sql, { olderThanDays: 7 })).toBe(1);
    expect(await purgeIdleGuestsBatch(sql, { olderThanDays: 7 })).toBe(1);
    expect(await count(authOnly.db, 'users')).toBe(1);
  });

  it('refuses bad options with invalid_input and deletes nothing', async () => {
    const sql = guard(fx.db);
    const g = (await fx.chat.users.createGuest()).id;
    await age(fx.db, g, 40, 'user');
    const before = await users();
    for (const o of [
      {},
      { olderThanDays: 0 },
      { olderThanDays: -1 },
      { olderThanDays: 1.5 },
      { olderThanDays: '30' },
      { olderThanDays: 36_501 },
      { olderThanDays: 30, batchSize: 0 },
      { olderThanDays: 30, batchSize: 10_001 },
      { olderThanDays: 30, dryRun: 'yes' },
      { olderThanDays: 30, older_than_days: 30 },
    ]) {
      expect(await code(purgeIdleGuestsBatch(sql, o as never)), JSON.stringify(o)).toBe('invalid_input');
      if (!('batchSize' in o) && !('dryRun' in o))
        expect(await code(countIdleGuests(sql, o as never)), JSON.stringify(o)).toBe('invalid_input');
    }
    expect(await code(purgeIdleGuestsBatch(sql, undefined as never))).toBe('invalid_input');
    expect(await users()).toBe(before);
  });
});
