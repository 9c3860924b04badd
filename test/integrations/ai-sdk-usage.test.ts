/**
 * chatdb/ai-sdk's usage with the real `ai` package and its test model: streamText ->
 * toUIMessageStreamResponse({ onEnd }) -> saveUIMessages({ usage: await replyUsage(result) }), and
 * toChatUsage from streamText's own onEnd event and from generateText's result.
 */
import { convertToModelMessages, generateText, streamText, type UIMessage } from 'ai';
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { replyUsage, saveUIMessages, toChatUsage } from '../../src/integrations/ai-sdk.js';
import { makeUser, useChatDb } from '../store/helpers.js';

const fx = useChatDb();

type Chunk =
  Awaited<ReturnType<MockLanguageModelV4['doStream']>>['stream'] extends ReadableStream<infer T> ? T : never;
const tokens = (input: number, output: number) => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
});
const reply = (text: string, input: number, output: number): Chunk[] => [
  { type: 'response-metadata', id: 'resp-1', modelId: 'provider-model-2026-01-01', timestamp: new Date(0) },
  { type: 'text-start', id: 't' },
  { type: 'text-delta', id: 't', delta: text },
  { type: 'text-end', id: 't' },
  { type: 'finish', usage: tokens(input, output), finishReason: { unified: 'stop', raw: 'stop' } },
];
const user = (id: string, text: string): UIMessage => ({ id, role: 'user', parts: [{ type: 'text', text }] });

const session = async () => {
  const userId = await makeUser(fx.db);
  const s = await fx.chat.sessions.create(userId);
  return { userId, sessionId: s.id };
};

/** One turn as a route handler runs it: the reply's usage saved in the UI stream's onEnd. */
async function turn(
  ref: { userId: string; sessionId: string },
  history: UIMessage[],
  stream: () => ReadableStream<Chunk>,
  replyId: string,
  abort?: AbortController,
) {
  const model = new MockLanguageModelV4({ modelId: 'mock', doStream: async () => ({ stream: stream() }) });
  const startedAt = Date.now();
  let saved: Promise<unknown> = Promise.resolve();
  const result = streamText({
    model,
    messages: await convertToModelMessages(history),
    ...(abort ? { abortSignal: abort.signal } : {}),
  });
  const response = result.toUIMessageStreamResponse({
    originalMessages: history,
    generateMessageId: () => replyId,
    onEnd: async ({ messages, isAborted }) => {
      saved = (async () =>
        saveUIMessages(fx.chat, {
          ...ref,
          messages,
          status: isAborted ? 'aborted' : 'complete',
          usage: await replyUsage(result, { startedAt }),
        }))();
      await saved;
    },
  });
  const reader = response.body?.getReader();
  while (reader && !(await reader.read()).done);
  await saved;
}

