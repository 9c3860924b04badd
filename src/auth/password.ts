import {
  type Algorithm,
  type Options as Argon2Options,
  hash as argon2Hash,
  verify as argon2Verify,
  parseOptions,
  type Version,
} from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';

/**
 * argon2id at OWASP's Password Storage Cheat Sheet minimum: m=19456 KiB (19 MiB), t=2, p=1.
 * About 20-40 ms per hash on one core here; raise memoryCost (not parallelism) to make it dearer.
 */
export const ARGON2_PARAMS = {
  algorithm: 2 as Algorithm, // Argon2id (the package's const enums cannot be read under verbatimModuleSyntax)
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

/** Argon2 version 0x13 (19), the current one; `Version.V0x13` in the package's const enum. */
const ARGON2_VERSION_13 = 1 as Version;

/**
 * An argon2id hash (same parameters) of a password nobody has: verified against whenever there is
 * no usable stored hash (unknown email, a hash format we cannot read, malformed input), so every
 * such path costs one argon2 verification, like a wrong password. A test checks its parameters.
 */
export const DUMMY_ARGON2_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$SZNDq/QpvKPGnvhiMf3Sow$5XliHClLCAyR6L9mpCAQ2ZjXswHRr7hRRfyo9t6sjcM';

/** A whole bcrypt hash (cost, then 22 characters of salt and 31 of hash): anything shorter does no work. */
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/** The hashing primitives the checks run on. Tests pass counting wrappers around the real ones. */
export interface PasswordPrimitives {
  readonly argon2Verify: (hashed: string, password: string) => Promise<boolean>;
  readonly argon2Hash: (password: string, options: Argon2Options) => Promise<string>;
  readonly bcryptVerify: (password: string, hashed: string) => Promise<boolean>;
}

/** The real primitives: @node-rs/argon2 and @node-rs/bcrypt. */
export const DEFAULT_PASSWORD_PRIMITIVES: PasswordPrimitives = {
  argon2Verify: (hashed, password) => argon2Verify(hashed, password),
  argon2Hash: (password, options) => argon2Hash(password, options),
  bcryptVerify: (password, hashed) => bcryptVerify(password, hashed),
};

export interface PasswordCheck {
  readonly ok: boolean;
  /** The stored hash is bcrypt or weaker argon2 than ARGON2_PARAMS: store `rehash(stored, password)` now. */
  readonly needsRehash: boolean;
}

/** Password hashing and checking, on injectable primitives (default: the real ones). */
export interface Passwords {
  /** Hashes with argon2id at ARGON2_PARAMS; the result is a PHC string (`$argon2id$v=19$…`). */
  hash(password: string): Promise<string>;
  /**
   * Checks a password against a stored hash: argon2 (any variant/parameters) or legacy bcrypt
   * (`$2a$`, `$2b$`, `$2y$`, as passlib and bcrypt libraries write them). A hash it cannot use
   * (another scheme such as passlib's `$pbkdf2-sha256$`, or garbage) is a mismatch, never a throw,
   * and still costs one argon2 verification (against DUMMY_ARGON2_HASH).
   */
  verify(stored: string, password: string): Promise<PasswordCheck>;
  /** A new argon2id hash for a password whose stored hash `needsRehash`: never weaker than `stored`. */
  rehash(stored: string, password: string): Promise<string>;
  /** Spends one argon2 verification and fails: for unknown emails and malformed input. */
  dummyVerify(password: string): Promise<false>;
}

/** The stored argon2 hash's parameters, or null when it is not a readable argon2 hash. */
function argon2Params(stored: string): ReturnType<typeof parseOptions> | null {
  if (!stored.startsWith('$argon2')) return null;
  try {
    return parseOptions(stored);
  } catch {
    return null;
  }
}

/**
 * Whether a verified argon2 hash should be replaced: another variant than argon2id, the old
 * version 0x10, or less memory or fewer passes than ARGON2_PARAMS. More memory or passes are
 * kept (rehashing them would weaken the hash), and parallelism alone never triggers a rehash: it
 * splits the same memory and passes into lanes, which does not change an attacker's cost per guess.
 */
function argon2NeedsRehash(stored: string): boolean {
  const p = argon2Params(stored);
  return (
    p === null ||
    p.algorithm !== ARGON2_PARAMS.algorithm ||
    p.version !== ARGON2_VERSION_13 ||
    p.memoryCost < ARGON2_PARAMS.memoryCost ||
    p.timeCost < ARGON2_PARAMS.timeCost
  );
}

/** Parameters of a rehash: ARGON2_PARAMS, with the stored hash's memory, passes and lanes where higher. */
function rehashParams(stored: string): Argon2Options {
  const p = argon2Params(stored);
  return {
    ...ARGON2_PARAMS,
    version: ARGON2_VERSION_13,
    memoryCost: Math.max(ARGON2_PARAMS.memoryCost, p?.memoryCost ?? 0),
    timeCost: Math.max(ARGON2_PARAMS.timeCost, p?.timeCost ?? 0),
    parallelism: Math.max(ARGON2_PARAMS.parallelism, p?.parallelism ?? 0),
  };
}

/** The password functions over `primitives` (default: the real argon2 and bcrypt). */
export function createPasswords(primitives: PasswordPrimitives = DEFAULT_PASSWORD_PRIMITIVES): Passwords {
  const dummyVerify = async (password: string): Promise<false> => {
    await primitives.argon2Verify(DUMMY_ARGON2_HASH, password).catch(() => false);
    return false;
  };
  const mismatch = async (password: string): Promise<PasswordCheck> => {
    await dummyVerify(password);
    return { ok: false, needsRehash: false };
  };
  return {
    hash: (password) => primitives.argon2Hash(password, ARGON2_PARAMS),

    async verify(stored, password) {
      if (BCRYPT_HASH.test(stored)) {
        let ok: boolean;
        try {
          ok = await primitives.bcryptVerify(password, stored);
        } catch {
          return mismatch(password); // a malformed bcrypt hash: cost it like any other mismatch
        }
        return { ok, needsRehash: ok };
      }
      if (stored.startsWith('$argon2')) {
        let ok: boolean;
        try {
          ok = await primitives.argon2Verify(stored, password);
        } catch {
          return mismatch(password); // a malformed argon2 hash fails before doing any work
        }
        return { ok, needsRehash: ok && argon2NeedsRehash(stored) };
      }
      return mismatch(password);
    },

    rehash: (stored, password) => primitives.argon2Hash(password, rehashParams(stored)),

    dummyVerify,
  };
}

/** The passwords functions on the real primitives. */
export const DEFAULT_PASSWORDS: Passwords = createPasswords();

/** Hashes a password with argon2id at ARGON2_PARAMS (see `Passwords.hash`). */
export const hashPassword = DEFAULT_PASSWORDS.hash;
/** Checks a password against a stored hash (see `Passwords.verify`). */
export const verifyPassword = DEFAULT_PASSWORDS.verify;
/** Spends one argon2 verification and always fails (see `Passwords.dummyVerify`). */
export const dummyVerify = DEFAULT_PASSWORDS.dummyVerify;
