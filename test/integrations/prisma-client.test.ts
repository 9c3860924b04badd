/**
 * Prisma Client generated from the shipped prisma/schema.prisma (the real `prisma generate`,
 * offline, once for this file), with @prisma/adapter-pg, on chatdb's rows: chatdb writes, Prisma
 * reads with relations and the right JavaScript types; Prisma writes, chatdb reads. The docs'
 * Prisma examples type-check against the generated client, and run.
 *
 * On PGlite the database tests are skipped: the pg adapter speaks to a server through
 * node-postgres, and chatdb's in-process PGlite has no socket. A bridge would take
 * @electric-sql/pglite-socket (its peer dependency pins another PGlite release than chatdb's) or
 * the third-party pglite-prisma-adapter (it pins an older @prisma/driver-adapter-utils than
 * Prisma 7.10's): not worth a dependency. CI runs this file on PostgreSQL too.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatDb, openChatDb } from '../../src/index.js';
import { childEnv, TSX } from '../helpers/cli.js';
import { freshDatabase, onRealPostgres, type ScratchDatabase } from '../helpers/db.js';
import {
  GENERATED_IMPORT,
  type GeneratedClient,
  generateClient,
  prismaExamples,
  ROOT,
} from '../helpers/prisma.js';

let gen: GeneratedClient;
beforeAll(async () => {
  gen = await generateClient();
});
afterAll(() => gen?.remove());

/** The generated client (typed by the examples' tsc check below; here a dynamic import). */
const connect = async (url: string) => {
  const { PrismaClient } = await import(gen.entry);
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
};

/** The docs' examples as files beside the client, importing it and chatdb's source. */
const examples = () =>
  prismaExamples().map((e, i) => {
    expect(e.code.split(GENERATED_IMPORT), `${e.where}: "${GENERATED_IMPORT}" once`).toHaveLength(2);
    const file = join(gen.dir, `example-${i}.ts`);
    writeFileSync(
      file,
      e.code
        .replace(GENERATED_IMPORT, "import { PrismaClient } from './client/client.js';")
        .replace(/from 'chatdb'/g, `from '../../src/index.js'`),
    );
    return { ...e, file };
  });