describe('chatdb/ai-sdk usage', () => {
  it("a finished reply: the provider's model id, the tokens of all steps and the latency; the session totals", async () => {
    const ref = await session();
    const slow = () =>
      new ReadableStream<Chunk>({
        async start(c) {
          await new Promise((r) => setTimeout(r, 30));
          for (const chunk of reply('Hello!', 12, 4)) c.enqueue(chunk);
          c.close();
        },
      });
    await turn(ref, [user('q1', 'Hi')], slow, 'a1');
    const path = (await fx.chat.messages.activePath(ref.userId, ref.sessionId)).data;
    expect(path.map((m) => m.usage === null)).toEqual([true, false]);
    const usage = path[1]?.usage;
    expect(usage).toMatchObject({ model: 'provider-model-2026-01-01', inputTokens: 12, outputTokens: 4 });
    expect(usage?.latencyMs).toBeGreaterThanOrEqual(25);
    expect(usage?.latencyMs).toBeLessThan(10_000);

    // The next turn saves the whole list again: the first reply keeps its usage, the totals add up.
    const history = [
      user('q1', 'Hi'),
      { id: 'a1', role: 'assistant', parts: [{ type: 'text', text: 'Hello!' }] },
    ];
    await turn(
      ref,
      [...(history as UIMessage[]), user('q2', 'More')],
      () => convertArrayToReadableStream(reply('More.', 30, 6)),
      'a2',
    );
    const next = (await fx.chat.messages.activePath(ref.userId, ref.sessionId)).data;
    expect(next.map((m) => m.usage?.inputTokens ?? null)).toEqual([null, 12, null, 30]);
    expect((await fx.chat.sessions.get(ref.userId, ref.sessionId)).usage).toEqual({
      inputTokens: 42,
      outputTokens: 10,
    });
    const byModel = await fx.chat.queries.usageByModel({ userId: ref.userId });
    expect(byModel).toMatchObject([
      { model: 'provider-model-2026-01-01', messages: 2, inputTokens: 42, outputTokens: 10 },
    ]);
  });

  it('a stopped reply is saved aborted with its latency only (the SDK reports no usage for it)', async () => {
    const ref = await session();
    const abort = new AbortController();
    await turn(
      ref,
      [user('q1', 'Tell me a long story.')],
      () =>
        new ReadableStream<Chunk>({
          start(c) {
            c.enqueue({ type: 'text-start', id: 't' });
            c.enqueue({ type: 'text-delta', id: 't', delta: 'Once upon a time' });
            setTimeout(() => abort.abort(), 30);
          },
        }),
      'a1',
      abort,
    );
    const last = (await fx.chat.messages.activePath(ref.userId, ref.sessionId)).data.at(-1);
    expect(last?.status).toBe('aborted');
    expect(last?.usage).toMatchObject({ model: null, inputTokens: null, outputTokens: null });
    expect(last?.usage?.latencyMs).toBeGreaterThanOrEqual(0);
    expect((await fx.chat.sessions.get(ref.userId, ref.sessionId)).usage).toEqual({
      inputTokens: 0,
      outputTokens: 0,
    });
  });

  it("toChatUsage maps streamText's onEnd event and generateText's result", async () => {
    let fromEvent: ReturnType<typeof toChatUsage> | undefined;
    const model = new MockLanguageModelV4({
      modelId: 'mock',
      doStream: async () => ({ stream: convertArrayToReadableStream(reply('Hi', 7, 2)) }),
      doGenerate: async () => ({
        content: [{ type: 'text', text: 'Hi' }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: tokens(9, 3),
        warnings: [],
        response: { id: 'g', modelId: 'generate-model', timestamp: new Date(0) },
      }),
    });
    const result = streamText({
      model,
      prompt: 'Hi',
      onEnd: (e) => {
        fromEvent = toChatUsage(e, { latencyMs: 120.4 });
      },
    });
    await result.consumeStream();
    await result.usage;
    expect(fromEvent).toEqual({
      model: 'provider-model-2026-01-01',
      inputTokens: 7,
      outputTokens: 2,
      latencyMs: 120,
    });
    const generated = await generateText({ model, prompt: 'Hi' });
    expect(toChatUsage(generated)).toEqual({ model: 'generate-model', inputTokens: 9, outputTokens: 3 });
  });

  it('toChatUsage leaves out what the store would refuse; a bad usage given to saveUIMessages is invalid_input', async () => {
    expect(
      toChatUsage(
        { usage: { inputTokens: -1, outputTokens: 2.5 }, response: { modelId: '' } },
        { latencyMs: Number.NaN },
      ),
    ).toEqual({});
    expect(toChatUsage({ totalUsage: { inputTokens: 2 ** 31, outputTokens: 5 } })).toEqual({
      outputTokens: 5,
    });
    expect(toChatUsage({ response: { modelId: `${'m'.repeat(250)}` } }).model).toHaveLength(200);
    expect(toChatUsage({ response: { modelId: 'a\u0000b' } })).toEqual({});
    expect(toChatUsage(undefined, { startedAt: new Date(Date.now() + 60_000) })).toEqual({ latencyMs: 0 });

    const ref = await session();
    await expect(
      saveUIMessages(fx.chat, { ...ref, messages: [user('q', 'x')], usage: { inputTokens: -5 } }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    expect((await fx.chat.messages.activePath(ref.userId, ref.sessionId)).data).toEqual([]);
  });
});
