import { hash as argon2Hash } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { describe, expect, it } from 'vitest';
import { createPasswords, hashPassword } from '../../src/auth/password.js';
import { guard } from '../../src/store/sql-errors.js';
import { createUsers } from '../../src/store/users.js';
import { countingPrimitives } from '../auth/helpers.js';
import { count, errorCode, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const code = errorCode;
const storedHash = async (id: string) =>
  (await fx.db.query<{ h: string }>('SELECT hashed_password AS h FROM users WHERE id = $1', [id])).rows[0]?.h;

describe('users', () => {
  it('registers with an argon2id hash, email stored as given and unique case-insensitively', async () => {
    const u = await fx.chat.users.register({
      email: 'Ada.Lovelace@Example.com',
      password: 'analytical-engine',
    });
    expect(u).toMatchObject({ email: 'Ada.Lovelace@Example.com', isActive: true });
    expect(u.createdAt).toBeInstanceOf(Date);
    expect(await storedHash(u.id)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(Object.keys(u)).not.toContain('hashedPassword');
    expect(
      await code(fx.chat.users.register({ email: 'ada.lovelace@EXAMPLE.com', password: 'other-password' })),
    ).toBe('email_taken');
    expect(await fx.chat.users.get(u.id)).toEqual(u);

    const ok = await fx.chat.users.authenticate({
      email: 'ADA.LOVELACE@example.com',
      password: 'analytical-engine',
    });
    expect(ok?.id).toBe(u.id);
    expect(
      await fx.chat.users.authenticate({ email: u.email ?? '', password: 'analytical-enginf' }),
    ).toBeNull();
  });

  it('rejects bad registrations with invalid_input', async () => {
    for (const input of [
      { email: 'not-an-email', password: 'long-enough' },
      { email: 'x@example.com', password: 'short' },
      { email: 'x@example.com', password: 'p'.repeat(1025) },
      { email: 'x\u0000@example.com', password: 'long-enough' },
      { email: 'x@example.com', password: 'long-\ud800-enough' },
    ])
      expect(await code(fx.chat.users.register(input))).toBe('invalid_input');
    expect(await count(fx.db, 'users', "email LIKE 'x%@example.com'")).toBe(0);
  });

  it('authenticate returns null for an unknown email or malformed input, never throws', async () => {
    expect(
      await fx.chat.users.authenticate({ email: 'nobody@example.com', password: 'whatever-pw' }),
    ).toBeNull();
    expect(
      await fx.chat.users.authenticate({ email: 'bad\u0000@x.com', password: 'whatever-pw' }),
    ).toBeNull();
    expect(await fx.chat.users.authenticate({ email: 'a@b.co', password: 'x'.repeat(5000) })).toBeNull();
  });

  it('verifies a legacy bcrypt hash and rehashes it to argon2id on login', async () => {
    const id = await makeUser(fx.db, 'legacy@example.com');
    const legacy = (await bcryptHash('from-passlib', 4)).replace(/^\$2b\$/, '$2a$');
    await fx.db.query('UPDATE users SET hashed_password = $1 WHERE id = $2', [legacy, id]);
    expect(
      await fx.chat.users.authenticate({ email: 'legacy@example.com', password: 'wrong-password' }),
    ).toBeNull();
    expect(await storedHash(id)).toBe(legacy);
    const u = await fx.chat.users.authenticate({ email: 'legacy@example.com', password: 'from-passlib' });
    expect(u?.id).toBe(id);
    expect(await storedHash(id)).toMatch(/^\$argon2id\$/);
    expect(
      (await fx.chat.users.authenticate({ email: 'legacy@example.com', password: 'from-passlib' }))?.id,
    ).toBe(id);
  });

  it('every failing path of authenticate performs exactly one argon2 verification', async () => {
    const { counts, primitives } = countingPrimitives();
    const users = createUsers(guard(fx.db), () => undefined, createPasswords(primitives));
    const withHash = async (email: string, stored: string, active = true) => {
      const id = await makeUser(fx.db, email);
      await fx.db.query('UPDATE users SET hashed_password = $1, is_active = $2 WHERE id = $3', [
        stored,
        active,
        id,
      ]);
    };
    const right = 'right-password';
    const argon2 = await hashPassword(right);
    await withHash('cost-ok@example.com', argon2);
    await withHash('cost-inactive@example.com', argon2, false);
    // passlib's pbkdf2_sha256 format, which verifyPassword does not read.
    await withHash(
      'cost-pbkdf2@example.com',
      '$pbkdf2-sha256$29000$N2YMIWQsBWBMae09x1jrPQ$b5o7R6j8uKL0d9/wK4RBFx7kXUgqX9CJMmQXWmyjYG0',
    );
    await withHash('cost-garbage@example.com', 'not a hash at all');
    await withHash('cost-bad-argon2@example.com', '$argon2id$v=19$m=19456,t=2,p=1$broken');
    const paths: [string, { email: string; password: string }][] = [
      ['unknown email', { email: 'cost-nobody@example.com', password: right }],
      ['wrong password', { email: 'cost-ok@example.com', password: 'wrong-password' }],
      ['inactive user, right password', { email: 'cost-inactive@example.com', password: right }],
      ['inactive user, wrong password', { email: 'cost-inactive@example.com', password: 'wrong-password' }],
      ['unrecognised hash (pbkdf2)', { email: 'cost-pbkdf2@example.com', password: right }],
      ['garbage hash', { email: 'cost-garbage@example.com', password: right }],
      ['malformed argon2 hash', { email: 'cost-bad-argon2@example.com', password: right }],
      ['malformed email', { email: 'bad\u0000@example.com', password: right }],
      ['too short a password', { email: 'cost-ok@example.com', password: 'short' }],
    ];
    for (const [name, credentials] of paths) {
      counts.argon2 = 0;
      expect(await users.authenticate(credentials), name).toBeNull();
      expect({ path: name, argon2: counts.argon2 }).toEqual({ path: name, argon2: 1 });
    }
    counts.argon2 = 0;
    expect((await users.authenticate({ email: 'cost-ok@example.com', password: right }))?.email).toBe(
      'cost-ok@example.com',
    );
    expect(counts.argon2).toBe(1);
  });

  it('login keeps a stronger argon2id hash and upgrades a weaker one without lowering its memory', async () => {
    const pw = 'strong-password';
    const strong = await argon2Hash(pw, { memoryCost: 65536, timeCost: 3, parallelism: 1 });
    const strongId = await makeUser(fx.db, 'strong@example.com');
    await fx.db.query('UPDATE users SET hashed_password = $1 WHERE id = $2', [strong, strongId]);
    expect((await fx.chat.users.authenticate({ email: 'strong@example.com', password: pw }))?.id).toBe(
      strongId,
    );
    expect(await storedHash(strongId)).toBe(strong);

    const fewerPasses = await argon2Hash(pw, { memoryCost: 65536, timeCost: 1, parallelism: 1 });
    const weakId = await makeUser(fx.db, 'fewer-passes@example.com');
    await fx.db.query('UPDATE users SET hashed_password = $1 WHERE id = $2', [fewerPasses, weakId]);
    expect((await fx.chat.users.authenticate({ email: 'fewer-passes@example.com', password: pw }))?.id).toBe(
      weakId,
    );
    expect(await storedHash(weakId)).toMatch(/^\$argon2id\$v=19\$m=65536,t=2,p=1\$/);
  });

  it('deactivate: no login, tokens revoked; unknown ids are not_found', async () => {
    const u = await fx.chat.users.register({ email: 'gone@example.com', password: 'pass-word-1' });
    const t = await fx.chat.tokens.issue(u.id);
    await fx.chat.users.deactivate(u.id);
    expect((await fx.chat.users.get(u.id))?.isActive).toBe(false);
    expect(
      await fx.chat.users.authenticate({ email: 'gone@example.com', password: 'pass-word-1' }),
    ).toBeNull();
    expect(await fx.chat.tokens.resolve(t.token)).toBeNull();
    expect(await count(fx.db, 'auth_tokens', 'user_id = $1 AND revoked_at IS NULL', [u.id])).toBe(0);
    expect(await code(fx.chat.tokens.issue(u.id))).toBe('not_found');
    expect(await code(fx.chat.users.deactivate('00000000-0000-4000-8000-000000000000'))).toBe('not_found');
    expect(await code(fx.chat.users.deactivate('not-a-uuid'))).toBe('not_found');
    expect(await fx.chat.users.get('not-a-uuid')).toBeNull();
  });

  it('delete leaves no row of the user in any table; other users untouched', async () => {
    const tables = [
      'users',
      'user_profiles',
      'auth_tokens',
      'chat_sessions',
      'messages',
      'message_citations',
      'message_feedback',
      'session_shares',
    ];
    const all = async () => Promise.all(tables.map((t) => count(fx.db, t)));
    const populate = async () => {
      const id = await makeUser(fx.db);
      await fx.chat.profiles.upsert(id, { experienceLevel: 'beginner' });
      await fx.chat.tokens.issue(id);
      const s = await fx.chat.sessions.create(id, { title: 'x' });
      await fx.chat.messages.append(id, s.id, { role: 'user', content: 'q' });
      const a = await fx.chat.messages.append(id, s.id, {
        role: 'assistant',
        content: 'a',
        citations: [{ documentId: 'd' }],
      });
      await fx.chat.feedback.set(id, s.id, a.message.id, { rating: 'down', comment: 'no' });
      await fx.chat.shares.create(id, s.id, { upToMessageId: a.message.id });
      return id;
    };
    const keep = await populate();
    const before = await all();
    const victim = await populate();
    await fx.chat.users.delete(victim);
    expect(await all()).toEqual(before);
    const owned = [
      ['users', 'id = $1'],
      ['user_profiles', 'user_id = $1'],
      ['auth_tokens', 'user_id = $1'],
      ['chat_sessions', 'user_id = $1'],
      ['messages', 'session_id IN (SELECT id FROM chat_sessions WHERE user_id = $1)'],
      ['message_feedback', 'user_id = $1'],
      ['session_shares', 'user_id = $1'],
    ] as const;
    for (const [t, where] of owned) expect(await count(fx.db, t, where, [victim])).toBe(0);
    expect(await count(fx.db, 'chat_sessions', 'user_id = $1', [keep])).toBe(1);
    expect(await code(fx.chat.users.delete(victim))).toBe('not_found');
  });

  it('export has user, profile, token records, sessions, messages and citations, never a hash or token', async () => {
    const id = await makeUser(fx.db, 'export@example.com');
    await fx.chat.profiles.upsert(id, { preferredLanguage: 'de', metadata: { a: 1 } });
    const t = await fx.chat.tokens.issue(id);
    const revoked = await fx.chat.tokens.issue(id, { ttlSeconds: 60 });
    await fx.chat.tokens.revoke(revoked.token);
    await fx.chat.tokens.resolve(t.token);
    const s1 = await fx.chat.sessions.create(id, { title: 'one' });
    const s2 = await fx.chat.sessions.create(id, { title: 'two' });
    await fx.chat.messages.append(id, s1.id, { role: 'user', content: 'q1' });
    await fx.chat.messages.append(id, s1.id, {
      role: 'assistant',
      content: 'a1',
      citations: [{ documentId: 'doc' }],
    });
    const other = await makeUser(fx.db);
    const s3 = await fx.chat.sessions.create(other);
    await fx.chat.messages.append(other, s3.id, { role: 'user', content: 'not mine' });

    const ex = await fx.chat.users.export(id);
    expect(ex.user.email).toBe('export@example.com');
    expect(ex.profile?.preferredLanguage).toBe('de');
    expect(ex.sessions.map((c) => c.session.title).sort()).toEqual(['one', 'two']);
    const one = ex.sessions.find((c) => c.session.id === s1.id);
    expect(one?.messages.map((m) => m.content)).toEqual(['q1', 'a1']);
    expect(one?.messages[1]?.citations[0]?.documentId).toBe('doc');
    expect(one?.messages[1]?.citations[0]?.createdAt).toEqual(one?.messages[1]?.createdAt);
    const rows = await fx.db.query<{ token_hash: Buffer }>(
      'SELECT token_hash FROM auth_tokens WHERE user_id = $1',
      [id],
    );
    expect(ex.tokens).toHaveLength(2);
    expect(ex.tokens.map((x) => Object.keys(x).sort())).toEqual([
      ['createdAt', 'expiresAt', 'lastUsedAt', 'revokedAt'],
      ['createdAt', 'expiresAt', 'lastUsedAt', 'revokedAt'],
    ]);
    const used = ex.tokens.find((x) => x.revokedAt === null);
    const gone = ex.tokens.find((x) => x.revokedAt !== null);
    expect(used?.expiresAt).toEqual(t.expiresAt);
    expect(used?.lastUsedAt).toBeInstanceOf(Date);
    expect(gone).toMatchObject({ expiresAt: revoked.expiresAt, lastUsedAt: null });
    expect(gone?.revokedAt).toBeInstanceOf(Date);
    expect(ex.sessions.find((c) => c.session.id === s2.id)?.messages).toEqual([]);
    const json = JSON.stringify(ex);
    expect(json).not.toContain('hashed_password');
    expect(json).not.toContain('"x"');
    expect(json).not.toContain(t.token);
    for (const r of rows.rows) {
      expect(json).not.toContain(Buffer.from(r.token_hash).toString('hex'));
      expect(json).not.toContain(Buffer.from(r.token_hash).toString('base64'));
    }
    expect(json).not.toContain('token_hash');
    expect(json).not.toContain('not mine');
    expect(await code(fx.chat.users.export('00000000-0000-4000-8000-000000000000'))).toBe('not_found');
  });
});
