/**
 * Parsers for option values, used in the command definitions (commander's argParser): a bad value
 * is a usage error, printed as one `chatdb: option '--port <port>' argument '99999' is invalid. …`
 * line with exit code 2, before any file or database is opened.
 */
import { InvalidArgumentError } from 'commander';

/** A whole number from `min` to `max` (digits only: no sign, exponent, hex or spaces). */
export const wholeNumber =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `give a whole number >= ${min}.`
          : `give a whole number from ${min} to ${max}.`,
      );
    return n;
  };

/** A TCP port: 0 (any free port) to 65535. */
export const port = wholeNumber(0, 65535);

/** A Postgres version as squawk takes it: a major version (9.6 or 10 and later), optionally `.minor`. */
export function pgVersion(value: string): string {
  const m = /^(\d{1,2})(?:\.(\d{1,2}))?$/.exec(value);
  const major = Number(m?.[1]);
  if (!m || major < 9 || (major === 9 && m[2] === undefined))
    throw new InvalidArgumentError('give a Postgres version such as 15 or 16.4.');
  return value;
}

/** A migration version: the 14 digits a file name starts with (YYYYMMDDHHMMSS). */
export function migrationVersion(value: string): string {
  if (!/^\d{14}$/.test(value))
    throw new InvalidArgumentError(
      'give a migration version: the 14 digits its file name starts with (YYYYMMDDHHMMSS).',
    );
  return value;
}

/** A migration version, or `0` (before the first migration: `down --to 0` rolls back all). */
export const migrationVersionOrZero = (value: string): string =>
  value === '0' ? value : migrationVersion(value);
