import { type Database, type DbLogger, openDatabase, type PoolLike } from '../db/index.js';
import {
  DEFAULT_TOKEN_TTL_SECONDS,
  DEFAULT_TRASH_RETENTION_DAYS,
  RETENTION_DAYS_RANGE,
  TOKEN_TTL_SECONDS_RANGE,
} from '../defaults.js';
import { ChatDbError } from '../errors.js';
import { type CitationsModule, createCitations } from './citations.js';
import { createFeedback } from './feedback.js';
import { guestTarget } from './guests.js';
import { createMessages } from './messages.js';
import { createProfiles } from './profiles.js';
import { createPurge, sessionTargets } from './purge.js';
import { createChatQueries } from './queries.js';
import { createAuthQueries } from './queries-auth.js';
import { createFeedbackQueries } from './queries-feedback.js';
import { createUsageQueries } from './queries-usage.js';
import { createSessions } from './sessions.js';
import { createShares } from './shares.js';
import { guard } from './sql-errors.js';
import { createTokens } from './tokens.js';
import type {
  FeedbackModule,
  MessagesModule,
  ProfilesModule,
  SessionsModule,
  TokensModule,
  UsersModule,
} from './types.js';
import type { PurgeOptions, PurgeResult } from './types-lifecycle.js';
import type { SharesModule } from './types-shares.js';
import { createUsers } from './users.js';
import * as v from './validate.js';

export { DEFAULT_TOKEN_TTL_SECONDS, DEFAULT_TRASH_RETENTION_DAYS };

/** Options of `createChatDb`: settings of the modules themselves. */
export interface ChatDbModuleOptions {
  /** Lifetime of issued tokens in seconds. Default DEFAULT_TOKEN_TTL_SECONDS (7 days). */
  readonly tokenTtlSeconds?: number;
  /**
   * Days a trashed session can be restored; `purge` then deletes it. 1..36,500, default
   * DEFAULT_TRASH_RETENTION_DAYS (30).
   */
  readonly trashRetentionDays?: number;
  /** Receives operational messages (connection retries, a failed password rehash). Default: stderr. */
  readonly logger?: DbLogger;
}

/** Options of `openChatDb`. */
export interface ChatDbOptions extends ChatDbModuleOptions {
  /** `postgres://…` (Neon URLs as they are), `memory://`, or undefined for the embedded database in `dataDir`. */
  readonly url?: string;
  /** Data directory of the embedded database. Default DEFAULT_DATA_DIR (`.chatdb`). */
  readonly dataDir?: string;
  /** An already open database to use instead of `url`; `close()` then leaves it open. */
  readonly db?: Database;
  /**
   * Instead of `url`: the application's own pg-compatible pool (`pg.Pool`, or the `Pool` of
   * `@neondatabase/serverless` on an edge runtime); chatdb borrows its connections, and `close()`
   * leaves it open.
   */
  readonly pool?: PoolLike;
}

export type ChatQueries = ReturnType<typeof createChatQueries>;
export type AuthQueries = ReturnType<typeof createAuthQueries>;
export type FeedbackQueries = ReturnType<typeof createFeedbackQueries>;
export type UsageQueries = ReturnType<typeof createUsageQueries>;
/** Operator/dashboard reports (docs/queries.md). */
export type QueriesModule = ChatQueries &
  AuthQueries &
  FeedbackQueries &
  UsageQueries & {
    /** Same as `citations.mostCited`. */
    mostCitedDocuments: CitationsModule['mostCited'];
    /** Same as `citations.messagesCiting`. */
    messagesCitingDocument: CitationsModule['messagesCiting'];
  };

