/**
 * The auth scope (migrations *_chatdb_auth*.sql): users (registered or guest), onboarding profiles
 * and bearer tokens (only their SHA-256 is stored). `updated_at` is kept by a trigger.
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  foreignKey,
  index,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { JsonObject } from '../../index.js';
import { bytea, timestamptz } from './columns.js';

/** A guest has neither email nor password, a registered user both (users_guest_check). */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** As the user typed it; unique case-insensitively (users_email_lower_key). Null for a guest. */
    email: text('email'),
    /** argon2id (or a legacy `$2b$` bcrypt hash until the next login). Null for a guest. */
    hashedPassword: text('hashed_password'),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
    isGuest: boolean('is_guest').notNull().default(false),
  },
  (t) => [
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    index('users_guest_created_at_idx').on(t.createdAt).where(sql`is_guest`),
    check('users_email_check', sql`char_length(email) BETWEEN 3 AND 320 AND email LIKE '_%@_%'`),
    check('users_guest_check', sql`is_guest = (email IS NULL) AND is_guest = (hashed_password IS NULL)`),
  ],
);

export const userProfiles = pgTable(
  'user_profiles',
  {
    userId: uuid('user_id').primaryKey(),
    softwareBackground: text('software_background'),
    hardwareBackground: text('hardware_background'),
    experienceLevel: text('experience_level', { enum: ['beginner', 'intermediate', 'advanced'] }),
    preferredLanguage: text('preferred_language').notNull().default('en'),
    metadata: jsonb('metadata').$type<JsonObject>().notNull().default({}),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    foreignKey({
      name: 'user_profiles_user_id_fkey',
      columns: [t.userId],
      foreignColumns: [users.id],
    }).onDelete('cascade'),
    check('user_profiles_software_background_check', sql`char_length(software_background) <= 2000`),
    check('user_profiles_hardware_background_check', sql`char_length(hardware_background) <= 2000`),
    check(
      'user_profiles_experience_level_check',
      sql`experience_level IN ('beginner', 'intermediate', 'advanced')`,
    ),
    check(
      'user_profiles_preferred_language_check',
      sql`preferred_language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$'`,
    ),
    check('user_profiles_metadata_check', sql`jsonb_typeof(metadata) = 'object'`),
  ],
);

export const authTokens = pgTable(
  'auth_tokens',
  {
    /** SHA-256 of the bearer token (32 bytes). */
    tokenHash: bytea('token_hash').primaryKey(),
    userId: uuid('user_id').notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at').notNull(),
    lastUsedAt: timestamptz('last_used_at'),
    revokedAt: timestamptz('revoked_at'),
  },
  (t) => [
    index('auth_tokens_user_id_idx').on(t.userId),
    foreignKey({
      name: 'auth_tokens_user_id_fkey',
      columns: [t.userId],
      foreignColumns: [users.id],
    }).onDelete('cascade'),
    check('auth_tokens_token_hash_check', sql`octet_length(token_hash) = 32`),
  ],
);
