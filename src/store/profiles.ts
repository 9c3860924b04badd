import { invalidInput } from '../errors.js';
import { PROFILE_COLUMNS, toProfile } from './rows.js';
import type { Sql } from './sql-errors.js';
import type { ProfileInput, ProfilesModule } from './types.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

const PROFILE_KEYS = [
  'softwareBackground',
  'hardwareBackground',
  'experienceLevel',
  'preferredLanguage',
  'metadata',
];

/** Validates the given fields of a profile input into column -> value (omitted fields absent). */
function columns(input: ProfileInput): Map<string, unknown> {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw invalidInput('profile', 'must be an object');
  v.knownKeys(input, PROFILE_KEYS);
  const cols = new Map<string, unknown>();
  if (input.softwareBackground !== undefined)
    cols.set(
      'software_background',
      v.optionalText('software_background', input.softwareBackground, v.LIMITS.background),
    );
  if (input.hardwareBackground !== undefined)
    cols.set(
      'hardware_background',
      v.optionalText('hardware_background', input.hardwareBackground, v.LIMITS.background),
    );
  if (input.experienceLevel !== undefined)
    cols.set('experience_level', v.experienceLevel(input.experienceLevel));
  if (input.preferredLanguage !== undefined)
    cols.set('preferred_language', v.language(input.preferredLanguage));
  if (input.metadata !== undefined)
    cols.set('metadata', JSON.stringify(v.metadata('metadata', input.metadata)));
  return cols;
}

/** Onboarding profiles (auth scope): one row per user, created by the first upsert. */
export function createProfiles(sql: Sql): ProfilesModule {
  return {
    async get(userId) {
      if (!v.isUuid(userId)) return null;
      const r = await sql.query<Row>(
        `SELECT ${PROFILE_COLUMNS} FROM user_profiles WHERE user_id = $1::uuid`,
        [userId],
      );
      return r.rows[0] ? toProfile(r.rows[0]) : null;
    },

    async upsert(userId, input) {
      const id = v.uuid('user', userId);
      const cols = columns(input);
      const names = [...cols.keys()];
      const values = names.map((n, i) => (n === 'metadata' ? `$${i + 2}::jsonb` : `$${i + 2}`));
      // Only the given columns are written: omitted ones keep their value (or the default on insert).
      // With none given the no-op SET still returns (and touches) the row.
      const set = names.length
        ? names.map((n) => `${n} = EXCLUDED.${n}`).join(', ')
        : 'user_id = EXCLUDED.user_id';
      const r = await sql.query<Row>(
        `INSERT INTO user_profiles (user_id${names.map((n) => `, ${n}`).join('')})
         VALUES ($1::uuid${values.map((x) => `, ${x}`).join('')})
         ON CONFLICT (user_id) DO UPDATE SET ${set}
         RETURNING ${PROFILE_COLUMNS}`,
        [id, ...cols.values()],
        'user',
      );
      return toProfile(r.rows[0] as Row);
    },
  };
}
