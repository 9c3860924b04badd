/**
 * chatdb/ai-sdk with the real `ai` package and its test model: streamText ->
 * toUIMessageStreamResponse({ originalMessages, onEnd }) -> saveUIMessages; the response read as a
 * client reads it (readUIMessageStream) equals what loadUIMessages returns afterwards.
 */
import {
  convertToModelMessages,
  parseJsonEventStream,
  readUIMessageStream,
  stepCountIs,
  streamText,
  tool,
  type UIMessage,
  type UIMessageChunk,
  uiMessageChunkSchema,
  validateUIMessages,
} from 'ai';
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadUIMessages, saveUIMessages } from '../../src/integrations/ai-sdk.js';
import { makeUser, useChatDb } from '../store/helpers.js';

const fx = useChatDb();

/** What the test model streams (LanguageModelV4StreamPart), read off the model's own type. */
type Chunk =
  Awaited<ReturnType<MockLanguageModelV4['doStream']>>['stream'] extends ReadableStream<infer T> ? T : never;
const usage = {
  inputTokens: { total: 3, noCache: 3, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};
const finish = (unified: 'stop' | 'tool-calls' = 'stop'): Chunk => ({
  type: 'finish',
  usage,
  finishReason: { unified, raw: unified },
});
const textChunks = (id: string, text: string): Chunk[] => [
  { type: 'text-start', id },
  { type: 'text-delta', id, delta: text },
  { type: 'text-end', id },
];
const user = (id: string, text: string): UIMessage => ({ id, role: 'user', parts: [{ type: 'text', text }] });

const weather = tool({
  description: 'The weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, celsius: 21 }),
});

interface Turn {
  /** What the client has after reading the response stream: the history plus the reply. */
  readonly client: UIMessage[];
  readonly aborted: boolean;
}

/**
 * One chat turn as a Next.js route handler runs it, against the test model (`steps`: one model
 * stream per step), read back by a client from the Response's body.
 */
async function turn(
  ref: { userId: string; sessionId: string },
  history: UIMessage[],
  steps: Chunk[][] | (() => ReadableStream<Chunk>),
  replyId: string,
  abort?: AbortController,
): Promise<Turn> {
  const model = new MockLanguageModelV4({
    doStream:
      typeof steps === 'function'
        ? async () => ({ stream: steps() })
        : steps.map((chunks) => ({ stream: convertArrayToReadableStream(chunks) })),
  });
  let saved: Promise<unknown> = Promise.resolve();
  let aborted = false;
  const result = streamText({
    model,
    messages: await convertToModelMessages(history),
    tools: { weather },
    stopWhen: stepCountIs(3),
    ...(abort ? { abortSignal: abort.signal } : {}),
  });
  const response = result.toUIMessageStreamResponse({
    originalMessages: history,
    generateMessageId: () => replyId,
    sendReasoning: true,
    sendSources: true,
    onEnd: ({ messages, isAborted }) => {
      aborted = isAborted;
      saved = saveUIMessages(fx.chat, { ...ref, messages, status: isAborted ? 'aborted' : 'complete' });
      return saved.then(() => undefined);
    },
  });
  const body = response.body;
  if (!body) throw new Error('no body');
  const chunks = parseJsonEventStream({ stream: body, schema: uiMessageChunkSchema }).pipeThrough(
    new TransformStream<{ success: boolean; value?: UIMessageChunk; error?: unknown }, UIMessageChunk>({
      transform(r, c) {
        if (!r.success) throw r.error;
        c.enqueue(r.value as UIMessageChunk);
      },
    }),
  );
  let reply: UIMessage | undefined;
  for await (const m of readUIMessageStream({ stream: chunks })) reply = structuredClone(m);
  await saved;
  if (!reply) throw new Error('no reply');
  return { client: [...history, reply], aborted };
}

const session = async () => {
  const userId = await makeUser(fx.db);
  const s = await fx.chat.sessions.create(userId);
  return { userId, sessionId: s.id };
};

describe('chatdb/ai-sdk', () => {
  it('a reply with reasoning, a tool call (input and output), a source-url and a file round-trips', async () => {
    const ref = await session();
    const history = [user('q1', 'Weather in Lisbon?')];
    const { client, aborted } = await turn(
      ref,
      history,
      [
        [
          { type: 'reasoning-start', id: 'r1' },
          { type: 'reasoning-delta', id: 'r1', delta: 'Look it up.' },
          { type: 'reasoning-end', id: 'r1' },
          { type: 'tool-call', toolCallId: 'call-1', toolName: 'weather', input: '{"city":"Lisbon"}' },
          finish('tool-calls'),
        ],
        [
          { type: 'source', sourceType: 'url', id: 'src-1', url: 'https://ipma.pt/lisbon', title: 'IPMA' },
          { type: 'file', mediaType: 'image/png', data: { type: 'data', data: 'iVBORw0KGgo=' } },
          ...textChunks('t1', 'It is 21 °C in Lisbon.'),
          finish(),
        ],
      ],
      'a1',
    );
    expect(aborted).toBe(false);
    const reply = client.at(-1) as UIMessage;
    const types = reply.parts.map((p) => p.type);
    for (const t of ['reasoning', 'tool-weather', 'source-url', 'file', 'text', 'step-start'])
      expect(types).toContain(t);
    expect(reply.parts.find((p) => p.type === 'tool-weather')).toMatchObject({
      toolCallId: 'call-1',
      state: 'output-available',
      input: { city: 'Lisbon' },
      output: { city: 'Lisbon', celsius: 21 },
    });

    const loaded = await loadUIMessages(fx.chat, ref);
    expect(loaded).toEqual(client);
    expect(await validateUIMessages({ messages: loaded, tools: { weather } })).toEqual(loaded);
    // Loaded messages feed the next model call as they are.
    expect(await convertToModelMessages(loaded)).toHaveLength(4); // user, assistant, tool, assistant

    // The source is a citation, counted by the reports.
    const stored = (await fx.chat.messages.activePath(ref.userId, ref.sessionId)).data.at(-1);
    expect(stored?.citations.map((c) => c.documentId)).toEqual(['https://ipma.pt/lisbon']);
    expect(await fx.chat.citations.forMessage(ref.userId, 'a1')).toHaveLength(1);
    const cited = await fx.chat.citations.mostCited({ userId: ref.userId });
    expect(cited.map((d) => [d.documentId, d.citations, d.messages])).toEqual([
      ['https://ipma.pt/lisbon', 1, 1],
    ]);
    const report = await fx.chat.queries.mostCitedDocuments({ userId: ref.userId });
    expect(report.map((d) => d.documentId)).toEqual(['https://ipma.pt/lisbon']);

    // The same list saved again changes nothing.
    const before = (await fx.chat.messages.activePath(ref.userId, ref.sessionId)).data;
    await saveUIMessages(fx.chat, { ...ref, messages: client });
    expect((await fx.chat.messages.activePath(ref.userId, ref.sessionId)).data).toEqual(before);
    expect((await fx.chat.sessions.get(ref.userId, ref.sessionId)).messageCount).toBe(2);
  });

  it('an aborted stream is saved as aborted, with what was streamed so far', async () => {
    const ref = await session();
    const abort = new AbortController();
    const history = [user('q1', 'Tell me a long story.')];
    const { client, aborted } = await turn(
      ref,
      history,
      () =>
        new ReadableStream<Chunk>({
          start(c) {
            c.enqueue({ type: 'text-start', id: 't1' });
            c.enqueue({ type: 'text-delta', id: 't1', delta: 'Once upon a time' });
            // The user presses stop once the first words are out; the model never finishes.
            setTimeout(() => abort.abort(), 50);
          },
        }),
      'a1',
      abort,
    );
    expect(aborted).toBe(true);
    const path = (await fx.chat.messages.activePath(ref.userId, ref.sessionId)).data;
    expect(path.map((m) => [m.id, m.status])).toEqual([
      ['q1', 'complete'],
      ['a1', 'aborted'],
    ]);
    expect(path[1]?.content).toBe('Once upon a time');
    expect(await loadUIMessages(fx.chat, ref)).toEqual(client);

    // The next turn saves the whole list again: the stopped reply stays aborted.
    await turn(
      ref,
      [...client, user('q2', 'Go on.')],
      [[...textChunks('t2', 'And then...'), finish()]],
      'a2',
    );
    const next = (await fx.chat.messages.activePath(ref.userId, ref.sessionId)).data;
    expect(next.map((m) => [m.id, m.status])).toEqual([
      ['q1', 'complete'],
      ['a1', 'aborted'],
      ['q2', 'complete'],
      ['a2', 'complete'],
    ]);
  });

  it('a streaming checkpoint, then the final save; a regenerate becomes a sibling; an edit another branch', async () => {
    const ref = await session();
    const first = await turn(ref, [user('q1', 'Hi')], [[...textChunks('t', 'Hello!'), finish()]], 'a1');
    // A checkpoint while a reply streams (e.g. from onStepEnd), then the final save.
    const partial: UIMessage = { id: 'a-mid', role: 'assistant', parts: [{ type: 'text', text: 'Hel' }] };
    await saveUIMessages(fx.chat, { ...ref, messages: [...first.client, partial], status: 'streaming' });
    expect((await fx.chat.messages.activePath(ref.userId, ref.sessionId)).data.at(-1)?.status).toBe(
      'streaming',
    );
    await saveUIMessages(fx.chat, {
      ...ref,
      messages: [...first.client, { ...partial, parts: [{ type: 'text', text: 'Hello again' }] }],
    });
    const done = (await fx.chat.messages.activePath(ref.userId, ref.sessionId)).data.at(-1);
    expect([done?.id, done?.status, done?.content, done?.parentId]).toEqual([
      'a-mid',
      'complete',
      'Hello again',
      'a1',
    ]);

    // Regenerate the answer to q1: the history without the old answer, plus a new one.
    const regen = await turn(ref, [user('q1', 'Hi')], [[...textChunks('t', 'Hey there!'), finish()]], 'a1b');
    expect(await loadUIMessages(fx.chat, ref)).toEqual(regen.client);
    const sib = await fx.chat.messages.siblings(ref.userId, ref.sessionId, 'a1b');
    expect([sib.data.map((m) => m.id), sib.index]).toEqual([['a1', 'a1b'], 1]);

    // Edit the question: a new id, no parent, so another root with its own answer.
    const edit = await turn(ref, [user('q1e', 'Hi, edited')], [[...textChunks('t', 'Hi!'), finish()]], 'a1e');
    expect(await loadUIMessages(fx.chat, ref)).toEqual(edit.client);
    const roots = await fx.chat.messages.siblings(ref.userId, ref.sessionId, 'q1e');
    expect(roots.data.map((m) => m.id)).toEqual(['q1', 'q1e']);
    // Nothing was deleted, and the older branch is still one switch away.
    expect((await fx.chat.sessions.get(ref.userId, ref.sessionId)).messageCount).toBe(6);
    await fx.chat.messages.switchBranch(ref.userId, ref.sessionId, 'a1b');
    expect(await loadUIMessages(fx.chat, ref)).toEqual(regen.client);
  });

  it('metadata round-trips; a message that is not an object is invalid_input and nothing is written', async () => {
    const ref = await session();
    const messages: UIMessage[] = [{ ...user('m1', 'x'), metadata: { model: 'gpt', ms: 12 } }];
    await saveUIMessages(fx.chat, { ...ref, messages });
    expect(await loadUIMessages(fx.chat, ref)).toEqual(messages);
    await expect(
      saveUIMessages(fx.chat, { ...ref, messages: [...messages, { ...user('m2', 'y'), metadata: 'no' }] }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(
      saveUIMessages(fx.chat, {
        ...ref,
        messages: [...messages, { id: 'm3', role: 'assistant', parts: [{ type: 'tool-x' } as never] }],
      }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    expect(await loadUIMessages(fx.chat, ref)).toEqual(messages);
  });
});
