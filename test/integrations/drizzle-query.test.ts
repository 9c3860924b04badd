/**
 * drizzle-orm with chatdb/drizzle reads what chatdb's library wrote (a conversation with citations,
 * a user with a profile and a token), typed as the schema says; and chatdb reads what drizzle-orm
 * wrote, while the database's constraints and triggers still apply to Drizzle's statements.
 * drizzle-orm/node-postgres on Postgres (sharing chatdb's pool), drizzle-orm/pglite on PGlite.
 */
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppendResult, ChatSession, User } from '../../src/index.js';
import {
  authTokens,
  chatSessions,
  messageCitations,
  messageFeedback,
  messages,
  users,
} from '../../src/integrations/drizzle.js';
import { type DrizzleStage, drizzleStage } from '../helpers/drizzle.js';

let stage: DrizzleStage;
let user: User;
let session: ChatSession;
let question: AppendResult;
let answer: AppendResult;
const email = `drizzle-${Date.now()}@example.com`;
const ANSWER = 'ROS 2 is a robotics middleware [1], built on DDS [2].';

beforeAll(async () => {
  stage = await drizzleStage();
  const chat = await stage.chat();
  user = await chat.users.register({ email, password: 'a long enough password' });
  await chat.profiles.upsert(user.id, { experienceLevel: 'beginner', metadata: { track: 'ros' } });
  await chat.tokens.issue(user.id);
  session = await chat.sessions.create(user.id, {
    title: 'ROS 2 questions',
    metadata: { course: 'robotics' },
  });
  question = await chat.messages.append(user.id, session.id, {
    role: 'user',
    content: 'What is ROS 2?',
    selectedText: 'ROS 2',
  });
  answer = await chat.messages.append(user.id, session.id, {
    role: 'assistant',
    content: ANSWER,
    citations: [
      { documentId: 'ros2-intro', chunkId: 'c7', score: 0.91, excerpt: 'ROS 2 is…', metadata: { page: 3 } },
      { documentId: 'dds-overview', score: 0.5 },
    ],
    usage: { model: 'gpt-test', inputTokens: 12, outputTokens: 34, latencyMs: 560 },
  });
});

afterAll(async () => {
  await stage?.close();
});

