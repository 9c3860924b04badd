import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { init, PACKAGE_MIGRATIONS_DIR, type Scope, up } from '../../src/migrate/index.js';
import { freshDatabase, type ScratchDatabase } from '../helpers/db.js';
import { describeSchema, migrationsDir } from '../helpers/migrations.js';

/** The baseline as it was before 20261201000001 (messages as { role, content } rows). */
const OLD = {
  auth: ['20250101000001_chatdb_auth.sql'],
  chat: ['20250101000002_chatdb_chat.sql'],
  all: [
    '20250101000001_chatdb_auth.sql',
    '20250101000002_chatdb_chat.sql',
    '20250101000003_chatdb_link_chat_to_auth.sql',
  ],
} as const;

let s: ScratchDatabase;
beforeEach(async () => {
  s = await freshDatabase('none');
});
afterEach(() => s.drop());

const schemaOf = async (scope: Scope) => {
  const other = await freshDatabase('none');
  try {
    await init(other.db, { dir: migrationsDir(), scope });
    return await describeSchema(other.db);
  } finally {
    await other.drop();
  }
};

describe('20261201000001_chatdb_chat_parts on a database with the old baseline and rows', () => {
  it.each(['chat', 'all'] as const)(
    '%s: content becomes one text part, parents follow seq, the leaf is the last message',
    async (scope) => {
      const dir = migrationsDir();
      for (const f of OLD[scope]) copyFileSync(join(PACKAGE_MIGRATIONS_DIR, f), join(dir, f));
      await up(s.db, { dir });
      const owner =
        scope === 'all'
          ? ((
              await s.db.query<{ id: string }>(
                `INSERT INTO users (email, hashed_password) VALUES ('a@example.com', 'x') RETURNING id`,
              )
            ).rows[0]?.id as string)
          : 'auth0|65f1c0ffee';
      const sessions = await s.db.query<{ id: string; updated_at: Date }>(
        `INSERT INTO chat_sessions (user_id, message_count, updated_at)
       VALUES ($1, 3, now() - interval '1 day'), ($1, 1, now() - interval '2 days'), ($1, 0, now())
       RETURNING id, updated_at`,
        [owner],
      );
      const [a, b, empty] = sessions.rows.map((r) => r.id) as [string, string, string];
      await s.db.query(
        `INSERT INTO messages (session_id, seq, role, content, created_at) VALUES
         ($1, 1, 'user', 'What is DDS?', now() - interval '3 minutes'),
         ($1, 2, 'assistant', 'A middleware.', now() - interval '2 minutes'),
         ($1, 3, 'user', '', now() - interval '1 minute'),
         ($2, 1, 'user', 'hello', now())`,
        [a, b],
      );
      await s.db.query(
        `INSERT INTO message_citations (message_id, citation_index, document_id)
       SELECT id, 1, 'doc-1' FROM messages WHERE session_id = $1 AND seq = 2`,
        [a],
      );

      const r = await init(s.db, { dir, scope });
      expect(r.applied.map((x) => x.file)).toEqual(
        scope === 'all'
          ? [
              '20261201000001_chatdb_chat_parts.sql',
              '20261201000002_chatdb_link_chat_parts_to_auth.sql',
              '20261202000001_chatdb_chat_feedback.sql',
              '20261202000002_chatdb_link_chat_feedback_to_auth.sql',
              '20261203000001_chatdb_auth_guests.sql',
              '20261203000002_chatdb_chat_lifecycle.sql',
              '20261203000003_chatdb_chat_usage.sql',
              '20261203000004_chatdb_chat_shares.sql',
              '20261203000005_chatdb_link_chat_shares_to_auth.sql',
              '20261203000006_chatdb_chat_append_function.sql',
              '20261203000007_chatdb_auth_token_function.sql',
              '20261203000008_chatdb_chat_save_function.sql',
              '20261204000001_chatdb_chat_save_one_session_write.sql',
              '20261204000002_chatdb_link_append_as_to_auth.sql',
              '20261204000003_chatdb_chat_save_returns_what_it_wrote.sql',
            ]
          : [
              '20261201000001_chatdb_chat_parts.sql',
              '20261202000001_chatdb_chat_feedback.sql',
              '20261203000002_chatdb_chat_lifecycle.sql',
              '20261203000003_chatdb_chat_usage.sql',
              '20261203000004_chatdb_chat_shares.sql',
              '20261203000006_chatdb_chat_append_function.sql',
              '20261203000008_chatdb_chat_save_function.sql',
              '20261204000001_chatdb_chat_save_one_session_write.sql',
              '20261204000003_chatdb_chat_save_returns_what_it_wrote.sql',
            ],
      );
      expect(await describeSchema(s.db)).toEqual(await schemaOf(scope));

      const m = await s.db.query<Record<string, unknown>>(
        `SELECT session_id, seq, id::text AS id, client_id, user_id::text AS user_id, parts, status,
              parent_id::text AS parent_id, updated_at = created_at AS same_time
       FROM messages ORDER BY session_id = $1 DESC, seq`,
        [a],
      );
      const [m1, m2, m3, m4] = m.rows as [
        Record<string, unknown>,
        Record<string, unknown>,
        Record<string, unknown>,
        Record<string, unknown>,
      ];
      expect(m.rows.map((x) => [x.parts, x.status, x.user_id, x.client_id === x.id, x.same_time])).toEqual([
        [[{ type: 'text', text: 'What is DDS?' }], 'complete', owner, true, true],
        [[{ type: 'text', text: 'A middleware.' }], 'complete', owner, true, true],
        [[{ type: 'text', text: '' }], 'complete', owner, true, true],
        [[{ type: 'text', text: 'hello' }], 'complete', owner, true, true],
      ]);
      expect([m1.parent_id, m2.parent_id, m3.parent_id, m4.parent_id]).toEqual([null, m1.id, m2.id, null]);
      const after = await s.db.query<{ id: string; leaf: string | null; updated_at: Date }>(
        'SELECT id, leaf_message_id::text AS leaf, updated_at FROM chat_sessions',
      );
      const byId = new Map(after.rows.map((x) => [x.id, x]));
      expect([byId.get(a)?.leaf, byId.get(b)?.leaf, byId.get(empty)?.leaf]).toEqual([m3.id, m4.id, null]);
      // Filling the leaf is no activity: the sessions keep their order.
      for (const before of sessions.rows) expect(byId.get(before.id)?.updated_at).toEqual(before.updated_at);
      const c = await s.db.query('SELECT user_id::text AS user_id FROM message_citations');
      expect(c.rows).toEqual([{ user_id: owner }]);
    },
  );
});
