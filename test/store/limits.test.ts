import { describe, expect, it } from 'vitest';
import { isChatDbError } from '../../src/errors.js';
import { createChatDb } from '../../src/store/chatdb.js';
import type { MessageInput } from '../../src/store/types.js';
import { freshDatabase } from '../helpers/db.js';
import { cjk, count, distinctWords, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e,
  );
/** `invalid_input` and its first detail's path, or what went wrong instead. */
const invalidPath = async (p: Promise<unknown>) => {
  const e = await failure(p);
  return isChatDbError(e, 'invalid_input') ? e.details[0]?.path : `not invalid_input: ${e}`;
};
const newSession = async () => {
  const user = await makeUser(fx.db);
  return { user, id: (await fx.chat.sessions.create(user)).id };
};
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('indexed text is capped in UTF-8 bytes, below the btree entry limit', () => {
  it('document_id: 2,048 bytes of CJK are stored and found; one more byte is invalid_input on its path', async () => {
    const { user, id } = await newSession();
    const atLimit = `${cjk(682)}ab`;
    expect([atLimit.length, bytes(atLimit)]).toEqual([684, 2048]);
    const ok = await fx.chat.messages.append(user, id, {
      role: 'assistant',
      content: 'cited',
      citations: [{ documentId: atLimit }],
    });
    expect(ok.message.citations[0]?.documentId).toBe(atLimit);
    expect((await fx.chat.citations.messagesCiting(atLimit)).map((m) => m.message.id)).toEqual([
      ok.message.id,
    ]);

    const over = `${cjk(682)}abc`;
    expect(bytes(over)).toBe(2049);
    const before = await count(fx.db, 'messages', 'session_id = $1', [id]);
    for (const documentId of [over, cjk(1000)]) {
      const input: MessageInput = {
        role: 'assistant',
        content: 'cited',
        citations: [{ documentId: 'fine' }, { documentId }],
      };
      expect(await invalidPath(fx.chat.messages.append(user, id, input))).toBe('citations[1].document_id');
      expect(await invalidPath(fx.chat.citations.messagesCiting(documentId))).toBe('document_id');
    }
    const e = await failure(
      fx.chat.messages.append(user, id, {
        role: 'assistant',
        content: 'x',
        citations: [{ documentId: over }],
      }),
    );
    expect((e as Error).message).toBe('citations[0].document_id: must be at most 2048 bytes in UTF-8');
    expect(await count(fx.db, 'messages', 'session_id = $1', [id])).toBe(before);
  });

  it('email: the longest multibyte address the rules allow fits its index', async () => {
    const label = cjk(63);
    const email = `${cjk(64)}@${[label, label, label, label].join('.')}`;
    expect([email.length, bytes(email)]).toEqual([320, 952]);
    const u = await fx.chat.users.register({ email, password: 'long-enough' });
    expect(u.email).toBe(email);
    expect((await fx.chat.users.authenticate({ email, password: 'long-enough' }))?.id).toBe(u.id);
    expect(await invalidPath(fx.chat.users.register({ email: `a${email}`, password: 'long-enough' }))).toBe(
      'email',
    );
  });
});

describe('a chat-scope owner and a document id share message_citations_user_document_idx', () => {
  it('the longest user id with a 2,048-byte document id: invalid_input on document_id, nothing written', async () => {
    const fresh = await freshDatabase('chat');
    try {
      const c = createChatDb(fresh.db);
      // 255 CJK characters (765 bytes) and 2,048 bytes, neither compressible: over 2,704 together.
      const owner = cjk(255);
      const s = await c.sessions.create(owner);
      const cite = (documentId: string) =>
        c.messages.append(owner, s.id, { role: 'assistant', content: 'x', citations: [{ documentId }] });
      const e = await failure(cite(`${cjk(682)}ab`));
      expect(isChatDbError(e, 'invalid_input') && e.details[0]).toEqual({
        path: 'document_id',
        message: expect.stringContaining('too large to index'),
      });
      expect(await count(fresh.db, 'messages')).toBe(0);
      // A shorter document id fits, and the owner's reports find it.
      expect((await cite(cjk(600))).message.citations).toHaveLength(1);
      expect((await c.citations.mostCited({ userId: owner })).map((d) => d.documentId)).toEqual([cjk(600)]);
      expect(await c.citations.messagesCiting(cjk(600), { userId: owner })).toHaveLength(1);
    } finally {
      await fresh.drop();
    }
  });
});

describe('message content and the full-text index', () => {
  it('~1 MB of distinct words is rejected as invalid_input on content, nothing written', async () => {
    const { user, id } = await newSession();
    const content = distinctWords(120_000);
    expect(content.length).toBeGreaterThan(1_000_000);
    const e = await failure(fx.chat.messages.append(user, id, { role: 'user', content }));
    expect(isChatDbError(e, 'invalid_input') && e.details[0]).toEqual({
      path: 'content',
      message: expect.stringContaining('too many distinct words'),
    });
    expect(await count(fx.db, 'messages', 'session_id = $1', [id])).toBe(0);
    expect((await fx.chat.sessions.get(user, id)).messageCount).toBe(0);
  });

  it('~1 MB with fewer distinct words is stored byte for byte and searchable', async () => {
    const { user, id } = await newSession();
    // 40,000 distinct words three times: 1.08 MB of text, about 700 KB of index entry.
    const words = distinctWords(40_000);
    const content = `${words} ${words} ${words} zebrafinch`;
    expect(content.length).toBeGreaterThan(1_000_000);
    const r = await fx.chat.messages.append(user, id, { role: 'user', content });
    const [back] = (await fx.chat.messages.list(user, id)).data;
    expect(back?.content === content).toBe(true);
    expect((await fx.chat.messages.search(user, 'zebrafinch')).map((h) => h.message.id)).toEqual([
      r.message.id,
    ]);
  });
});
