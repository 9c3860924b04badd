/**
 * `chatdb/langchain`: `ChatDbMessageHistory`, a LangChain.js chat history over one chatdb session.
 * Each LangChain message is stored whole (its `toDict()` form, in a `data-langchain` part) next to
 * a text part of its string content (what search and the plain API read), so human, ai (with
 * `tool_calls`), system and tool (`tool_call_id`) messages come back equal field by field.
 */
import { randomUUID } from 'node:crypto';
import { BaseListChatMessageHistory } from '@langchain/core/chat_history';
import {
  type BaseMessage,
  mapStoredMessagesToChatMessages,
  type StoredMessage,
} from '@langchain/core/messages';
import {
  type ChatDb,
  ChatDbError,
  type JsonObject,
  type JsonValue,
  type Message,
  type MessagePart,
  type Role,
  type UpsertInput,
} from '../index.js';
import { CLEARED_PART_TYPE, isClearMarker } from './marker.js';

export const LANGCHAIN_PART_TYPE = 'data-langchain';

export interface ChatDbMessageHistoryOptions {
  readonly chat: ChatDb;
  readonly userId: string;
  readonly sessionId: string;
}

const ROLES: Record<string, Role> = { human: 'user', ai: 'assistant', system: 'system', tool: 'tool' };
const PAGE = 1000;

/**
 * A `BaseListChatMessageHistory` over one session's active path. `addMessages` saves its list in
 * one transaction after the current leaf; `clear` starts a new, empty branch (nothing is deleted:
 * `chat.sessions.delete` erases a session).
 */
export class ChatDbMessageHistory extends BaseListChatMessageHistory {
  lc_namespace = ['chatdb', 'langchain'];
  readonly #chat: ChatDb;
  readonly #userId: string;
  readonly #sessionId: string;

  constructor({ chat, userId, sessionId }: ChatDbMessageHistoryOptions) {
    super();
    this.#chat = chat;
    this.#userId = userId;
    this.#sessionId = sessionId;
  }

  /** The session's active path as LangChain messages, oldest first (after the last `clear`). */
  async getMessages(): Promise<BaseMessage[]> {
    const stored: Message[] = [];
    let afterSeq = 0;
    for (;;) {
      const page = await this.#chat.messages.activePath(this.#userId, this.#sessionId, {
        limit: PAGE,
        afterSeq,
      });
      stored.push(...page.data);
      const last = page.data.at(-1);
      if (!page.hasMore || !last) break;
      afterSeq = last.seq;
    }
    return mapStoredMessagesToChatMessages(stored.filter((m) => !isClearMarker(m)).map(toStored));
  }

  async addMessage(message: BaseMessage): Promise<void> {
    await this.addMessages([message]);
  }

  /** Appends the messages after the current leaf, in one transaction. */
  async addMessages(messages: BaseMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const inputs = messages.map(toInput);
    const { leafMessageId } = await this.#chat.sessions.get(this.#userId, this.#sessionId);
    await this.#chat.messages.saveMany(this.#userId, this.#sessionId, inputs, { parentId: leafMessageId });
  }

  /**
   * Empties the history: saves a marker root (a `system` message with one `data-chatdb-cleared`
   * part, which both adapters leave out) and makes it the leaf. The earlier messages stay in the
   * database as another branch (`siblings`, `switchBranch`, reports and search still see them).
   */
  async clear(): Promise<void> {
    await this.#chat.messages.upsert(this.#userId, this.#sessionId, {
      id: `chatdb-cleared-${randomUUID()}`,
      role: 'system',
      parts: [{ type: CLEARED_PART_TYPE, data: {} }],
      parentId: null,
    });
  }
}

/** A LangChain message as chatdb stores it: its id, role, a text part, and the whole `toDict()`. */
function toInput(message: BaseMessage): UpsertInput {
  // JSON drops undefined fields, which the store (rightly) does not take.
  const dict = JSON.parse(JSON.stringify(message.toDict())) as { type: string; data: JsonObject };
  const role = ROLES[dict.type];
  if (!role)
    throw new ChatDbError(
      'invalid_input',
      `message type ${dict.type} is not stored (human, ai, system, tool)`,
      {
        details: [{ path: 'message.type', message: 'must be human, ai, system or tool' }],
      },
    );
  const { content, ...rest } = dict.data;
  const text = typeof content === 'string' ? content : '';
  const data: JsonObject = typeof content === 'string' ? rest : { ...rest, content: content ?? '' };
  const parts: MessagePart[] = [
    ...(text === '' ? [] : [{ type: 'text', text }]),
    { type: LANGCHAIN_PART_TYPE, data: { type: dict.type, data } },
  ];
  const id = typeof dict.data.id === 'string' && dict.data.id !== '' ? dict.data.id : randomUUID();
  return { id, role, parts };
}

/** The stored form back to LangChain's `StoredMessage` (the content from the text part). */
function toStored(m: Message): StoredMessage {
  const lc = m.parts.find((p) => p.type === LANGCHAIN_PART_TYPE)?.data as
    | { type: string; data: { [key: string]: JsonValue } }
    | undefined;
  if (!lc) {
    // A message not written by LangChain (append, the AI SDK): its text, under its role.
    // A tool result without a LangChain tool_call_id becomes a generic message with role `tool`.
    const type =
      m.role === 'user' ? 'human' : m.role === 'assistant' ? 'ai' : m.role === 'tool' ? 'generic' : 'system';
    return {
      type,
      data: { content: m.content, role: m.role, name: undefined, tool_call_id: undefined, id: m.id },
    } as StoredMessage;
  }
  const text = m.parts.find((p) => p.type === 'text')?.text;
  const content = 'content' in lc.data ? lc.data.content : typeof text === 'string' ? text : '';
  return { type: lc.type, data: { ...lc.data, content } } as unknown as StoredMessage;
}
