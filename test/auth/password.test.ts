import { parseOptions } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { describe, expect, it } from 'vitest';
import {
  ARGON2_PARAMS,
  DUMMY_ARGON2_HASH,
  dummyVerify,
  hashPassword,
  verifyPassword,
} from '../../src/auth/password.js';

describe('password hashing', () => {
  it('hashes with argon2id at OWASP parameters and verifies', async () => {
    const h = await hashPassword('correct horse battery');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(h, 'correct horse battery')).toEqual({ ok: true, needsRehash: false });
    expect(await verifyPassword(h, 'wrong horse battery')).toEqual({ ok: false, needsRehash: false });
  });

  it('the dummy hash uses the current parameters (so an unknown email costs the same)', async () => {
    const p = parseOptions(DUMMY_ARGON2_HASH);
    expect(p).toMatchObject({
      algorithm: ARGON2_PARAMS.algorithm,
      memoryCost: ARGON2_PARAMS.memoryCost,
      timeCost: ARGON2_PARAMS.timeCost,
      parallelism: ARGON2_PARAMS.parallelism,
    });
    expect(await dummyVerify('anything')).toBe(false);
  });

  it('verifies legacy bcrypt $2a$/$2b$/$2y$ hashes and asks for a rehash', async () => {
    const b = await bcryptHash('legacy-password', 4);
    expect(b.startsWith('$2b$')).toBe(true);
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      const stored = prefix + b.slice(4);
      expect(await verifyPassword(stored, 'legacy-password')).toEqual({ ok: true, needsRehash: true });
      expect(await verifyPassword(stored, 'legacy-passwore')).toEqual({ ok: false, needsRehash: false });
    }
  });

  it('asks to rehash argon2 hashes made with other parameters', async () => {
    const { hash } = await import('@node-rs/argon2');
    const weak = await hash('pw-12345678', { memoryCost: 8192, timeCost: 1, parallelism: 1 });
    expect(await verifyPassword(weak, 'pw-12345678')).toEqual({ ok: true, needsRehash: true });
  });

  it('treats malformed stored hashes as a mismatch, never a throw', async () => {
    for (const stored of ['', 'plain', '$argon2id$garbage', '$2b$04$short', '$5$rounds=1$x'])
      expect(await verifyPassword(stored, 'whatever-pw')).toEqual({ ok: false, needsRehash: false });
  });
});
