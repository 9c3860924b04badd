import { describe, expect, it } from 'vitest';
import { pgCode } from '../../src/db/errors.js';
import { type ChatDbError, isChatDbError } from '../../src/errors.js';
import { guard } from '../../src/store/sql-errors.js';
import { cjk, distinctWords, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e,
  );
const path = (e: unknown) => (isChatDbError(e, 'invalid_input') ? e.details[0]?.path : `not mapped: ${e}`);

/** A message row to hang raw citation inserts on. */
async function aMessage(): Promise<string> {
  const user = await makeUser(fx.db);
  const s = await fx.chat.sessions.create(user);
  return (await fx.chat.messages.append(user, s.id, { role: 'assistant', content: 'x' })).message.id;
}

describe('mapSqlError backstop (real errors from the database)', () => {
  it('date/time and numeric data exceptions are invalid_input without echoing the value', async () => {
    const sql = guard(fx.db);
    const cases: [string, unknown, string][] = [
      ['SELECT $1::timestamptz AS x', 'garbage-date', '22007'],
      ['SELECT $1::timestamptz AS x', '294277-01-01', '22008'],
      ['SELECT $1::timestamptz AS x', '2020-01-01 00:00+99:00', '22009'],
      ['SELECT $1::int + 1 AS x', 2147483647, '22003'],
    ];
    for (const [text, param, sqlstate] of cases) {
      const e = await failure(sql.query(text, [param]));
      expect(path(e), sqlstate).toBe('input');
      expect(pgCode((e as ChatDbError).cause)).toBe(sqlstate);
      expect((e as ChatDbError).message).not.toContain(String(param));
    }
  });

  it('other data exceptions (our bugs, not caller input) stay unmapped', async () => {
    const e = await failure(guard(fx.db).query('SELECT 1 / $1::int AS x', [0]));
    expect(isChatDbError(e)).toBe(false);
    expect(pgCode(e)).toBe('22012');
  });

  it('54000 names the indexed column, not content; a too-long tsvector names content', async () => {
    const sql = guard(fx.db);
    const id = await aMessage();
    // 1000 characters (the check allows it), 3000 bytes: over the btree entry limit.
    const e = await failure(
      sql.query(
        `INSERT INTO message_citations (message_id, citation_index, document_id, user_id)
         SELECT $1, 1, $2, user_id FROM messages WHERE id = $1`,
        [id, cjk(1000)],
      ),
    );
    expect(pgCode((e as ChatDbError).cause)).toBe('54000');
    expect(path(e)).toBe('document_id');
    expect((e as ChatDbError).message).not.toContain('message_citations_document_id_idx');

    const s = await fx.db.query<{ session_id: string }>('SELECT session_id FROM messages WHERE id = $1', [
      id,
    ]);
    const t = await failure(
      sql.query(
        `INSERT INTO messages (session_id, seq, role, content, user_id, client_id, parts)
         SELECT id, 99, 'user', $2, user_id, 'm99', '[]' FROM chat_sessions WHERE id = $1`,
        [s.rows[0]?.session_id, distinctWords(120_000)],
      ),
    );
    expect(pgCode((t as ChatDbError).cause)).toBe('54000');
    expect(path(t)).toBe('content');
    expect((t as ChatDbError).message).toContain('distinct words');
  });
});
