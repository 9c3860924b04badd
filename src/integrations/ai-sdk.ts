/**
 * `chatdb/ai-sdk`: persistence for Vercel AI SDK apps. `saveUIMessages` stores the `UIMessage[]`
 * that `toUIMessageStreamResponse({ onEnd })` hands over as a path (branches appear by themselves);
 * `loadUIMessages` reads the session's active path back as `UIMessage[]`; `replyUsage` and
 * `toChatUsage` turn the SDK's usage and model id (plus a measured latency) into the reply's usage.
 * Only types come from `ai`, so this entry point loads without it.
 */
import type { UIMessage } from 'ai';
import {
  type ChatDb,
  ChatDbError,
  type JsonObject,
  type Message,
  type MessagePart,
  type MessageStatus,
  type UpsertInput,
  type UsageInput,
} from '../index.js';
import { isClearMarker } from './marker.js';

/** Which session, and whose. */
export interface SessionRef {
  readonly userId: string;
  readonly sessionId: string;
}

export interface SaveUIMessagesOptions<M extends UIMessage = UIMessage> extends SessionRef {
  /** The conversation as the SDK has it: root first, the reply last. */
  readonly messages: readonly M[];
  /**
   * The status of the last message (the reply): `streaming` for a checkpoint, `aborted` when
   * `onEnd` says `isAborted`. Default `complete`. Earlier messages keep their stored status (an
   * aborted reply stays aborted); one not stored yet is saved `complete`.
   */
  readonly status?: MessageStatus;
  /**
   * The reply's model, tokens and latency (`replyUsage` or `toChatUsage` make it from the SDK's),
   * stored on the last message; the session's totals move with it. Omitted: the last message keeps
   * what it has; null clears it. Earlier messages always keep theirs.
   */
  readonly usage?: UsageInput | null;
}

/** Pages of the active path, each one statement; 1,000 messages a page. */
const PAGE = 1000;

/**
 * The session's active path (root to leaf) as `UIMessage[]`, ready for `useChat({ messages })`,
 * `validateUIMessages` and `convertToModelMessages`. `tool`-role messages (written by `append` or
 * LangChain) have no UIMessage form and are left out; an empty stored metadata is no `metadata`.
 */
export async function loadUIMessages<M extends UIMessage = UIMessage>(
  chat: ChatDb,
  { userId, sessionId }: SessionRef,
): Promise<M[]> {
  const out: M[] = [];
  let afterSeq = 0;
  for (;;) {
    const page = await chat.messages.activePath(userId, sessionId, { limit: PAGE, afterSeq });
    for (const m of page.data) {
      const ui = toUIMessage(m);
      if (ui) out.push(ui as M);
    }
    const last = page.data.at(-1);
    if (!page.hasMore || !last) return out;
    afterSeq = last.seq;
  }
}

/**
 * Saves the SDK's message list as a path in one transaction: the first message is a root, each
 * next one's parent is the one before, each is upserted by its id, and the last becomes the
 * session's leaf. Saving the same list again writes nothing; a regenerate (the history without the
 * old answer, plus a new one) or an edit (a new question with a new id) becomes a sibling.
 * `toUIMessageStreamResponse({ originalMessages, onEnd: ({ messages, isAborted }) =>
 * saveUIMessages(chat, { userId, sessionId, messages, status: isAborted ? 'aborted' : 'complete' }) })`
 */
export async function saveUIMessages<M extends UIMessage = UIMessage>(
  chat: ChatDb,
  { userId, sessionId, messages, status, usage }: SaveUIMessagesOptions<M>,
): Promise<Message[]> {
  if (!Array.isArray(messages))
    throw new ChatDbError('invalid_input', 'messages: must be an array', {
      details: [{ path: 'messages', message: 'must be an array' }],
    });
  // Only the last message is the one being saved; the others keep the status they have (an
  // earlier reply that was aborted stays aborted when the next turn saves the whole list).
  const last = messages.length - 1;
  const inputs = messages.map((m, i) => {
    const input = toUpsertInput(m, i, i === last ? (status ?? 'complete') : undefined);
    return i === last && usage !== undefined ? { ...input, usage } : input;
  });
  const saved = await chat.messages.saveMany(userId, sessionId, inputs);
  return saved.map((r) => r.message);
}

function toUpsertInput(m: UIMessage, i: number, status: MessageStatus | undefined): UpsertInput {
  const meta = m.metadata;
  if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta)))
    throw new ChatDbError('invalid_input', `messages[${i}].metadata: must be an object`, {
      details: [{ path: `messages[${i}].metadata`, message: 'must be an object' }],
    });
  return {
    id: m.id,
    role: m.role,
    // The store checks every part (a JSON object with a string type, tool parts with toolCallId, …).
    parts: m.parts as unknown as MessagePart[],
    ...(meta === undefined ? {} : { metadata: meta as JsonObject }),
    ...(status === undefined ? {} : { status }),
  };
}

