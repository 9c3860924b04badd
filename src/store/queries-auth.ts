/**
 * Reports that need the users table: scope `auth` (or `all`; `inactiveUsers` needs `all`, since it
 * joins users to their chat sessions). On a `chat`-only database they fail with config_invalid.
 */

import { withCheckedOptions } from './options.js';
import type { DayCount } from './queries.js';
import { qualify, toUser, USER_COLUMNS } from './rows.js';
import type { Sql } from './sql-errors.js';
import type { ExperienceLevel, User } from './types.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

/** A user's columns from `users u`, as toUser reads them. */
const U = qualify(USER_COLUMNS, 'u');

export interface UserCounts {
  readonly total: number;
  readonly active: number;
  readonly inactive: number;
}
export interface LevelCount {
  /** null: the profile leaves it unset. */
  readonly level: ExperienceLevel | null;
  readonly users: number;
}
export interface LanguageCount {
  readonly language: string;
  readonly users: number;
}
export interface TokenCounts {
  readonly active: number;
  readonly expired: number;
  readonly revoked: number;
}

export const AUTH_QUERY_SQL = {
  signupsPerDay: `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, count(*) AS count
    FROM users WHERE ($1::timestamptz IS NULL OR created_at >= $1) GROUP BY 1 ORDER BY 1`,
  userCounts: `SELECT count(*) AS total, count(*) FILTER (WHERE is_active) AS active,
      count(*) FILTER (WHERE NOT is_active) AS inactive FROM users`,
  inactiveUsers: `SELECT ${U} FROM users u
    WHERE u.is_active AND u.created_at < $1
      AND NOT EXISTS (SELECT 1 FROM chat_sessions s WHERE s.user_id = u.id AND s.last_message_at >= $1)
    ORDER BY u.created_at, u.id LIMIT $2`,
  usersWithoutProfile: `SELECT ${U} FROM users u
    WHERE NOT EXISTS (SELECT 1 FROM user_profiles p WHERE p.user_id = u.id)
    ORDER BY u.created_at DESC, u.id LIMIT $1`,
  experienceLevels: `SELECT experience_level AS level, count(*) AS users FROM user_profiles
    GROUP BY experience_level ORDER BY users DESC, level NULLS LAST`,
  preferredLanguages: `SELECT preferred_language AS language, count(*) AS users FROM user_profiles
    GROUP BY preferred_language ORDER BY users DESC, language LIMIT $1`,
  tokenCounts: `SELECT count(*) FILTER (WHERE revoked_at IS NULL AND expires_at > now()) AS active,
      count(*) FILTER (WHERE revoked_at IS NULL AND expires_at <= now()) AS expired,
      count(*) FILTER (WHERE revoked_at IS NOT NULL) AS revoked FROM auth_tokens`,
} as const;

const num = (x: unknown): number => Number(x);

/** The options each report takes (one without an entry takes none). */
const AUTH_REPORT_OPTIONS = {
  signupsPerDay: ['since'],
  inactiveUsers: ['since', 'limit'],
  usersWithoutProfile: ['limit'],
  preferredLanguages: ['limit'],
} as const;

/** Reports over users, profiles and tokens. */
export function createAuthQueries(sql: Sql) {
  const q = async (name: keyof typeof AUTH_QUERY_SQL, params: unknown[]): Promise<Row[]> =>
    (await sql.query<Row>(AUTH_QUERY_SQL[name], params)).rows;
  return withCheckedOptions(
    {
      /** New accounts per UTC day (auth scope). Scan of users. */
      signupsPerDay: async (o: { since?: Date } = {}): Promise<DayCount[]> =>
        (await q('signupsPerDay', [o.since === undefined ? null : v.date('since', o.since)])).map((r) => ({
          day: String(r.day),
          count: num(r.count),
        })),
      /** Accounts in total, active and deactivated (auth scope). Scan of users. */
      userCounts: async (): Promise<UserCounts> => {
        const [r] = await q('userCounts', []);
        return { total: num(r?.total), active: num(r?.active), inactive: num(r?.inactive) };
      },
      /**
       * Active accounts older than `since` with no message since then, oldest first (scope `all`).
       * Scan of users, hash anti-join with the sessions active since then.
       */
      inactiveUsers: async (o: { since: Date; limit?: number }): Promise<User[]> =>
        (await q('inactiveUsers', [v.date('since', o?.since), v.limit(o?.limit, 1000, 50)])).map(toUser),
      /** Accounts that never finished onboarding, newest first (auth scope). Scan, hash anti-join with user_profiles. */
      usersWithoutProfile: async (o: { limit?: number } = {}): Promise<User[]> =>
        (await q('usersWithoutProfile', [v.limit(o.limit, 1000, 50)])).map(toUser),
      /** Profiles per experience level, unset included (auth scope). Scan of user_profiles. */
      experienceLevels: async (): Promise<LevelCount[]> =>
        (await q('experienceLevels', [])).map((r) => ({
          level: (r.level ?? null) as ExperienceLevel | null,
          users: num(r.users),
        })),
      /** Profiles per preferred language (auth scope). Scan of user_profiles. */
      preferredLanguages: async (o: { limit?: number } = {}): Promise<LanguageCount[]> =>
        (await q('preferredLanguages', [v.limit(o.limit, 1000, 20)])).map((r) => ({
          language: String(r.language),
          users: num(r.users),
        })),
      /** Bearer tokens that are active, expired (not revoked) and revoked (auth scope). Scan of auth_tokens. */
      tokenCounts: async (): Promise<TokenCounts> => {
        const [r] = await q('tokenCounts', []);
        return { active: num(r?.active), expired: num(r?.expired), revoked: num(r?.revoked) };
      },
    },
    AUTH_REPORT_OPTIONS,
  );
}
