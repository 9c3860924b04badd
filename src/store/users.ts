import { DEFAULT_PASSWORDS, type Passwords } from '../auth/password.js';
import { notFound } from '../errors.js';
import { FEEDBACK_SELECT, toFeedback } from './feedback.js';
import { guestMethods } from './guests.js';
import {
  CITATIONS_OF_M,
  MESSAGE_SELECT,
  PROFILE_COLUMNS,
  SESSION_COLUMNS,
  toMessage,
  toProfile,
  toSession,
  toTokenRecord,
  toUser,
  USER_COLUMNS,
} from './rows.js';
import { SHARE_SELECT, toShare } from './shares.js';
import type { Sql } from './sql-errors.js';
import type { Conversation, Feedback, Message, Share, UserExport, UsersModule } from './types.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

/** The login look-up: lower(email) is exactly what users_email_lower_key indexes. */
export const LOGIN_SQL = `SELECT ${USER_COLUMNS}, hashed_password FROM users WHERE lower(email) = lower($1)`;

/**
 * The users module (auth scope). `log` receives non-fatal problems (a failed rehash); `passwords`
 * hashes and checks (default: argon2id and bcrypt; tests pass counting primitives).
 */
export function createUsers(
  sql: Sql,
  log: (message: string) => void,
  passwords: Passwords = DEFAULT_PASSWORDS,
): UsersModule {
  return {
    ...guestMethods(sql, passwords),

    async register(input) {
      const email = v.email(input?.email);
      const hashed = await passwords.hash(v.password(input?.password));
      const r = await sql.query<Row>(
        `INSERT INTO users (email, hashed_password) VALUES ($1, $2) RETURNING ${USER_COLUMNS}`,
        [email, hashed],
      );
      return toUser(r.rows[0] as Row);
    },

    // Every path spends exactly one argon2 verification (a legacy bcrypt hash: one bcrypt check
    // instead), so response time does not tell which emails exist or how their hash is stored.
    async authenticate(input) {
      let email: string;
      let password: string;
      try {
        email = v.text('email', input?.email, v.LIMITS.email, 1);
        password = v.password(input?.password);
      } catch {
        // Malformed credentials are just wrong credentials, at the same cost.
        await passwords.dummyVerify('');
        return null;
      }
      const r = await sql.query<Row>(LOGIN_SQL, [email]);
      const row = r.rows[0];
      if (!row) {
        await passwords.dummyVerify(password);
        return null;
      }
      const stored = String(row.hashed_password);
      const check = await passwords.verify(stored, password);
      if (!check.ok || row.is_active !== true) return null;
      if (check.needsRehash) await rehash(sql, log, passwords, String(row.id), stored, password);
      return toUser(row);
    },

    async get(userId) {
      if (!v.isUuid(userId)) return null;
      const r = await sql.query<Row>(
        `SELECT ${USER_COLUMNS} FROM users WHERE id = $1::uuid`,
        [userId],
        'user',
      );
      return r.rows[0] ? toUser(r.rows[0]) : null;
    },

    async deactivate(userId) {
      const id = v.uuid('user', userId);
      const r = await sql.query<Row>(
        `WITH u AS (UPDATE users SET is_active = false WHERE id = $1::uuid RETURNING id),
              t AS (UPDATE auth_tokens SET revoked_at = now()
                    WHERE user_id IN (SELECT id FROM u) AND revoked_at IS NULL)
         SELECT id FROM u`,
        [id],
        'user',
      );
      if (r.rows.length === 0) throw notFound('user');
    },

    async delete(userId) {
      const id = v.uuid('user', userId);
      // ON DELETE CASCADE removes the profile, tokens and (scope `all`) sessions, messages, citations.
      const r = await sql.query(`DELETE FROM users WHERE id = $1::uuid`, [id], 'user');
      if (r.rowCount === 0) throw notFound('user');
    },

    async export(userId) {
      return exportUser(sql, v.uuid('user', userId));
    },
  };
}