describe('drizzle-orm reads what chatdb wrote', () => {
  it('a session with its messages and their citations, in order, through the relational query API', async () => {
    const conversation = await (await stage.chat()).sessions.conversation(user.id, session.id);
    const orm = await stage.orm();
    const found = await orm.query.chatSessions.findFirst({
      where: eq(chatSessions.id, session.id),
      with: {
        user: { columns: { email: true, isGuest: true } },
        messages: {
          orderBy: [asc(messages.seq)],
          with: { citations: { orderBy: [asc(messageCitations.citationIndex)] } },
        },
      },
    });
    if (!found) throw new Error('session not found through Drizzle');
    expect(found).toMatchObject({
      userId: user.id,
      title: 'ROS 2 questions',
      metadata: { course: 'robotics' },
      messageCount: 2,
      inputTokens: 12,
      outputTokens: 34,
      pinned: false,
      trashedAt: null,
      user: { email, isGuest: false },
    });
    expect(found.createdAt).toBeInstanceOf(Date);
    expect(found.createdAt.getTime()).toBe(session.createdAt.getTime());

    const [q, a] = found.messages;
    if (!q || !a) throw new Error('two messages expected');
    expect(found.messages.map((m) => [m.seq, m.role, m.clientId, m.status])).toEqual([
      [1, 'user', question.message.id, 'complete'],
      [2, 'assistant', answer.message.id, 'complete'],
    ]);
    expect(q).toMatchObject({
      content: 'What is ROS 2?',
      selectedText: 'ROS 2',
      parentId: null,
      model: null,
    });
    // jsonb as stored: the parts array, typed MessagePart[]; the answer's parent and the leaf are uuids.
    expect(a.parts).toEqual([{ type: 'text', text: ANSWER }]);
    expect(a.parts[0]?.type).toBe('text');
    expect(a).toMatchObject({
      parentId: q.id,
      model: 'gpt-test',
      inputTokens: 12,
      outputTokens: 34,
      latencyMs: 560,
    });
    expect(found.leafMessageId).toBe(a.id);
    expect(a.updatedAt).toBeInstanceOf(Date);

    expect(q.citations).toEqual([]);
    expect(a.citations).toEqual([
      {
        messageId: a.id,
        userId: user.id,
        citationIndex: 1,
        documentId: 'ros2-intro',
        chunkId: 'c7',
        score: 0.91,
        excerpt: 'ROS 2 is…',
        metadata: { page: 3 },
        createdAt: expect.any(Date),
      },
      {
        messageId: a.id,
        userId: user.id,
        citationIndex: 2,
        documentId: 'dds-overview',
        chunkId: null,
        score: 0.5,
        excerpt: null,
        metadata: {},
        createdAt: expect.any(Date),
      },
    ]);
    // The same citations as chatdb's own read of the conversation, field for field.
    expect(found.messages.map((m) => m.citations.map(({ messageId: _, userId: __, ...c }) => c))).toEqual(
      conversation.messages.map((m) => m.citations),
    );
  });

  it('a user with the profile and the token hash (bytea) chatdb stored', async () => {
    const orm = await stage.orm();
    const found = await orm.query.users.findFirst({
      where: eq(users.id, user.id),
      with: { profile: true, authTokens: true },
    });
    expect(found).toMatchObject({ email, isGuest: false, isActive: true });
    expect(found?.hashedPassword).toMatch(/^\$argon2id\$/);
    expect(found?.profile).toMatchObject({
      experienceLevel: 'beginner',
      preferredLanguage: 'en',
      metadata: { track: 'ros' },
    });
    expect(found?.authTokens).toHaveLength(1);
    const token = found?.authTokens[0];
    expect(token?.tokenHash).toBeInstanceOf(Uint8Array);
    expect(token?.tokenHash.length).toBe(32);
    expect(token?.expiresAt.getTime()).toBeGreaterThan(Date.now());
    // A plain select gets the driver's bytes; the relational query above decoded JSON's hex text.
    const [plain] = await orm
      .select({ hash: authTokens.tokenHash })
      .from(authTokens)
      .where(eq(authTokens.userId, user.id));
    expect(plain?.hash).toBeInstanceOf(Uint8Array);
    expect([...(plain?.hash ?? [])]).toEqual([...(token?.tokenHash ?? [])]);
  });
});

describe('drizzle-orm writes under chatdb’s constraints, chatdb reads it', () => {
  // First, while drizzle-orm has the database (on PGlite each switch of sides moves it).
  it('the database still refuses what chatdb refuses: a CHECK holds for Drizzle too', async () => {
    const orm = await stage.orm();
    const tooLong = orm
      .update(chatSessions)
      .set({ title: 'x'.repeat(501) })
      .where(eq(chatSessions.id, session.id));
    await expect(tooLong).rejects.toMatchObject({
      cause: { code: '23514', constraint: 'chat_sessions_title_check' },
    });
  });

  it('a session renamed and pinned, and a rating, with updated_at kept by chatdb’s trigger', async () => {
    const orm = await stage.orm();
    const [before] = await orm.select().from(chatSessions).where(eq(chatSessions.id, session.id));
    await orm
      .update(chatSessions)
      .set({ title: 'Renamed with Drizzle', pinned: true })
      .where(eq(chatSessions.id, session.id));
    const [answerRow] = await orm
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.sessionId, session.id), eq(messages.clientId, answer.message.id)));
    if (!before || !answerRow) throw new Error('rows not found through Drizzle');
    await orm
      .insert(messageFeedback)
      .values({ userId: user.id, messageId: answerRow.id, rating: 'up', tags: ['clear', 'sourced'] });

    const chat = await stage.chat();
    const read = await chat.sessions.get(user.id, session.id);
    expect(read).toMatchObject({ title: 'Renamed with Drizzle', pinned: true, messageCount: 2 });
    expect(read.updatedAt.getTime()).toBeGreaterThan(before.updatedAt.getTime());
    expect(await chat.feedback.get(user.id, session.id, answer.message.id)).toMatchObject({
      messageId: answer.message.id,
      rating: 'up',
      comment: null,
      tags: ['clear', 'sourced'],
    });
  });
});
