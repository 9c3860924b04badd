/**
 * `chatdb/ai-sdk`: persistence for Vercel AI SDK apps. `saveUIMessages` stores the `UIMessage[]`
 * that `toUIMessageStreamResponse({ onEnd })` hands over as a path (branches appear by themselves);
 * `loadUIMessages` reads the session's active path back as `UIMessage[]`. Only types come from
 * `ai`, so this entry point loads without it.
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
  { userId, sessionId, messages, status }: SaveUIMessagesOptions<M>,
): Promise<Message[]> {
  if (!Array.isArray(messages))
    throw new ChatDbError('invalid_input', 'messages: must be an array', {
      details: [{ path: 'messages', message: 'must be an array' }],
    });
  // Only the last message is the one being saved; the others keep the status they have (an
  // earlier reply that was aborted stays aborted when the next turn saves the whole list).
  const inputs = messages.map((m, i) =>
    toUpsertInput(m, i, i === messages.length - 1 ? (status ?? 'complete') : undefined),
  );
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