/** The typed modules over one database. */
export interface ChatDb {
  readonly db: Database;
  readonly users: UsersModule;
  readonly profiles: ProfilesModule;
  readonly tokens: TokensModule;
  readonly sessions: SessionsModule;
  readonly messages: MessagesModule;
  readonly citations: CitationsModule;
  /** Ratings of answers (up/down, comment, tags). */
  readonly feedback: FeedbackModule;
  /** Read-only share links to sessions (tokens stored hashed, revocable, optionally expiring). */
  readonly shares: SharesModule;
  readonly queries: QueriesModule;
  /**
   * Deletes what retention allows: sessions trashed longer ago than the retention period and,
   * when asked, sessions idle longer than an age; in batches, safe to stop and rerun.
   * Example: `await chat.purge({ idleSessionsOlderThanDays: 365, dryRun: true })`.
   */
  purge(options?: PurgeOptions | null): Promise<PurgeResult>;
  /** The trash's retention period in days (`trashRetentionDays`). */
  readonly trashRetentionDays: number;
  /** Closes the database if `openChatDb` opened it; a database passed in stays open. */
  close(): Promise<void>;
}

const MODULE_OPTION_KEYS = ['tokenTtlSeconds', 'trashRetentionDays', 'logger'];

const defaultLogger: DbLogger = (m) => process.stderr.write(`chatdb: ${m}\n`);

/**
 * Builds the modules on an open database (the schema must be installed: `chatdb init`).
 * `close()` of the result does not close `db`.
 */
export function createChatDb(db: Database, rawOptions?: ChatDbModuleOptions | null): ChatDb {
  const options = v.options(rawOptions, MODULE_OPTION_KEYS);
  const ttl = v.int(
    'tokenTtlSeconds',
    options.tokenTtlSeconds,
    TOKEN_TTL_SECONDS_RANGE.min,
    TOKEN_TTL_SECONDS_RANGE.max,
    DEFAULT_TOKEN_TTL_SECONDS,
  );
  const retention = v.int(
    'trashRetentionDays',
    options.trashRetentionDays,
    RETENTION_DAYS_RANGE.min,
    RETENTION_DAYS_RANGE.max,
    DEFAULT_TRASH_RETENTION_DAYS,
  );
  const sql = guard(db);
  const citations = createCitations(sql);
  return {
    db,
    users: createUsers(sql, options.logger ?? defaultLogger),
    profiles: createProfiles(sql),
    tokens: createTokens(sql, ttl),
    sessions: createSessions(sql, retention),
    messages: createMessages(sql),
    citations,
    feedback: createFeedback(sql),
    shares: createShares(sql),
    queries: {
      ...createChatQueries(sql),
      ...createAuthQueries(sql),
      ...createFeedbackQueries(sql),
      ...createUsageQueries(sql),
      mostCitedDocuments: citations.mostCited,
      messagesCitingDocument: citations.messagesCiting,
    },
    purge: createPurge([...sessionTargets(sql, retention), guestTarget(sql)]),
    trashRetentionDays: retention,
    close: async () => undefined,
  };
}

/**
 * Opens the database and returns the typed modules.
 * Example: `const chat = await openChatDb({ url: process.env.DATABASE_URL });`
 * With no url the embedded database in `.chatdb/` is used (`memory://` keeps it in memory).
 */
export async function openChatDb(rawOptions?: ChatDbOptions | null): Promise<ChatDb> {
  const options = v.options(rawOptions, [...MODULE_OPTION_KEYS, 'url', 'dataDir', 'db', 'pool']);
  const moduleOptions = {
    tokenTtlSeconds: options.tokenTtlSeconds,
    trashRetentionDays: options.trashRetentionDays,
    logger: options.logger,
  };
  if (options.db) {
    if (options.pool || options.url !== undefined || options.dataDir !== undefined)
      throw new ChatDbError('config_invalid', 'give one of db, pool, or url (or dataDir)');
    return createChatDb(options.db, moduleOptions);
  }
  const db = await openDatabase({
    url: options.url,
    dataDir: options.dataDir,
    pool: options.pool,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  try {
    return { ...createChatDb(db, moduleOptions), close: () => db.close() };
  } catch (e) {
    await db.close();
    throw e;
  }
}
