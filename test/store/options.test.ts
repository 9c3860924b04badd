import { describe, expect, it } from 'vitest';
import { isChatDbError } from '../../src/errors.js';
import { createChatDb, openChatDb } from '../../src/store/chatdb.js';
import { count, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e,
  );
/** The invalid_input's first detail, or what happened instead. */
const invalid = async (p: Promise<unknown>) => {
  const e = await failure(p);
  return isChatDbError(e, 'invalid_input') ? e.details[0] : `not invalid_input: ${e}`;
};
const NULL = null as never;

describe('null options are the same as omitted ones', () => {
  it('sessions, messages, tokens, citations', async () => {
    const user = await makeUser(fx.db);
    const s = await fx.chat.sessions.create(user, NULL);
    expect(s).toMatchObject({ title: null, metadata: {} });
    await fx.chat.messages.append(user, s.id, {
      role: 'assistant',
      content: 'answer',
      citations: [{ documentId: 'doc-null' }],
    });
    expect((await fx.chat.sessions.list(user, NULL)).data.map((x) => x.id)).toEqual([s.id]);
    expect((await fx.chat.messages.list(user, s.id, NULL)).data).toHaveLength(1);
    expect(await fx.chat.messages.last(user, s.id, NULL)).toHaveLength(1);
    expect(await fx.chat.messages.search(user, 'answer', NULL)).toHaveLength(1);
    expect((await fx.chat.tokens.issue(user, NULL)).expiresIn).toBe(7 * 24 * 3600);
    expect((await fx.chat.citations.mostCited(NULL)).map((d) => d.documentId)).toContain('doc-null');
    expect(await fx.chat.citations.messagesCiting('doc-null', NULL)).toHaveLength(1);
    expect(createChatDb(fx.db, NULL).sessions).toBeDefined();
  });

  it('every report: null works like no options; required options are invalid_input, never a TypeError', async () => {
    const required = new Set(['activeUsers', 'idleSessions', 'staleDocuments', 'inactiveUsers']);
    const reports = Object.entries(fx.chat.queries) as [string, (o: unknown) => Promise<unknown>][];
    expect(reports.length).toBeGreaterThanOrEqual(27);
    for (const [name, run] of reports) {
      if (name === 'messagesCitingDocument') continue; // its first argument is the document id
      const e = await failure(run(null));
      if (required.has(name)) expect(isChatDbError(e, 'invalid_input'), name).toBe(true);
      else expect(e, name).toBeNull();
    }
  });

  it('an options argument that is not an object is invalid_input', async () => {
    const user = await makeUser(fx.db);
    expect(await invalid(fx.chat.sessions.list(user, 5 as never))).toMatchObject({ path: 'options' });
    expect(await invalid(fx.chat.queries.messagesPerDay('2025-01-01' as never))).toMatchObject({
      path: 'options',
    });
    expect(await invalid(fx.chat.citations.mostCited([] as never))).toMatchObject({ path: 'options' });
  });
});

describe('unknown keys in an input object are invalid_input naming them', () => {
  it('options of modules, reports and openChatDb', async () => {
    const user = await makeUser(fx.db);
    const s = await fx.chat.sessions.create(user);
    expect(await invalid(fx.chat.sessions.list(user, { limt: 5 } as never))).toMatchObject({ path: 'limt' });
    expect(await invalid(fx.chat.messages.list(user, s.id, { after_seq: 1 } as never))).toMatchObject({
      path: 'after_seq',
      message: expect.stringContaining('did you mean afterSeq?'),
    });
    expect(await invalid(fx.chat.queries.idleSessions({ idle_since: new Date() } as never))).toMatchObject({
      path: 'idle_since',
      message: expect.stringContaining('did you mean idleSince?'),
    });
    expect(await invalid(fx.chat.queries.recentSessions({ since: new Date() } as never))).toMatchObject({
      path: 'since',
      message: 'unknown field; expected one of userId, limit',
    });
    expect(
      await invalid((fx.chat.queries.tableSizes as (o: unknown) => Promise<unknown>)({ limit: 1 })),
    ).toEqual({
      path: 'limit',
      message: 'unknown field; none are accepted',
    });
    expect(await invalid(fx.chat.citations.mostCited({ user_id: user } as never))).toMatchObject({
      path: 'user_id',
    });
    expect(await invalid(fx.chat.tokens.issue(user, { ttl: 5 } as never))).toMatchObject({ path: 'ttl' });
    expect(() => createChatDb(fx.db, { tokenTTLSeconds: 60 } as never)).toThrow(
      /tokenTTLSeconds: unknown field/,
    );
    expect(await invalid(openChatDb({ url: 'memory://', dataDri: 'x' } as never))).toMatchObject({
      path: 'dataDri',
    });
  });

  it('profiles.upsert with snake_case keys from a JS caller writes nothing', async () => {
    const user = await makeUser(fx.db);
    expect(await invalid(fx.chat.profiles.upsert(user, { experience_level: 'beginner' } as never))).toEqual({
      path: 'experience_level',
      message:
        'unknown field (did you mean experienceLevel?); expected one of softwareBackground, hardwareBackground, experienceLevel, preferredLanguage, metadata',
    });
    expect(await count(fx.db, 'user_profiles', 'user_id = $1', [user])).toBe(0);
    expect(
      await invalid(fx.chat.profiles.upsert(user, { experienceLevel: 'beginner', nickname: 'x' } as never)),
    ).toMatchObject({ path: 'nickname' });
    // A key whose value is undefined is an omitted field, as everywhere else.
    const p = await fx.chat.profiles.upsert(user, {
      experienceLevel: 'advanced',
      nickname: undefined,
    } as never);
    expect(p.experienceLevel).toBe('advanced');
  });

  it('sessions, patches, messages and citations', async () => {
    const user = await makeUser(fx.db);
    const s = await fx.chat.sessions.create(user);
    expect(await invalid(fx.chat.sessions.create(user, { titel: 'x' } as never))).toMatchObject({
      path: 'titel',
    });
    expect(await invalid(fx.chat.sessions.update(user, s.id, { name: 'x' } as never))).toMatchObject({
      path: 'name',
    });
    const msg = { role: 'user' as const, content: 'q' };
    expect(
      await invalid(fx.chat.messages.append(user, s.id, { ...msg, selected_text: 'x' } as never)),
    ).toMatchObject({
      path: 'selected_text',
      message: expect.stringContaining('did you mean selectedText?'),
    });
    expect(
      await invalid(
        fx.chat.messages.append(user, s.id, { ...msg, citations: [{ document_id: 'd' }] } as never),
      ),
    ).toMatchObject({
      path: 'citations[0].document_id',
      message: expect.stringContaining('did you mean documentId?'),
    });
    expect(await count(fx.db, 'chat_sessions', 'user_id = $1', [user])).toBe(1);
    expect(await count(fx.db, 'messages', 'session_id = $1', [s.id])).toBe(0);
  });
});
