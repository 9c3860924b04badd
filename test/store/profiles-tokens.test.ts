import { describe, expect, it } from 'vitest';
import { hashToken } from '../../src/auth/token.js';
import type { ProfileInput } from '../../src/store/types.js';
import { errorCode, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const code = errorCode;

describe('profiles', () => {
  it('upsert creates with defaults, then updates only the given fields', async () => {
    const user = await makeUser(fx.db);
    expect(await fx.chat.profiles.get(user)).toBeNull();
    const p = await fx.chat.profiles.upsert(user, { softwareBackground: 'Python, ROS 2' });
    expect(p).toMatchObject({
      userId: user,
      softwareBackground: 'Python, ROS 2',
      hardwareBackground: null,
      experienceLevel: null,
      preferredLanguage: 'en',
      metadata: {},
    });
    const q = await fx.chat.profiles.upsert(user, {
      hardwareBackground: 'Jetson, Arduino 🤖',
      experienceLevel: 'advanced',
      preferredLanguage: 'ur-PK',
      metadata: { track: 'robotics' },
    });
    expect(q).toMatchObject({
      softwareBackground: 'Python, ROS 2',
      hardwareBackground: 'Jetson, Arduino 🤖',
      experienceLevel: 'advanced',
      preferredLanguage: 'ur-PK',
      metadata: { track: 'robotics' },
    });
    const r = await fx.chat.profiles.upsert(user, { softwareBackground: null, experienceLevel: null });
    expect(r).toMatchObject({ softwareBackground: null, experienceLevel: null, preferredLanguage: 'ur-PK' });
    expect(await fx.chat.profiles.upsert(user, {})).toMatchObject({
      hardwareBackground: 'Jetson, Arduino 🤖',
    });
    expect(await fx.chat.profiles.get(user)).toMatchObject({ preferredLanguage: 'ur-PK' });
  });

  it('rejects bad input with invalid_input and unknown users with not_found', async () => {
    const user = await makeUser(fx.db);
    for (const bad of [
      { experienceLevel: 'expert' },
      { preferredLanguage: 'English' },
      { softwareBackground: 'x'.repeat(2001) },
      { hardwareBackground: 'a\u0000' },
      { metadata: [] },
      { metadata: { a: 'b\u0000' } },
    ])
      expect(await code(fx.chat.profiles.upsert(user, bad as unknown as ProfileInput))).toBe('invalid_input');
    expect(await fx.chat.profiles.get(user)).toBeNull();
    expect(await code(fx.chat.profiles.upsert('00000000-0000-4000-8000-000000000000', {}))).toBe('not_found');
    expect(await code(fx.chat.profiles.upsert('nope', {}))).toBe('not_found');
    expect(await fx.chat.profiles.get('nope')).toBeNull();
  });
});

describe('tokens', () => {
  const lastUsed = async (token: string) =>
    (
      await fx.db.query<{ t: Date | null }>(
        'SELECT last_used_at AS t FROM auth_tokens WHERE token_hash = $1',
        [hashToken(token)],
      )
    ).rows[0]?.t;

  it('issue stores only the SHA-256; resolve returns the user', async () => {
    const user = await makeUser(fx.db);
    const t = await fx.chat.tokens.issue(user);
    expect(t.expiresIn).toBe(7 * 24 * 3600);
    expect(Math.abs(t.expiresAt.getTime() - Date.now() - t.expiresIn * 1000)).toBeLessThan(60_000);
    const rows = await fx.db.query<{ token_hash: Uint8Array }>(
      'SELECT token_hash FROM auth_tokens WHERE user_id = $1',
      [user],
    );
    expect(Buffer.from(rows.rows[0]?.token_hash as Uint8Array).equals(hashToken(t.token))).toBe(true);
    expect((await fx.chat.tokens.resolve(t.token))?.id).toBe(user);
    const short = await fx.chat.tokens.issue(user, { ttlSeconds: 60 });
    expect(short.expiresIn).toBe(60);
    expect(await code(fx.chat.tokens.issue(user, { ttlSeconds: 0 }))).toBe('invalid_input');
    expect(await code(fx.chat.tokens.issue('00000000-0000-4000-8000-000000000000'))).toBe('not_found');
  });

  it('expired, revoked, unknown, malformed tokens and inactive users resolve to null', async () => {
    const user = await makeUser(fx.db);
    const expired = await fx.chat.tokens.issue(user);
    await fx.db.query(
      `UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
      [hashToken(expired.token)],
    );
    expect(await fx.chat.tokens.resolve(expired.token)).toBeNull();
    expect(await fx.chat.tokens.revoke(expired.token)).toBe(false);

    const t = await fx.chat.tokens.issue(user);
    expect(await fx.chat.tokens.revoke(t.token)).toBe(true);
    expect(await fx.chat.tokens.revoke(t.token)).toBe(false);
    expect(await fx.chat.tokens.resolve(t.token)).toBeNull();

    for (const junk of ['', 'x', 'A'.repeat(43), 'not a token at all, with spaces', 'a\u0000'])
      expect(await fx.chat.tokens.resolve(junk)).toBeNull();

    const u = await fx.chat.tokens.issue(user);
    await fx.db.query('UPDATE users SET is_active = false WHERE id = $1', [user]);
    expect(await fx.chat.tokens.resolve(u.token)).toBeNull();
  });

  it('revokeAll revokes every active token of the user and counts them', async () => {
    const user = await makeUser(fx.db);
    const other = await makeUser(fx.db);
    const mine = [await fx.chat.tokens.issue(user), await fx.chat.tokens.issue(user)];
    const theirs = await fx.chat.tokens.issue(other);
    expect(await fx.chat.tokens.revokeAll(user)).toBe(2);
    expect(await fx.chat.tokens.revokeAll(user)).toBe(0);
    for (const t of mine) expect(await fx.chat.tokens.resolve(t.token)).toBeNull();
    expect((await fx.chat.tokens.resolve(theirs.token))?.id).toBe(other);
    expect(await fx.chat.tokens.revokeAll('nope')).toBe(0);
  });

  it('last_used_at is written on first use and then at most once a minute', async () => {
    const user = await makeUser(fx.db);
    const t = await fx.chat.tokens.issue(user);
    expect(await lastUsed(t.token)).toBeNull();
    await fx.chat.tokens.resolve(t.token);
    const first = await lastUsed(t.token);
    expect(first).toBeInstanceOf(Date);
    const old = new Date('2025-01-01T00:00:00.000Z');
    await fx.db.query(
      "UPDATE auth_tokens SET last_used_at = now() - interval '30 seconds' WHERE token_hash = $1",
      [hashToken(t.token)],
    );
    const recent = await lastUsed(t.token);
    await fx.chat.tokens.resolve(t.token);
    expect(await lastUsed(t.token)).toEqual(recent);
    await fx.db.query('UPDATE auth_tokens SET last_used_at = $2 WHERE token_hash = $1', [
      hashToken(t.token),
      old,
    ]);
    await fx.chat.tokens.resolve(t.token);
    expect((await lastUsed(t.token))?.getTime()).toBeGreaterThan(old.getTime());
  });
});
