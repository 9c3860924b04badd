import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateToken, hashToken, isTokenShaped } from '../../src/auth/token.js';

describe('tokens', () => {
  it('are 32 random bytes in base64url (43 chars), all different', () => {
    const tokens = new Set(Array.from({ length: 200 }, generateToken));
    expect(tokens.size).toBe(200);
    for (const t of tokens) {
      expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(t, 'base64url')).toHaveLength(32);
      expect(isTokenShaped(t)).toBe(true);
    }
  });

  it('are stored as their SHA-256 (32 bytes)', () => {
    const t = generateToken();
    const h = hashToken(t);
    expect(h).toHaveLength(32);
    expect(h.equals(createHash('sha256').update(t).digest())).toBe(true);
  });

  it('rejects strings that cannot be tokens', () => {
    for (const t of [
      '',
      'a'.repeat(42),
      'a'.repeat(44),
      `${'a'.repeat(42)}=`,
      `${'a'.repeat(42)}+`,
      42,
      null,
    ])
      expect(isTokenShaped(t)).toBe(false);
  });
});