function toUIMessage(m: Message): UIMessage | null {
  if (m.role === 'tool' || isClearMarker(m)) return null;
  return {
    id: m.id,
    role: m.role,
    ...(Object.keys(m.metadata).length > 0 ? { metadata: m.metadata } : {}),
    parts: m.parts as unknown as UIMessage['parts'],
  };
}

/** The AI SDK's token counts (`LanguageModelUsage`, ai 6 and 7): only the two chatdb keeps. */
interface SdkUsage {
  readonly inputTokens?: number | undefined;
  readonly outputTokens?: number | undefined;
}

/**
 * What the SDK reports when a call ends, as `streamText`'s and `generateText`'s `onEnd` (`onFinish`)
 * event and `generateText`'s result have it: `totalUsage` (all steps; ai 6's `usage` is the last
 * step's) or `usage` (ai 7: all steps), and `response.modelId`, the model as the provider answered.
 */
export interface SdkUsageSource {
  readonly usage?: SdkUsage | undefined;
  readonly totalUsage?: SdkUsage | undefined;
  readonly response?: { readonly modelId?: string | undefined } | undefined;
}

/** When the call started (`Date.now()` or a Date), or its latency in ms. */
export interface LatencyOptions {
  readonly startedAt?: number | Date;
  readonly latencyMs?: number;
}

const MAX_COUNT = 2_147_483_647;
const count = (x: unknown): number | undefined =>
  typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= MAX_COUNT ? x : undefined;
// String.prototype.isWellFormed is ES2024 (Node >= 20); tsconfig's lib stops at ES2023.
const wellFormed = (x: string): boolean => (x as string & { isWellFormed(): boolean }).isWellFormed();
const modelId = (x: unknown): string | undefined =>
  typeof x === 'string' && x.length > 0 && !x.includes('\u0000') && wellFormed(x)
    ? [...x].slice(0, 200).join('')
    : undefined;

function latency({ startedAt, latencyMs }: LatencyOptions): number | undefined {
  if (latencyMs !== undefined) return count(Math.round(latencyMs));
  if (startedAt === undefined) return undefined;
  const start = startedAt instanceof Date ? startedAt.getTime() : startedAt;
  return count(Math.max(0, Math.round(Date.now() - start)));
}

/**
 * The SDK's end-of-call report as chatdb usage: `response.modelId`, the input and output tokens of
 * all steps, and the latency (`latencyMs`, or now minus `startedAt`). Lenient where the store is
 * strict: a value it would refuse (a provider's negative or fractional count, an empty model id) is
 * left out rather than failing the save of the reply; a model id is cut to 200 characters.
 * `streamText({ ..., onEnd: (e) => { usage = toChatUsage(e, { startedAt }) } })`
 */
export function toChatUsage(
  source: SdkUsageSource | null | undefined,
  options: LatencyOptions = {},
): UsageInput {
  const tokens = source?.totalUsage ?? source?.usage;
  const out = {
    model: modelId(source?.response?.modelId),
    inputTokens: count(tokens?.inputTokens),
    outputTokens: count(tokens?.outputTokens),
    latencyMs: latency(options),
  };
  return Object.fromEntries(Object.entries(out).filter(([, x]) => x !== undefined)) as UsageInput;
}

/** What `replyUsage` reads of a `streamText` result: its promises of the usage and the response. */
export interface StreamResultLike {
  readonly totalUsage?: PromiseLike<SdkUsage>;
  readonly usage?: PromiseLike<SdkUsage>;
  readonly response?: PromiseLike<{ readonly modelId?: string | undefined }>;
}

const settled = async <T>(p: PromiseLike<T> | undefined): Promise<T | undefined> => {
  try {
    return await p;
  } catch {
    return undefined; // an aborted stream rejects them (AbortError): its usage is unknown
  }
};

/**
 * The usage of a `streamText` reply, read in `toUIMessageStreamResponse`'s `onEnd` (when the
 * result's usage and response are settled): the model, the tokens of all steps and the time since
 * `startedAt`. A stopped stream has no usage from the SDK: then only the latency is recorded.
 * `onEnd: async ({ messages, isAborted }) => saveUIMessages(chat, { userId, sessionId, messages,
 *   status: isAborted ? 'aborted' : 'complete', usage: await replyUsage(result, { startedAt }) })`
 */
export async function replyUsage(
  result: StreamResultLike,
  options: LatencyOptions = {},
): Promise<UsageInput> {
  // Measured first: the latency is the reply's, not the time these promises take to settle.
  const latencyMs = latency(options);
  const [total, response] = await Promise.all([
    settled(result.totalUsage ?? result.usage),
    settled(result.response),
  ]);
  return toChatUsage({ totalUsage: total, response }, latencyMs === undefined ? {} : { latencyMs });
}
