/**
 * What the Drizzle tests share: the DDL drizzle-kit writes for a schema, and the part of a
 * database's catalog a Drizzle schema describes, to compare the two.
 */
import { PGlite } from '@electric-sql/pglite';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { generateDrizzleJson, generateMigration } from 'drizzle-kit/api';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import type { Queryable } from '../../src/db/index.js';
import { openPglite, type PgliteDatabase } from '../../src/db/pglite.js';
import { type ChatDb, createChatDb, openChatDb } from '../../src/index.js';
import { type ChatDbSchema, schema } from '../../src/integrations/drizzle.js';
import { freshDatabase, onRealPostgres, pgliteTemplate } from './db.js';
import { describeSchema } from './migrations.js';

/**
 * The statements drizzle-kit generates for `schema` on an empty database: what `drizzle-kit
 * generate` would write as a first migration (the same generator `push` uses), no prompt involved.
 */
export async function drizzleKitDdl(schema: Record<string, unknown>): Promise<string[]> {
  return generateMigration(generateDrizzleJson({}), generateDrizzleJson(schema));
}

/**
 * The current schema's tables, columns (type, nullability, default), constraints and indexes, one
 * line each, from Postgres's own deparsers (describeSchema). Triggers and functions are left out:
 * a Drizzle schema does not describe them (chatdb's updated_at trigger stays chatdb's).
 */
export async function drizzleComparableSchema(db: Queryable): Promise<string[]> {
  return (await describeSchema(db)).filter((line) => !/^(trigger|function) /.test(line));
}

/** The lines only one side has: empty both ways when the two databases agree. */
export function schemaDifference(
  migrations: readonly string[],
  drizzle: readonly string[],
): { onlyInMigrations: string[]; onlyInDrizzle: string[] } {
  return {
    onlyInMigrations: migrations.filter((l) => !drizzle.includes(l)),
    onlyInDrizzle: drizzle.filter((l) => !migrations.includes(l)),
  };
}

/** drizzle-orm on chatdb's tables, whichever driver the test database needs. */
export type ChatDbDrizzle = PgDatabase<PgQueryResultHKT, ChatDbSchema>;

/**
 * One scratch database (scope `all`) seen by chatdb's library and by drizzle-orm. On Postgres both
 * share one pg.Pool, as an application does. A PGlite database has one opener at a time, so there
 * the data moves between the two (dumped and loaded) whenever the test switches sides.
 */
export interface DrizzleStage {
  chat(): Promise<ChatDb>;
  orm(): Promise<ChatDbDrizzle>;
  close(): Promise<void>;
}

export function drizzleStage(): Promise<DrizzleStage> {
  return onRealPostgres ? postgresStage() : pgliteStage();
}

const quiet = { logger: () => undefined };

async function postgresStage(): Promise<DrizzleStage> {
  const scratch = await freshDatabase('all');
  const pool = new pg.Pool({ connectionString: scratch.url, max: 2 });
  const chat = await openChatDb({ pool, ...quiet });
  const orm = drizzleNodePg(pool, { schema });
  return {
    chat: async () => chat,
    orm: async () => orm,
    async close() {
      await chat.close();
      await pool.end();
      await scratch.drop();
    },
  };
}

async function pgliteStage(): Promise<DrizzleStage> {
  let chatSide: { db: PgliteDatabase; chat: ChatDb } | undefined;
  let ormSide: { client: PGlite; orm: ChatDbDrizzle } | undefined;
  const toChat = async (loadDataDir: Blob) => {
    const db = await openPglite(undefined, { loadDataDir });
    chatSide = { db, chat: createChatDb(db, quiet) };
    return chatSide.chat;
  };
  await toChat(await pgliteTemplate('all'));
  return {
    async chat() {
      if (chatSide) return chatSide.chat;
      const side = ormSide as NonNullable<typeof ormSide>;
      ormSide = undefined;
      const dump = await side.client.dumpDataDir('none');
      await side.client.close();
      return toChat(dump);
    },
    async orm() {
      if (ormSide) return ormSide.orm;
      const side = chatSide as NonNullable<typeof chatSide>;
      chatSide = undefined;
      const dump = await side.db.dumpDataDir();
      await side.db.close();
      const client = await PGlite.create({ loadDataDir: dump, extensions: { btree_gin } });
      ormSide = { client, orm: drizzlePglite({ client, schema }) };
      return ormSide.orm;
    },
    async close() {
      await chatSide?.db.close();
      await ormSide?.client.close();
    },
  };
}
