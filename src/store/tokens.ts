import { generateToken, hashToken, isTokenShaped } from '../auth/token.js';
import { TOKEN_TTL_SECONDS_RANGE } from '../defaults.js';
import { notFound } from '../errors.js';
import { toUser, USER_COLUMNS } from './rows.js';
import type { Sql } from './sql-errors.js';
import type { TokensModule } from './types.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

/** Bearer tokens (auth scope): random, shown once, stored as SHA-256, expiring, revocable. */
export function createTokens(sql: Sql, defaultTtlSeconds: number): TokensModule {
  return {
    async issue(userId, options) {
      const id = v.uuid('user', userId);
      const ttl = v.int(
        'ttlSeconds',
        v.options(options, ['ttlSeconds']).ttlSeconds,
        TOKEN_TTL_SECONDS_RANGE.min,
        TOKEN_TTL_SECONDS_RANGE.max,
        defaultTtlSeconds,
      );
      const token = generateToken();
      // Only an active user gets a token: none is inserted for an inactive or unknown one.
      const r = await sql.query<Row>(
        `INSERT INTO auth_tokens (token_hash, user_id, expires_at)
         SELECT $1, id, now() + make_interval(secs => $3) FROM users WHERE id = $2::uuid AND is_active
         RETURNING expires_at`,
        [hashToken(token), id, ttl],
        'user',
      );
      const row = r.rows[0];
      if (!row) throw notFound('user');
      return { token, expiresAt: row.expires_at as Date, expiresIn: ttl };
    },

    async resolve(token) {
      if (!isTokenShaped(token)) return null;
      // chatdb_resolve_token (migration 20261203000007): the active user of an unrevoked,
      // unexpired token; last_used_at is written at most once a minute per token, in the same
      // statement, so resolving a token on every request does not turn every request into a write.
      // A function, so the server keeps its plan per connection instead of planning every request.
      const r = await sql.query<Row>(`SELECT ${USER_COLUMNS} FROM chatdb_resolve_token($1::bytea)`, [
        hashToken(token),
      ]);
      return r.rows[0] ? toUser(r.rows[0]) : null;
    },

    async revoke(token) {
      if (!isTokenShaped(token)) return false;
      const r = await sql.query(
        `UPDATE auth_tokens SET revoked_at = now()
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()`,
        [hashToken(token)],
      );
      return r.rowCount > 0;
    },

    async revokeAll(userId) {
      if (!v.isUuid(userId)) return 0;
      const r = await sql.query(
        `UPDATE auth_tokens SET revoked_at = now()
         WHERE user_id = $1::uuid AND revoked_at IS NULL AND expires_at > now()`,
        [userId],
      );
      return r.rowCount;
    },
  };
}
