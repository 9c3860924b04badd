import { hash as argon2Hash, parseOptions } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { describe, expect, it } from 'vitest';
import {
  ARGON2_PARAMS,
  createPasswords,
  DUMMY_ARGON2_HASH,
  dummyVerify,
  hashPassword,
  verifyPassword,
} from '../../src/auth/password.js';
import { countingPrimitives } from './helpers.js';

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

  it('asks to rehash argon2 hashes that are weaker: less memory, fewer passes, not argon2id, v=16', async () => {
    const pw = 'pw-12345678';
    for (const weaker of [
      { memoryCost: 8192, timeCost: 1, parallelism: 1 },
      { memoryCost: 8192, timeCost: 3, parallelism: 1 }, // more passes do not make up for less memory
      { memoryCost: 65536, timeCost: 1, parallelism: 1 },
      { algorithm: 1 as never, memoryCost: 19456, timeCost: 2, parallelism: 1 }, // argon2i
      { algorithm: 0 as never, memoryCost: 19456, timeCost: 2, parallelism: 1 }, // argon2d
      { version: 0 as never, memoryCost: 19456, timeCost: 2, parallelism: 1 }, // v=16
    ]) {
      const stored = await argon2Hash(pw, weaker);
      expect(await verifyPassword(stored, pw)).toEqual({ ok: true, needsRehash: true });
      expect(await verifyPassword(stored, 'wrong-pass')).toEqual({ ok: false, needsRehash: false });
    }
  });

  it('keeps argon2id hashes at least as strong as ours: more memory or passes, other parallelism', async () => {
    const pw = 'pw-12345678';
    for (const stronger of [
      { memoryCost: 65536, timeCost: 3, parallelism: 1 },
      { memoryCost: 19456, timeCost: 4, parallelism: 1 },
      { memoryCost: 47104, timeCost: 2, parallelism: 2 },
      { memoryCost: 19456, timeCost: 2, parallelism: 4 }, // parallelism alone is no reason
    ]) {
      const stored = await argon2Hash(pw, { ...stronger, algorithm: ARGON2_PARAMS.algorithm });
      expect(await verifyPassword(stored, pw)).toEqual({ ok: true, needsRehash: false });
    }
  });

  it('a rehash never lowers a parameter: memory, passes and lanes stay where higher than ours', async () => {
    const pw = 'pw-12345678';
    const p = createPasswords();
    const cases = [
      [
        { memoryCost: 65536, timeCost: 1, parallelism: 2 },
        { memoryCost: 65536, timeCost: 2, parallelism: 2 },
      ],
      [
        { memoryCost: 8192, timeCost: 5, parallelism: 1 },
        { memoryCost: 19456, timeCost: 5, parallelism: 1 },
      ],
      [
        { algorithm: 1 as never, memoryCost: 8192, timeCost: 1, parallelism: 1 },
        { memoryCost: 19456, timeCost: 2, parallelism: 1 },
      ],
    ] as const;
    for (const [from, to] of cases) {
      const stored = await argon2Hash(pw, from);
      const fresh = await p.rehash(stored, pw);
      expect(parseOptions(fresh)).toMatchObject({ ...to, algorithm: ARGON2_PARAMS.algorithm, version: 1 });
      expect(await p.verify(fresh, pw)).toEqual({ ok: true, needsRehash: false });
    }
    const bcrypt = await bcryptHash(pw, 4);
    expect(parseOptions(await p.rehash(bcrypt, pw))).toMatchObject({ ...ARGON2_PARAMS, version: 1 });
  });

  it('treats malformed or foreign stored hashes as a mismatch, never a throw', async () => {
    for (const stored of ['', 'plain', '$argon2id$garbage', '$2b$04$short', '$5$rounds=1$x'])
      expect(await verifyPassword(stored, 'whatever-pw')).toEqual({ ok: false, needsRehash: false });
  });

  it('every hash it cannot use costs exactly one argon2 verification, like a wrong password', async () => {
    const { counts, primitives } = countingPrimitives();
    const p = createPasswords(primitives);
    const pbkdf2 = '$pbkdf2-sha256$29000$N2YMIWQsBWBMae09x1jrPQ$b5o7R6j8uKL0d9/wK4RBFx7kXUgqX9CJMmQXWmyjYG0';
    const argon2 = await hashPassword('right-password');
    for (const stored of [pbkdf2, '', 'garbage', '$argon2id$garbage', '$argon2id$v=19$m=x', argon2]) {
      counts.argon2 = 0;
      expect((await p.verify(stored, 'wrong-password')).ok).toBe(false);
      expect(counts.argon2).toBe(1);
    }
    counts.argon2 = 0;
    expect(await p.dummyVerify('x')).toBe(false);
    expect(counts.argon2).toBe(1);
    // A legacy bcrypt hash: one bcrypt check (its own cost factor), no argon2.
    counts.argon2 = 0;
    expect((await p.verify(await bcryptHash('right-password', 4), 'wrong-password')).ok).toBe(false);
    expect(counts).toEqual({ argon2: 0, bcrypt: 1 });
    // A malformed bcrypt-looking hash is costed like any other unusable hash.
    counts.bcrypt = 0;
    expect((await p.verify('$2b$04$short', 'wrong-password')).ok).toBe(false);
    expect(counts).toEqual({ argon2: 1, bcrypt: 0 });
  });
});