/** Stores an argon2id hash in place of a legacy or weaker one, unless the hash changed meanwhile. */
async function rehash(
  sql: Sql,
  log: (m: string) => void,
  passwords: Passwords,
  id: string,
  old: string,
  password: string,
) {
  try {
    const fresh = await passwords.rehash(old, password);
    await sql.query(`UPDATE users SET hashed_password = $1 WHERE id = $2::uuid AND hashed_password = $3`, [
      fresh,
      id,
      old,
    ]);
  } catch (e) {
    // The login itself succeeded; the upgrade is retried on the next one.
    log(`password rehash for user ${id} failed: ${(e as Error).message}`);
  }
}

/** One consistent snapshot (REPEATABLE READ) of everything a user owns. */
function exportUser(sql: Sql, id: string): Promise<UserExport> {
  return sql.transaction(async (tx) => {
    const u = await tx.query<Row>(
      `SELECT ${USER_COLUMNS}, to_regclass('chat_sessions') IS NOT NULL AS has_chat, now() AS exported_at
       FROM users WHERE id = $1::uuid`,
      [id],
      'user',
    );
    const user = u.rows[0];
    if (!user) throw notFound('user');
    const p = await tx.query<Row>(`SELECT ${PROFILE_COLUMNS} FROM user_profiles WHERE user_id = $1::uuid`, [
      id,
    ]);
    // The records, never token_hash: a hash in an export file would be one more copy to leak.
    const t = await tx.query<Row>(
      `SELECT created_at, expires_at, last_used_at, revoked_at FROM auth_tokens
       WHERE user_id = $1::uuid ORDER BY created_at, expires_at`,
      [id],
    );
    const sessions: Conversation[] = [];
    let feedback: Feedback[] = [];
    let shares: Share[] = [];
    if (user.has_chat === true) {
      const s = await tx.query<Row>(
        `SELECT ${SESSION_COLUMNS} FROM chat_sessions WHERE user_id = $1 ORDER BY created_at, id`,
        [id],
      );
      const m = await tx.query<Row>(
        `SELECT ${MESSAGE_SELECT}, ${CITATIONS_OF_M} AS citations
         FROM messages m JOIN chat_sessions s ON s.id = m.session_id
         WHERE s.user_id = $1 ORDER BY m.session_id, m.seq`,
        [id],
      );
      const bySession = new Map<string, Message[]>();
      for (const msg of m.rows.map(toMessage)) {
        const list = bySession.get(msg.sessionId);
        if (list) list.push(msg);
        else bySession.set(msg.sessionId, [msg]);
      }
      for (const row of s.rows) {
        const session = toSession(row);
        sessions.push({ session, messages: bySession.get(session.id) ?? [] });
      }
      // The primary key's user_id prefix finds them; ordered as the sessions and messages are.
      const f = await tx.query<Row>(
        `SELECT ${FEEDBACK_SELECT} FROM message_feedback f JOIN messages m ON m.id = f.message_id
         WHERE f.user_id = $1 ORDER BY m.session_id, m.seq`,
        [id],
      );
      feedback = f.rows.map(toFeedback);
      // The links' records, never a token or its hash; through the user's sessions (their index).
      const sh = await tx.query<Row>(
        `SELECT ${SHARE_SELECT} FROM chat_sessions s JOIN session_shares sh ON sh.session_id = s.id
         WHERE s.user_id = $1 AND sh.user_id = $1 ORDER BY sh.created_at, sh.id`,
        [id],
      );
      shares = sh.rows.map(toShare);
    }
    return {
      exportedAt: new Date(user.exported_at as Date),
      user: toUser(user),
      profile: p.rows[0] ? toProfile(p.rows[0]) : null,
      tokens: t.rows.map(toTokenRecord),
      sessions,
      feedback,
      shares,
    };
  }, 'repeatable read');
}
