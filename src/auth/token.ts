import { createHash, randomBytes } from 'node:crypto';

/** Bytes of randomness in a bearer token (256 bits). */
export const TOKEN_BYTES = 32;

/** A token as issued: 32 random bytes in base64url, 43 characters. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A new opaque bearer token: 32 random bytes, base64url (43 characters, no padding). */
export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** SHA-256 of the token's text: what `auth_tokens.token_hash` stores (32 bytes). */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** True when the string has the shape of an issued token (cheap pre-check before any SQL). */
export function isTokenShaped(token: unknown): token is string {
  return typeof token === 'string' && TOKEN_SHAPE.test(token);
}
