/** chatdb/langchain: @langchain/core messages through ChatDbMessageHistory, compared field by field. */
import {
  AIMessage,
  type BaseMessage,
  ChatMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from '@langchain/core/messages';
import { describe, expect, it } from 'vitest';
import { loadUIMessages } from '../../src/integrations/ai-sdk.js';
import { ChatDbMessageHistory } from '../../src/integrations/langchain.js';
import { makeUser, useChatDb } from '../store/helpers.js';

const fx = useChatDb();

const history = async () => {
  const userId = await makeUser(fx.db);
  const { id: sessionId } = await fx.chat.sessions.create(userId);
  return { userId, sessionId, h: new ChatDbMessageHistory({ chat: fx.chat, userId, sessionId }) };
};

/** Every field LangChain serializes, plus the class and the fields read directly. */
const fields = (m: BaseMessage) => ({
  class: m.constructor.name,
  type: m.type,
  dict: JSON.parse(JSON.stringify(m.toDict())),
  content: m.content,
  id: m.id,
  name: m.name,
  additional_kwargs: m.additional_kwargs,
  response_metadata: m.response_metadata,
  tool_calls: AIMessage.isInstance(m) ? m.tool_calls : undefined,
  usage_metadata: AIMessage.isInstance(m) ? m.usage_metadata : undefined,
  tool_call_id: ToolMessage.isInstance(m) ? m.tool_call_id : undefined,
  status: ToolMessage.isInstance(m) ? m.status : undefined,
  artifact: ToolMessage.isInstance(m) ? m.artifact : undefined,
});

describe('ChatDbMessageHistory', () => {
  it('round-trips system, human, ai with tool_calls and tool messages field by field', async () => {
    const { h, userId, sessionId } = await history();
    const messages: BaseMessage[] = [
      new SystemMessage('You answer about the weather.'),
      new HumanMessage({ content: 'Weather in Lisbon?', id: 'h-1', name: 'ada' }),
      new AIMessage({
        content: '',
        id: 'ai-1',
        tool_calls: [
          { id: 'call-1', name: 'weather', args: { city: 'Lisbon', units: ['c'] }, type: 'tool_call' },
        ],
        additional_kwargs: { refusal: null },
        response_metadata: { model_name: 'test-model', finish_reason: 'tool_calls' },
        usage_metadata: { input_tokens: 10, output_tokens: 3, total_tokens: 13 },
      }),
      new ToolMessage({
        content: '{"celsius":21}',
        tool_call_id: 'call-1',
        name: 'weather',
        artifact: { raw: [1, 2] },
      }),
      new AIMessage({ content: 'It is 21 °C.', id: 'ai-2' }),
      new HumanMessage({
        content: [
          { type: 'text', text: 'And this picture?' },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
        ],
      }),
    ];
    await h.addMessage(messages[0] as BaseMessage);
    await h.addMessages(messages.slice(1));
    const back = await h.getMessages();
    expect(back.map(fields)).toEqual(messages.map(fields));

    // Stored as a path in chatdb terms: roles, text content for search, parents.
    const path = (await fx.chat.messages.activePath(userId, sessionId)).data;
    expect(path.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
    expect(path.map((m) => m.parentId)).toEqual([null, ...path.slice(0, -1).map((m) => m.id)]);
    expect(path[4]?.content).toBe('It is 21 °C.');
    expect((await fx.chat.messages.search(userId, 'Lisbon')).map((s) => s.message.id)).toContain('h-1');
  });

  it('clear empties the history; later messages start a new branch; nothing is deleted', async () => {
    const { h, userId, sessionId } = await history();
    await h.addUserMessage('first');
    await h.addAIMessage('answer');
    await h.clear();
    expect(await h.getMessages()).toEqual([]);
    expect(await loadUIMessages(fx.chat, { userId, sessionId })).toEqual([]);
    await h.addUserMessage('after clear');
    expect((await h.getMessages()).map((m) => [m.type, m.content])).toEqual([['human', 'after clear']]);
    expect((await fx.chat.sessions.get(userId, sessionId)).messageCount).toBe(4);
    await h.clear();
    await h.clear();
    expect(await h.getMessages()).toEqual([]);
  });

  it('messages written without LangChain (append) come back as their text under their role', async () => {
    const { h, userId, sessionId } = await history();
    await fx.chat.messages.append(userId, sessionId, { role: 'user', content: 'plain question' });
    await fx.chat.messages.append(userId, sessionId, { role: 'tool', content: '{"ok":true}' });
    await h.addAIMessage('from LangChain');
    const back = await h.getMessages();
    expect(back.map((m) => [m.type, m.content])).toEqual([
      ['human', 'plain question'],
      ['generic', '{"ok":true}'],
      ['ai', 'from LangChain'],
    ]);
    const tool = back[1];
    expect(ChatMessage.isInstance(tool) ? tool.role : tool?.type).toBe('tool');
  });

  it('another user cannot read or write the session: not_found', async () => {
    const { sessionId } = await history();
    const other = new ChatDbMessageHistory({ chat: fx.chat, userId: await makeUser(fx.db), sessionId });
    await expect(other.getMessages()).rejects.toMatchObject({ code: 'not_found' });
    await expect(other.addUserMessage('x')).rejects.toMatchObject({ code: 'not_found' });
  });
});
