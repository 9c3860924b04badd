import { type Algorithm, verify as argon2Verify, hash, parseOptions } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';

/**
 * argon2id at OWASP's Password Storage Cheat Sheet minimum: m=19456 KiB (19 MiB), t=2, p=1.
 * About 20-40 ms per hash on one core here; raise memoryCost (not parallelism) to make it dearer.
 */
export const ARGON2_PARAMS = {
  algorithm: 2 as Algorithm, // Argon2id (the package's const enum cannot be read under verbatimModuleSyntax)
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * An argon2id hash (same parameters) of a password nobody has: `authenticate` verifies against it
 * when the email is unknown, so a miss costs the same as a wrong password and timing does not
 * reveal which emails exist. A test checks that its parameters match ARGON2_PARAMS.
 */
export const DUMMY_ARGON2_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$SZNDq/QpvKPGnvhiMf3Sow$5XliHClLCAyR6L9mpCAQ2ZjXswHRr7hRRfyo9t6sjcM';

const BCRYPT_PREFIX = /^\$2[aby]\$\d{2}\$/;

/** Hashes a password with argon2id at ARGON2_PARAMS; the result is a PHC string (`$argon2id$v=19$…`). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_PARAMS);
}

export interface PasswordCheck {
  readonly ok: boolean;
  /** The stored hash is bcrypt or argon2 with other parameters: store `hashPassword(password)` now. */
  readonly needsRehash: boolean;
}

const currentArgon2 = (stored: string): boolean => {
  const p = parseOptions(stored);
  return (
    p.algorithm === ARGON2_PARAMS.algorithm &&
    p.memoryCost === ARGON2_PARAMS.memoryCost &&
    p.timeCost === ARGON2_PARAMS.timeCost &&
    p.parallelism === ARGON2_PARAMS.parallelism
  );
};

/**
 * Checks a password against a stored hash: argon2 (any variant/parameters) or legacy bcrypt
 * (`$2a$`, `$2b$`, `$2y$`, as passlib and bcrypt libraries write them). A hash it cannot parse
 * is a mismatch, never a throw.
 */
export async function verifyPassword(stored: string, password: string): Promise<PasswordCheck> {
  try {
    if (BCRYPT_PREFIX.test(stored)) {
      const ok = await bcryptVerify(password, stored);
      return { ok, needsRehash: ok };
    }
    if (stored.startsWith('$argon2')) {
      const ok = await argon2Verify(stored, password);
      return { ok, needsRehash: ok && !currentArgon2(stored) };
    }
  } catch {
    // A malformed stored hash: treat as a mismatch.
  }
  return { ok: false, needsRehash: false };
}

/** Spends the same work as a real check and always fails: for unknown emails and bad input. */
export async function dummyVerify(password: string): Promise<false> {
  await argon2Verify(DUMMY_ARGON2_HASH, password).catch(() => false);
  return false;
}