describe('prisma generate (the real CLI, offline)', () => {
  it('writes a client from the shipped schema', () => {
    expect(gen.run.stdout + gen.run.stderr).toContain('Generated Prisma Client');
    expect(gen.run.code).toBe(0);
    for (const f of ['client.ts', 'models/ChatSession.ts', 'models/Message.ts', 'models/SessionShare.ts'])
      expect(existsSync(join(gen.dir, 'client', f)), f).toBe(true);
  });

  it("the docs' Prisma examples type-check against it (tsc, the project's compiler options)", () => {
    const list = examples();
    expect(list.map((e) => e.where.split(':')[0])).toContain('docs/orm.md');
    writeFileSync(
      join(gen.dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.json'),
        compilerOptions: { noEmit: true, rootDir: ROOT },
        include: list.map((e) => e.file),
      }),
    );
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', gen.dir], {
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});

describe.skipIf(!onRealPostgres)('Prisma Client with @prisma/adapter-pg on chatdb rows', () => {
  let scratch: ScratchDatabase;
  let chat: ChatDb;
  let prisma: Awaited<ReturnType<typeof connect>>;
  beforeAll(async () => {
    scratch = await freshDatabase('all');
    chat = await openChatDb({ db: scratch.db });
    prisma = await connect(scratch.url);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await chat?.close();
    await scratch?.drop();
  });

  const conversation = async () => {
    const user = await chat.users.register({
      email: `p${Date.now()}@example.com`,
      password: 'correct horse battery',
    });
    const { token } = await chat.tokens.issue(user.id);
    const session = await chat.sessions.create(user.id, {
      title: 'Robotics 101',
      metadata: { topic: 'ros' },
    });
    await chat.messages.append(user.id, session.id, {
      role: 'user',
      content: 'What does a ROS 2 node do?',
      selectedText: 'ROS 2 node',
    });
    const { message: answer } = await chat.messages.append(user.id, session.id, {
      role: 'assistant',
      content: 'A node is one process in the ROS graph.',
      citations: [
        {
          documentId: 'docs/ros2/nodes.md',
          chunkId: 'nodes#3',
          score: 0.87,
          excerpt: 'A node…',
          metadata: { page: 3 },
        },
        { documentId: 'docs/ros2/graph.md' },
      ],
      usage: { model: 'model-1', inputTokens: 120, outputTokens: 40, latencyMs: 900 },
    });
    await chat.feedback.set(user.id, session.id, answer.id, { rating: 'up', tags: ['helpful'] });
    return { user, token, session, conv: await chat.sessions.conversation(user.id, session.id) };
  };

  it('reads the conversation chatdb wrote: relations, order, citations, Date, Json, bigint, bytes', async () => {
    const { user, token, session, conv } = await conversation();
    const s = await prisma.chatSession.findUniqueOrThrow({
      where: { id: session.id },
      include: {
        user: { include: { authTokens: true } },
        leaf: true,
        messages: {
          orderBy: { seq: 'asc' },
          include: { citations: { orderBy: { citationIndex: 'asc' } }, feedback: true, parent: true },
        },
      },
    });
    expect(s).toMatchObject({
      title: 'Robotics 101',
      metadata: { topic: 'ros' },
      messageCount: 2,
      pinned: false,
    });
    expect([s.inputTokens, s.outputTokens]).toEqual([120n, 40n]);
    expect(s.user.email).toBe(user.email);
    expect(s.user.isGuest).toBe(false);
    expect(s.user.createdAt).toEqual(user.createdAt);
    const hash: Uint8Array = s.user.authTokens[0].tokenHash;
    expect(Buffer.from(hash).equals(createHash('sha256').update(token, 'utf8').digest())).toBe(true);

    expect(s.messages).toHaveLength(conv.messages.length);
    conv.messages.forEach((m, i) => {
      const p = s.messages[i];
      expect([p.seq, p.role, p.content, p.clientId, p.status]).toEqual([
        m.seq,
        m.role,
        m.content,
        m.id,
        m.status,
      ]);
      expect(p.createdAt).toBeInstanceOf(Date);
      expect(p.createdAt.getTime()).toBe(m.createdAt.getTime());
      expect(p.parts).toEqual(m.parts);
      expect(
        p.citations.map((c: Record<string, unknown>) => ({ ...c, messageId: undefined, userId: undefined })),
      ).toEqual(m.citations.map((c) => ({ ...c, messageId: undefined, userId: undefined })));
    });
    const [question, reply] = s.messages;
    expect(question.selectedText).toBe('ROS 2 node');
    expect(question.parent).toBeNull();
    expect(reply.parent.id).toBe(question.id);
    expect(s.leaf.id).toBe(reply.id);
    expect(reply.parts).toEqual([{ type: 'text', text: 'A node is one process in the ROS graph.' }]);
    expect([reply.model, reply.inputTokens, reply.outputTokens, reply.latencyMs]).toEqual([
      'model-1',
      120,
      40,
      900,
    ]);
    expect(reply.citations[0].metadata).toEqual({ page: 3 });
    expect(reply.feedback).toMatchObject([{ userId: user.id, rating: 'up', tags: ['helpful'] }]);
  });

  it('writes through Prisma what chatdb reads back; the CHECKs and triggers still hold', async () => {
    const { user, session, conv } = await conversation();
    const before = await chat.sessions.get(user.id, session.id);
    const renamed = await prisma.chatSession.update({
      where: { id: session.id },
      data: { title: 'Renamed through Prisma', pinned: true, metadata: { topic: 'ros', level: 2 } },
    });
    const after = await chat.sessions.get(user.id, session.id);
    expect(after).toMatchObject({
      title: 'Renamed through Prisma',
      pinned: true,
      metadata: { topic: 'ros', level: 2 },
    });
    // The trigger set updated_at (Prisma does not: the field is not @updatedAt), and Prisma read it back.
    expect(after.updatedAt.getTime()).toBeGreaterThan(before.updatedAt.getTime());
    expect(renamed.updatedAt).toEqual(after.updatedAt);

    // A CHECK constraint Prisma cannot state still rejects the write.
    const reply = conv.messages[1];
    await expect(
      prisma.message.update({
        where: { userId_clientId: { userId: user.id, clientId: reply?.id } },
        data: { role: 'robot' },
      }),
    ).rejects.toMatchObject({
      name: 'PrismaClientKnownRequestError',
      message: expect.stringContaining('messages_role_check'),
      meta: { driverAdapterError: { cause: { code: '23514' } } }, // check_violation
    });
    expect((await chat.sessions.conversation(user.id, session.id)).messages[1]?.role).toBe('assistant');

    // Deleting the user through Prisma cascades as the foreign keys say.
    await prisma.user.delete({ where: { id: user.id } });
    expect(await chat.users.get(user.id)).toBeNull();
    expect(await prisma.message.count({ where: { sessionId: session.id } })).toBe(0);
  });

  it("the docs' Prisma examples run as written", () => {
    for (const e of examples()) {
      const run = spawnSync(process.execPath, ['--import', TSX, e.file], {
        cwd: gen.dir,
        env: childEnv({ DATABASE_URL: scratch.url }),
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.stderr, e.where).toBe('');
      expect(run.status, e.where).toBe(0);
      expect(run.stdout, e.where).not.toBe('');
    }
  });
});
