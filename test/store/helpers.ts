import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { isChatDbError } from '../../src/errors.js';
import { type ChatDb, createChatDb } from '../../src/store/chatdb.js';
import { freshDatabase, type TestScope } from '../helpers/db.js';

export interface Fixture {
  chat: ChatDb;
  db: Database;
}

/**
 * A fresh database (scope `all` unless told) for the calling test file, with the modules on it.
 * Use the returned object's fields inside tests (they are set in beforeAll).
 */
export function useChatDb(scope: TestScope = 'all'): Fixture {
  const fx = {} as Fixture;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const fresh = await freshDatabase(scope);
    drop = fresh.drop;
    fx.db = fresh.db;
    fx.chat = createChatDb(fresh.db, { logger: () => undefined });
  });
  afterAll(async () => {
    await drop?.();
  });
  return fx;
}

/** A user inserted directly (no argon2 cost): for tests that only need an owner. */
export async function makeUser(db: Database, email = `u-${randomUUID()}@example.com`): Promise<string> {
  const r = await db.query<{ id: string }>(
    `INSERT INTO users (email, hashed_password) VALUES ($1, 'x') RETURNING id`,
    [email],
  );
  return r.rows[0]?.id as string;
}

/** Counts rows of a table matching a WHERE clause. */
export async function count(
  db: Database,
  table: string,
  where = 'true',
  params: unknown[] = [],
): Promise<number> {
  const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params);
  return r.rows[0]?.n ?? -1;
}

/** `n` distinct ASCII words of 8 letters: the English parser keeps each as its own lexeme. */
export const distinctWords = (n: number): string =>
  Array.from({ length: n }, (_, i) => {
    let w = 'q';
    for (let k = 0, x = i; k < 7; k++, x = Math.floor(x / 26)) w += String.fromCharCode(97 + (x % 26));
    return w;
  }).join(' ');

/** A string of `n` CJK ideographs that pglz cannot compress (no repeats close together). */
export const cjk = (n: number): string =>
  Array.from({ length: n }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20000))).join('');

/** The ChatDbError code a call fails with, `resolved` when it succeeds, `raw: <message>` for any other error. */
export const errorCode = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e) => (isChatDbError(e) ? e.code : `raw: ${(e as Error).message}`),
  );
