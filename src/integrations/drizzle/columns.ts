/**
 * Column builders the chatdb tables share: timestamps as the migrations declare them
 * (`timestamptz(3)`, read as Date) and `bytea`, which drizzle-orm 0.45's pg-core does not have.
 */
import { customType, timestamp } from 'drizzle-orm/pg-core';

/** `timestamptz(3)`: millisecond precision, as every chatdb timestamp; a Date in JavaScript. */
export const timestamptz = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/** `\x0a1b…` (bytea's text form) -> bytes. */
const fromHex = (text: string): Uint8Array => {
  const hex = text.startsWith('\\x') ? text.slice(2) : text;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
};

/**
 * `bytea`, as a Uint8Array (node-postgres gives a Buffer, which is one; PGlite a Uint8Array). In a
 * relational query's `with`, rows arrive as JSON, where bytea is its hex text: that is decoded too.
 * chatdb stores only SHA-256 digests in it (32 bytes), never a usable token.
 */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array | string }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (typeof value === 'string' ? fromHex(value) : value),
});
