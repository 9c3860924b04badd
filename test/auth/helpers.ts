import { DEFAULT_PASSWORD_PRIMITIVES, type PasswordPrimitives } from '../../src/auth/password.js';

/** The real primitives, counting the argon2 verifications that ran (a hash that fails to decode does no work). */
export function countingPrimitives(): {
  counts: { argon2: number; bcrypt: number };
  primitives: PasswordPrimitives;
} {
  const counts = { argon2: 0, bcrypt: 0 };
  const primitives = {
    ...DEFAULT_PASSWORD_PRIMITIVES,
    argon2Verify: async (h: string, p: string) => {
      const ok = await DEFAULT_PASSWORD_PRIMITIVES.argon2Verify(h, p);
      counts.argon2++;
      return ok;
    },
    bcryptVerify: async (p: string, h: string) => {
      const ok = await DEFAULT_PASSWORD_PRIMITIVES.bcryptVerify(p, h);
      counts.bcrypt++;
      return ok;
    },
  };
  return { counts, primitives };
}
