import { describe, expect, it } from 'vitest';
import { hashToken } from '../../src/auth/token.js';
import { createChatDb } from '../../src/store/chatdb.js';
import { generateShareToken } from '../../src/store/shares.js';
import type { UpsertInput } from '../../src/store/types.js';
import { freshDatabase } from '../helpers/db.js';
import { count, errorCode, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const code = errorCode;
const text = (id: string, role: UpsertInput['role'], t: string): UpsertInput => ({
  id,
  role,
  parts: [{ type: 'text', text: t }],
});
/** A user and a titled session: a system prompt, q1 -> a1 (citing two documents) -> q2 -> a2. */
const setup = async () => {
  const user = await makeUser(fx.db);
  const s = await fx.chat.sessions.create(user, { title: 'Shared 😀', metadata: { secret: 'meta' } });
  const sid = s.id;
  const tag = Math.random().toString(36).slice(2, 10);
  const p = (x: string) => `${x}-${tag}`;
  await fx.chat.messages.saveMany(user, sid, [
    { ...text(p('sys'), 'system', 'You are internal.'), metadata: { internal: true } },
    text(p('q1'), 'user', 'How?'),
    text(p('a1'), 'assistant', 'Like this.'),
  ]);
  await fx.db.query(
    `INSERT INTO message_citations (message_id, user_id, citation_index, document_id, chunk_id, score, excerpt, metadata)
     SELECT id, user_id, i, 'doc-' || i, 'c' || i, 0.5, 'excerpt ' || i, '{"acl":"private"}'
     FROM messages, generate_series(1, 2) i WHERE client_id = $1`,
    [p('a1')],
  );
  await fx.chat.messages.saveMany(
    user,
    sid,
    [text(p('q2'), 'user', 'And then?'), text(p('a2'), 'assistant', 'Then that.')],
    { parentId: p('a1') },
  );
  return { user, sid, p };
};
/** Every share row, as text: equal before and after = nothing changed. */
const snapshot = async () =>
  (
    await fx.db.query<{ t: string }>(
      `SELECT coalesce(string_agg(sh::text, ';' ORDER BY sh::text), '') AS t FROM session_shares sh`,
    )
  ).rows[0]?.t;
const ids = (c: { messages: { id: string }[] }) => c.messages.map((m) => m.id);

describe('share links', () => {
  it('creates a link whose token reads the active path: title, messages, citations and nothing else', async () => {
    const { user, sid, p } = await setup();
    const share = await fx.chat.shares.create(user, sid);
    expect(share).toMatchObject({ sessionId: sid, upToMessageId: null, expiresAt: null, revokedAt: null });
    expect(share.token).toMatch(/^shr_[A-Za-z0-9_-]{43}$/);
    // Only the hash is stored.
    const stored = await fx.db.query<{ token_hash: Uint8Array }>(
      'SELECT token_hash FROM session_shares WHERE id = $1',
      [share.id],
    );
    expect(Buffer.from(stored.rows[0]?.token_hash as Uint8Array)).toEqual(hashToken(share.token));
    const dump = JSON.stringify(await fx.db.query('SELECT * FROM session_shares'));
    expect(dump).not.toContain(share.token);

    const read = await fx.chat.shares.read(share.token);
    expect(read.title).toBe('Shared 😀');
    // The system prompt is left out.
    expect(ids(read)).toEqual([p('q1'), p('a1'), p('q2'), p('a2')]);
    const a1 = read.messages[1];
    expect(Object.keys(a1 ?? {}).sort()).toEqual([
      'citations',
      'content',
      'createdAt',
      'id',
      'parts',
      'role',
    ]);
    expect(a1).toMatchObject({
      role: 'assistant',
      content: 'Like this.',
      parts: [{ type: 'text', text: 'Like this.' }],
    });
    expect(a1?.citations).toEqual([
      { citationIndex: 1, documentId: 'doc-1', chunkId: 'c1', score: 0.5, excerpt: 'excerpt 1' },
      { citationIndex: 2, documentId: 'doc-2', chunkId: 'c2', score: 0.5, excerpt: 'excerpt 2' },
    ]);
    const json = JSON.stringify(read);
    for (const hidden of [user, sid, 'meta', 'internal', 'private', 'You are internal'])
      expect(json, hidden).not.toContain(hidden);
    // Internal uuids never appear.
    const uuids = await fx.db.query<{ id: string }>(
      'SELECT id::text AS id FROM messages WHERE session_id = $1',
      [sid],
    );
    for (const r of uuids.rows) expect(json).not.toContain(r.id);

    // Without an end message the link follows the session: a regenerated answer shows.
    await fx.chat.messages.saveMany(user, sid, [text(p('a2b'), 'assistant', 'Again.')], {
      parentId: p('q2'),
    });
    expect(ids(await fx.chat.shares.read(share.token))).toEqual([p('q1'), p('a1'), p('q2'), p('a2b')]);
  });

  it('up to a message: the path from the root to it, fixed when made (later edits do not show)', async () => {
    const { user, sid, p } = await setup();
    const share = await fx.chat.shares.create(user, sid, { upToMessageId: p('a1') });
    expect(share.upToMessageId).toBe(p('a1'));
    expect(ids(await fx.chat.shares.read(share.token))).toEqual([p('q1'), p('a1')]);
    await fx.chat.messages.saveMany(user, sid, [
      text(p('q1e'), 'user', 'edited'),
      text(p('a1e'), 'assistant', 'x'),
    ]);
    expect(ids(await fx.chat.shares.read(share.token))).toEqual([p('q1'), p('a1')]);
    // A message of another branch: its own path.
    const other = await fx.chat.shares.create(user, sid, { upToMessageId: p('a1e') });
    expect(ids(await fx.chat.shares.read(other.token))).toEqual([p('q1e'), p('a1e')]);
    expect((await fx.chat.shares.list(user, sid)).map((s) => s.upToMessageId)).toEqual([p('a1'), p('a1e')]);
  });

  it('deleting the message a link ends at deletes the link (never widened to the whole session)', async () => {
    const { user, sid, p } = await setup();
    const share = await fx.chat.shares.create(user, sid, { upToMessageId: p('q2') });
    const whole = await fx.chat.shares.create(user, sid);
    await fx.chat.messages.switchBranch(user, sid, p('a1'));
    await fx.db.query('DELETE FROM messages WHERE client_id = $1', [p('q2')]);
    expect(await code(fx.chat.shares.read(share.token))).toBe('not_found');
    expect((await fx.chat.shares.list(user, sid)).map((s) => s.id)).toEqual([whole.id]);
  });

  it('lists without tokens; revoke stops the link at once; revoking again is not_found', async () => {
    const { user, sid } = await setup();
    const a = await fx.chat.shares.create(user, sid);
    const later = new Date(Date.now() + 3_600_000);
    const b = await fx.chat.shares.create(user, sid, { expiresAt: later });
    expect(b.expiresAt?.getTime()).toBe(later.getTime());
    const list = await fx.chat.shares.list(user, sid);
    expect(list.map((s) => s.id)).toEqual([a.id, b.id]);
    expect(JSON.stringify(list)).not.toContain('shr_');
    expect(Object.keys(list[0] ?? {}).sort()).toEqual([
      'createdAt',
      'expiresAt',
      'id',
      'revokedAt',
      'sessionId',
      'upToMessageId',
    ]);
    await fx.chat.shares.revoke(user, sid, a.id);
    expect(await code(fx.chat.shares.read(a.token))).toBe('not_found');
    expect((await fx.chat.shares.read(b.token)).messages.length).toBe(4);
    const before = await snapshot();
    expect(await code(fx.chat.shares.revoke(user, sid, a.id))).toBe('not_found');
    expect(await snapshot()).toBe(before);
    expect((await fx.chat.shares.list(user, sid))[0]?.revokedAt).toBeInstanceOf(Date);
  });

  it('a trashed session cannot be shared, and its links answer not_found until it is restored', async () => {
    const { user, sid } = await setup();
    const link = await fx.chat.shares.create(user, sid);
    await fx.chat.sessions.trash(user, sid);
    const before = await snapshot();
    expect(await code(fx.chat.shares.create(user, sid))).toBe('not_found');
    expect(await code(fx.chat.shares.list(user, sid))).toBe('not_found');
    expect(await code(fx.chat.shares.revoke(user, sid, link.id))).toBe('not_found');
    expect(await code(fx.chat.shares.read(link.token))).toBe('not_found');
    expect(await snapshot()).toBe(before);
    await fx.chat.sessions.restore(user, sid);
    expect((await fx.chat.shares.read(link.token)).messages.length).toBe(4);
  });

  it("parts: a link leaves out provider metadata and the application's data-* parts; the owner's read keeps them", async () => {
    const user = await makeUser(fx.db);
    const s = await fx.chat.sessions.create(user, { title: 'parts' });
    const parts = [
      { type: 'reasoning', text: 'thinking', providerMetadata: { openai: { trace: 'internal-1' } } },
      { type: 'data-crm', data: { tier: 'gold' } },
      { type: 'text', text: 'the answer', providerMetadata: { openai: { id: 'internal-2' } } },
      {
        type: 'tool-search',
        toolCallId: 'c1',
        state: 'output-available',
        input: { q: 'x' },
        output: { hits: 1 },
        callProviderMetadata: { openai: { id: 'internal-3' } },
      },
    ];
    await fx.chat.messages.upsert(user, s.id, { id: 'pm', role: 'assistant', parts: parts as never });
    const link = await fx.chat.shares.create(user, s.id);
    const read = await fx.chat.shares.read(link.token);
    expect(read.messages[0]?.parts).toEqual([
      { type: 'reasoning', text: 'thinking' },
      { type: 'text', text: 'the answer' },
      {
        type: 'tool-search',
        toolCallId: 'c1',
        state: 'output-available',
        input: { q: 'x' },
        output: { hits: 1 },
      },
    ]);
    expect(JSON.stringify(read)).not.toMatch(/internal-|gold/);
    const own = await fx.chat.messages.activePath(user, s.id);
    expect(own.data[0]?.parts).toEqual(parts);
  });

  it('an expired link is not_found', async () => {
    const { user, sid } = await setup();
    const share = await fx.chat.shares.create(user, sid, { expiresAt: new Date(Date.now() + 60_000) });
    await fx.db.query(`UPDATE session_shares SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      share.id,
    ]);
    expect(await code(fx.chat.shares.read(share.token))).toBe('not_found');
  });

  it("another user's session, message or link is not_found, and nothing changes", async () => {
    const mine = await setup();
    const theirs = await setup();
    const their = await fx.chat.shares.create(theirs.user, theirs.sid);
    const before = await snapshot();
    expect(await code(fx.chat.shares.create(mine.user, theirs.sid))).toBe('not_found');
    expect(await code(fx.chat.shares.create(mine.user, mine.sid, { upToMessageId: theirs.p('a1') }))).toBe(
      'not_found',
    );
    expect(await code(fx.chat.shares.list(mine.user, theirs.sid))).toBe('not_found');
    expect(await code(fx.chat.shares.revoke(mine.user, theirs.sid, their.id))).toBe('not_found');
    expect(await code(fx.chat.shares.revoke(mine.user, mine.sid, their.id))).toBe('not_found');
    // A message of another session of the same user.
    const second = await fx.chat.sessions.create(mine.user);
    expect(await code(fx.chat.shares.create(mine.user, second.id, { upToMessageId: mine.p('a1') }))).toBe(
      'not_found',
    );
    expect(await snapshot()).toBe(before);
    expect((await fx.chat.shares.read(their.token)).messages.length).toBe(4);
  });

  it('bad input is invalid_input or not_found and writes nothing; guessed tokens are not_found', async () => {
    const { user, sid, p } = await setup();
    const before = await snapshot();
    const bad: [unknown, string][] = [
      [{ expiresAt: new Date(Date.now() - 1000) }, 'invalid_input'],
      [{ expiresAt: new Date('nope') }, 'invalid_input'],
      [{ expiresAt: '2099-01-01' }, 'invalid_input'],
      [{ expiresAt: new Date(Date.UTC(10000, 0, 1)) }, 'invalid_input'],
      [{ upToMessageId: '' }, 'invalid_input'],
      [{ upToMessageId: `a\u0000b` }, 'invalid_input'],
      [{ upToMessageId: '\ud800' }, 'invalid_input'],
      [{ upToMessageId: 'x'.repeat(256) }, 'invalid_input'],
      [{ upToMessageId: 42 }, 'invalid_input'],
      [{ upToMessageId: 'nope' }, 'not_found'],
      [{ token: 'x' }, 'invalid_input'],
      ['options', 'invalid_input'],
      [[], 'invalid_input'],
    ];
    for (const [o, want] of bad)
      expect(await code(fx.chat.shares.create(user, sid, o as never)), JSON.stringify(o)).toBe(want);
    expect(await code(fx.chat.shares.create(user, 'not-a-uuid'))).toBe('not_found');
    expect(await code(fx.chat.shares.create('', sid))).toBe('not_found');
    expect(await code(fx.chat.shares.revoke(user, sid, 'not-a-uuid'))).toBe('not_found');
    expect(await code(fx.chat.shares.revoke(user, sid, '00000000-0000-4000-8000-000000000000'))).toBe(
      'not_found',
    );
    expect(await snapshot()).toBe(before);
    const live = await fx.chat.shares.create(user, sid, { upToMessageId: p('a1') });
    for (const guess of [
      '',
      'shr_',
      generateShareToken(),
      live.token.slice(0, -1),
      `${live.token}x`,
      live.token.replace(/^shr_/, ''),
      `${live.token.slice(0, -1)}\u0000`,
      live.token.toUpperCase(),
    ])
      expect(await code(fx.chat.shares.read(guess)), guess).toBe('not_found');
    expect(await code(fx.chat.shares.read(42 as never))).toBe('invalid_input');
    // A bearer token is no share token, and a share token no bearer token.
    const bearer = await fx.chat.tokens.issue(user);
    expect(await code(fx.chat.shares.read(bearer.token))).toBe('not_found');
    expect(await fx.chat.tokens.resolve(live.token)).toBeNull();
  });

  it('an empty session shares its title and no messages; deleting the session or user deletes its links', async () => {
    const user = await makeUser(fx.db);
    const s = await fx.chat.sessions.create(user);
    const share = await fx.chat.shares.create(user, s.id);
    expect(await fx.chat.shares.read(share.token)).toEqual({ title: null, messages: [] });
    await fx.chat.sessions.delete(user, s.id);
    expect(await count(fx.db, 'session_shares', 'user_id = $1', [user])).toBe(0);
    const { user: u2, sid } = await setup();
    await fx.chat.shares.create(u2, sid);
    await fx.chat.users.delete(u2);
    expect(await count(fx.db, 'session_shares', 'user_id = $1', [u2])).toBe(0);
  });

  it("the export lists the user's links without tokens or hashes", async () => {
    const { user, sid, p } = await setup();
    const a = await fx.chat.shares.create(user, sid, { upToMessageId: p('a1') });
    const b = await fx.chat.shares.create(user, sid, { expiresAt: new Date(Date.now() + 60_000) });
    await fx.chat.shares.revoke(user, sid, b.id);
    const other = await setup();
    await fx.chat.shares.create(other.user, other.sid);
    const e = await fx.chat.users.export(user);
    expect(e.shares.map((s) => [s.id, s.sessionId, s.upToMessageId, s.revokedAt !== null])).toEqual([
      [a.id, sid, p('a1'), false],
      [b.id, sid, null, true],
    ]);
    const json = JSON.stringify(e);
    expect(json).not.toContain(a.token);
    expect(json).not.toContain(b.token);
    expect(json).not.toContain('token_hash');
    for (const t of [a.token, b.token]) {
      expect(json).not.toContain(hashToken(t).toString('hex'));
      expect(json).not.toContain(hashToken(t).toString('base64'));
    }
  });
});

describe('share links in the chat scope (text user ids)', () => {
  it('create, read, list, revoke', async () => {
    const s = await freshDatabase('chat');
    try {
      const chat = createChatDb(s.db, { logger: () => undefined });
      const session = await chat.sessions.create('auth0|alice');
      await chat.messages.saveMany('auth0|alice', session.id, [
        text('q', 'user', 'Hi'),
        text('a', 'assistant', 'Hello'),
      ]);
      const share = await chat.shares.create('auth0|alice', session.id, { upToMessageId: 'q' });
      expect(ids(await chat.shares.read(share.token))).toEqual(['q']);
      expect(await code(chat.shares.list('auth0|bob', session.id))).toBe('not_found');
      await chat.shares.revoke('auth0|alice', session.id, share.id);
      expect(await code(chat.shares.read(share.token))).toBe('not_found');
    } finally {
      await s.drop();
    }
  });
});
