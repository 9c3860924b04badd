import { describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/index.js';
import { createChatDb } from '../../src/store/chatdb.js';
import { CITATION_JSON } from '../../src/store/rows.js';
import type { MessagePart, UpsertInput, UpsertResult } from '../../src/store/types.js';
import { checkUpsert, saveParams } from '../../src/store/upsert.js';
import type { NormalizedCitation } from '../../src/store/validate.js';
import { count, errorCode, makeUser, useChatDb } from './helpers.js';

const fx = useChatDb();
const code = errorCode;
const newSession = async (user?: string) => {
  const owner = user ?? (await makeUser(fx.db));
  const s = await fx.chat.sessions.create(owner);
  return { user: owner, id: s.id };
};
/** Everything about a session that a save could change. */
const snapshot = async (sessionId: string) => ({
  session: (await fx.db.query('SELECT * FROM chat_sessions WHERE id = $1', [sessionId])).rows,
  messages: (await fx.db.query('SELECT * FROM messages WHERE session_id = $1 ORDER BY seq', [sessionId]))
    .rows,
  citations: (
    await fx.db.query(
      `SELECT c.* FROM message_citations c JOIN messages m ON m.id = c.message_id
       WHERE m.session_id = $1 ORDER BY m.seq, c.citation_index`,
      [sessionId],
    )
  ).rows,
});

/** What an AI SDK reply holds: every kind of part, with nested JSON and odd numbers. */
const RICH_PARTS: MessagePart[] = [
  { type: 'step-start' },
  { type: 'reasoning', text: 'The user asks about DDS.', state: 'done', providerMetadata: { a: { b: 1 } } },
  {
    type: 'tool-searchDocs',
    toolCallId: 'call_1',
    state: 'output-available',
    input: { query: 'DDS', filters: [{ k: 'module', v: 1 }, null, true], z: 1.5e-7, a: 0 },
    output: { hits: [{ id: 'm1', score: 0.891234567890123 }], big: 12345678901234 },
  },
  {
    type: 'dynamic-tool',
    toolName: 'calc',
    toolCallId: 'call_2',
    state: 'output-error',
    input: {},
    errorText: 'boom',
  },
  { type: 'source-url', sourceId: 'src-1', url: 'https://docs.ros.org/en/humble/dds.html', title: 'DDS' },
  {
    type: 'source-document',
    sourceId: 'module-1-ros2',
    mediaType: 'text/markdown',
    title: 'Module 1',
    filename: 'm1.md',
  },
  { type: 'file', mediaType: 'image/png', url: 'data:image/png;base64,iVBORw0KGgo=', filename: 'a.png' },
  { type: 'data-weather', id: 'w1', data: { city: 'Zürich', temps: [1, 2.5, -3], emoji: '🌧️' } },
  { type: 'text', text: 'DDS is the middleware under ROS 2.', state: 'done' },
  { type: 'text', text: 'It is publish/subscribe.' },
];

describe('messages.upsert', () => {
  it('inserts a new id with parts, status, the leaf as parent; parts come back equal', async () => {
    const { user, id } = await newSession();
    const q = await fx.chat.messages.upsert(user, id, {
      id: 'u_Yx8c2VbN1aQk3T9z',
      role: 'user',
      parts: [{ type: 'text', text: 'What is DDS?' }],
    });
    expect(q.created).toBe(true);
    expect(q.message).toMatchObject({ id: 'u_Yx8c2VbN1aQk3T9z', seq: 1, parentId: null, status: 'complete' });
    const a = await fx.chat.messages.upsert(user, id, {
      id: 'a_1',
      role: 'assistant',
      parts: RICH_PARTS,
      metadata: { model: 'gpt' },
      status: 'streaming',
    });
    expect(a.message).toMatchObject({
      id: 'a_1',
      seq: 2,
      parentId: 'u_Yx8c2VbN1aQk3T9z',
      status: 'streaming',
    });
    expect(a.message.parts).toEqual(RICH_PARTS);
    expect(a.message.content).toBe('DDS is the middleware under ROS 2.\n\nIt is publish/subscribe.');
    // What is read back is the same as what was saved (as JSON: jsonb keeps values, not key order).
    const page = await fx.chat.messages.list(user, id);
    expect(page.data.map((m) => m.id)).toEqual(['u_Yx8c2VbN1aQk3T9z', 'a_1']);
    expect(JSON.parse(JSON.stringify(page.data[1]?.parts))).toEqual(JSON.parse(JSON.stringify(RICH_PARTS)));
    const session = await fx.chat.sessions.get(user, id);
    expect(session.messageCount).toBe(2);
  });

  it('source parts become citations in order; the reports count them; a replace replaces them', async () => {
    const { user, id } = await newSession();
    const saved = await fx.chat.messages.upsert(user, id, { id: 'r1', role: 'assistant', parts: RICH_PARTS });
    expect(saved.message.citations.map((c) => [c.citationIndex, c.documentId, c.metadata])).toEqual([
      [1, 'https://docs.ros.org/en/humble/dds.html', { type: 'source-url', sourceId: 'src-1', title: 'DDS' }],
      [
        2,
        'module-1-ros2',
        {
          type: 'source-document',
          sourceId: 'module-1-ros2',
          title: 'Module 1',
          mediaType: 'text/markdown',
          filename: 'm1.md',
        },
      ],
    ]);
    expect(await fx.chat.citations.forMessage(user, 'r1')).toEqual(saved.message.citations);
    const top = await fx.chat.queries.mostCitedDocuments({ userId: user });
    expect(top.map((d) => [d.documentId, d.citations])).toEqual([
      ['https://docs.ros.org/en/humble/dds.html', 1],
      ['module-1-ros2', 1],
    ]);
    const replaced = await fx.chat.messages.upsert(user, id, {
      id: 'r1',
      role: 'assistant',
      parts: [
        { type: 'source-url', sourceId: 's9', url: 'https://example.com/other' },
        { type: 'text', text: 'x' },
      ],
    });
    expect(replaced.created).toBe(false);
    expect(replaced.message.seq).toBe(1);
    expect(replaced.message.citations.map((c) => c.documentId)).toEqual(['https://example.com/other']);
    expect(await count(fx.db, 'message_citations', 'user_id = $1', [user])).toBe(1);
  });

  it("a text part's citations become citations too, in the order of the parts", async () => {
    const { user, id } = await newSession();
    const parts: MessagePart[] = [
      { type: 'source-url', sourceId: 's1', url: 'https://example.com/a' },
      {
        type: 'text',
        text: 'DDS is the middleware.',
        citations: [
          {
            source: {
              type: 'source',
              sourceType: 'document',
              id: 'module-1',
              mediaType: 'text/markdown',
              title: 'M1',
            },
            citedText: 'ROS 2 uses DDS',
            startIndex: 0,
            endIndex: 3,
          },
          { source: { type: 'source', sourceType: 'url', id: 'u1', url: 'https://example.com/b' } },
        ],
      },
    ];
    const saved = await fx.chat.messages.upsert(user, id, { id: 'tc', role: 'assistant', parts });
    expect(saved.message.parts).toEqual(parts);
    expect(
      saved.message.citations.map((c) => [c.citationIndex, c.documentId, c.excerpt, c.metadata]),
    ).toEqual([
      [1, 'https://example.com/a', null, { type: 'source-url', sourceId: 's1' }],
      [
        2,
        'module-1',
        'ROS 2 uses DDS',
        {
          type: 'text-citation',
          sourceType: 'document',
          title: 'M1',
          mediaType: 'text/markdown',
          sourceId: 'module-1',
          startIndex: 0,
          endIndex: 3,
        },
      ],
      [3, 'https://example.com/b', null, { type: 'text-citation', sourceType: 'url', sourceId: 'u1' }],
    ]);
    // A citation without a source is refused, and nothing is written.
    const bad = fx.chat.messages.upsert(user, id, {
      id: 'tc2',
      role: 'assistant',
      parts: [{ type: 'text', text: 'x', citations: [{ citedText: 'y' }] }],
    });
    await expect(bad).rejects.toMatchObject({ code: 'invalid_input' });
    expect(await count(fx.db, 'messages', 'user_id = $1', [user])).toBe(1);
  });

  it('the same id again replaces parts, metadata, status; the same content again changes nothing', async () => {
    const { user, id } = await newSession();
    const first = await fx.chat.messages.upsert(user, id, {
      id: 'a',
      role: 'assistant',
      parts: [{ type: 'text', text: 'Par' }],
      status: 'streaming',
    });
    await new Promise((r) => setTimeout(r, 15));
    const done = await fx.chat.messages.upsert(user, id, {
      id: 'a',
      role: 'assistant',
      parts: [{ type: 'text', text: 'Partial, then whole.' }],
      metadata: { finish: 'stop' },
    });
    expect(done).toMatchObject({
      created: false,
      message: { seq: 1, status: 'complete', content: 'Partial, then whole.' },
    });
    expect(done.message.updatedAt.getTime()).toBeGreaterThan(first.message.updatedAt.getTime());
    expect(done.message.createdAt).toEqual(first.message.createdAt);
    const before = await snapshot(id);
    // Key order differs; jsonb compares values: nothing is written, updated_at stays.
    const again = await fx.chat.messages.upsert(user, id, {
      role: 'assistant',
      id: 'a',
      metadata: { finish: 'stop' },
      parts: [{ text: 'Partial, then whole.', type: 'text' }],
    } as UpsertInput);
    expect(again.created).toBe(false);
    expect(await snapshot(id)).toEqual(before);
  });

  it('an id used in another session of the same user is conflict; another user may use it', async () => {
    const a = await newSession();
    const b = await newSession(a.user);
    const other = await newSession();
    await fx.chat.messages.upsert(a.user, a.id, {
      id: 'same',
      role: 'user',
      parts: [{ type: 'text', text: 'hi' }],
    });
    const before = await snapshot(b.id);
    expect(
      await code(
        fx.chat.messages.upsert(a.user, b.id, {
          id: 'same',
          role: 'user',
          parts: [{ type: 'text', text: 'x' }],
        }),
      ),
    ).toBe('conflict');
    expect(await snapshot(b.id)).toEqual(before);
    const theirs = await fx.chat.messages.upsert(other.user, other.id, {
      id: 'same',
      role: 'user',
      parts: [{ type: 'text', text: 'mine' }],
    });
    expect(theirs.created).toBe(true);
    // Neither sees the other's message.
    expect((await fx.chat.messages.list(a.user, a.id)).data.map((m) => m.content)).toEqual(['hi']);
    expect(await code(fx.chat.citations.forMessage(a.user, 'nope'))).toBe('not_found');
  });

  it('a role or parent that differs from the stored one is conflict; nothing is written', async () => {
    const { user, id } = await newSession();
    await fx.chat.messages.saveMany(user, id, [
      { id: 'q', role: 'user', parts: [{ type: 'text', text: 'q' }] },
      { id: 'r', role: 'assistant', parts: [{ type: 'text', text: 'r' }] },
    ]);
    const before = await snapshot(id);
    expect(await code(fx.chat.messages.upsert(user, id, { id: 'r', role: 'user', parts: [] }))).toBe(
      'conflict',
    );
    expect(
      await code(
        fx.chat.messages.upsert(user, id, { id: 'r', role: 'assistant', parts: [], parentId: null }),
      ),
    ).toBe('conflict');
    expect(await snapshot(id)).toEqual(before);
  });

  it('another user, a missing session, a parent of another session: not_found, nothing written', async () => {
    const a = await newSession();
    const b = await newSession(a.user);
    const stranger = await makeUser(fx.db);
    await fx.chat.messages.upsert(a.user, b.id, {
      id: 'pb',
      role: 'user',
      parts: [{ type: 'text', text: 'b' }],
    });
    const msg = { id: 'n1', role: 'user', parts: [{ type: 'text', text: 'x' }] } as const;
    expect(await code(fx.chat.messages.upsert(stranger, a.id, msg))).toBe('not_found');
    expect(await code(fx.chat.messages.upsert(a.user, '00000000-0000-4000-8000-000000000000', msg))).toBe(
      'not_found',
    );
    expect(await code(fx.chat.messages.upsert(a.user, a.id, { ...msg, parentId: 'pb' }))).toBe('not_found');
    expect(await count(fx.db, 'messages', 'session_id = $1', [a.id])).toBe(0);
  });
});

describe('bad input (invalid_input, nothing written)', () => {
  const cases: [string, unknown][] = [
    ['parts not an array', { id: 'x', role: 'user', parts: { type: 'text' } }],
    ['a part not an object', { id: 'x', role: 'user', parts: ['text'] }],
    ['a part without type', { id: 'x', role: 'user', parts: [{ text: 'a' }] }],
    ['a part with a number type', { id: 'x', role: 'user', parts: [{ type: 7 }] }],
    ['a text part without text', { id: 'x', role: 'user', parts: [{ type: 'text' }] }],
    [
      'a tool part without toolCallId',
      { id: 'x', role: 'assistant', parts: [{ type: 'tool-search', state: 'input-available' }] },
    ],
    [
      'a dynamic tool without toolCallId',
      { id: 'x', role: 'assistant', parts: [{ type: 'dynamic-tool', toolName: 't' }] },
    ],
    [
      'NUL deep in a part',
      { id: 'x', role: 'assistant', parts: [{ type: 'data-x', data: { a: [{ b: 'a\u0000b' }] } }] },
    ],
    ['NUL in a key', { id: 'x', role: 'assistant', parts: [{ type: 'data-x', data: { 'a\u0000': 1 } }] }],
    ['a lone surrogate', { id: 'x', role: 'user', parts: [{ type: 'text', text: '\ud800' }] }],
    ['a non-finite number', { id: 'x', role: 'user', parts: [{ type: 'data-x', data: Number.NaN }] }],
    [
      'parts over 8 MiB',
      { id: 'x', role: 'user', parts: [{ type: 'data-x', data: 'a'.repeat(8 * 1024 * 1024) }] },
    ],
    ['an empty id', { id: '', role: 'user', parts: [] }],
    ['an id of 256 characters', { id: 'a'.repeat(256), role: 'user', parts: [] }],
    ['an id with a control character', { id: 'a\nb', role: 'user', parts: [] }],
    ['an unknown status', { id: 'x', role: 'user', parts: [], status: 'done' }],
    ['an unknown key', { id: 'x', role: 'user', parts: [], content: 'hi' }],
    [
      'a source-url without url',
      { id: 'x', role: 'assistant', parts: [{ type: 'source-url', sourceId: 's' }] },
    ],
  ];
  it.each(cases)('%s', async (_name, input) => {
    const { user, id } = await newSession();
    const before = await snapshot(id);
    expect(await code(fx.chat.messages.upsert(user, id, input as UpsertInput))).toBe('invalid_input');
    expect(await snapshot(id)).toEqual(before);
  });

  it('a bad message late in a list: the whole list is refused', async () => {
    const { user, id } = await newSession();
    const before = await snapshot(id);
    const list = [
      { id: 'ok1', role: 'user', parts: [{ type: 'text', text: 'a' }] },
      { id: 'ok2', role: 'assistant', parts: [{ type: 'tool-x' }] },
    ] as UpsertInput[];
    expect(await code(fx.chat.messages.saveMany(user, id, list))).toBe('invalid_input');
    // The same id twice in one list: refused before the transaction begins, so nothing is written.
    const late = [
      { id: 'ok1', role: 'user', parts: [{ type: 'text', text: 'a' }] },
      { id: 'ok1', role: 'assistant', parts: [] },
    ] as UpsertInput[];
    expect(await code(fx.chat.messages.saveMany(user, id, late))).toBe('invalid_input');
    expect(await snapshot(id)).toEqual(before);
  });

  it('a conflict on the last message of a list rolls back the ones before it', async () => {
    const a = await newSession();
    const b = await newSession(a.user);
    await fx.chat.messages.upsert(a.user, b.id, { id: 'taken', role: 'user', parts: [] });
    const before = await snapshot(a.id);
    const list = [
      { id: 'n1', role: 'user', parts: [{ type: 'text', text: 'a' }] },
      { id: 'n2', role: 'assistant', parts: [{ type: 'text', text: 'b' }] },
      { id: 'taken', role: 'user', parts: [] },
    ] as UpsertInput[];
    expect(await code(fx.chat.messages.saveMany(a.user, a.id, list))).toBe('conflict');
    expect(await snapshot(a.id)).toEqual(before);
  });
});

describe('one round trip', () => {
  it('saveMany of a history and a new reply, and upsert, each send one statement (chatdb_save_messages)', async () => {
    const { user, id } = await newSession();
    const sent: string[] = [];
    const counting = {
      ...fx.db,
      query: <R>(text: string, params?: readonly unknown[]) => {
        sent.push(text);
        return fx.db.query<R>(text, params);
      },
      queryAsIs: <R>(text: string, params?: readonly unknown[]) => {
        sent.push(text);
        return fx.db.queryAsIs ? fx.db.queryAsIs<R>(text, params) : fx.db.query<R>(text, params);
      },
      exec: (text: string) => {
        sent.push(text);
        return fx.db.exec(text);
      },
      transaction: <T>(fn: (tx: Queryable) => Promise<T>) => {
        sent.push('a transaction');
        return fx.db.transaction(fn);
      },
    };
    const chat = createChatDb(counting, { logger: () => undefined });
    const text = (t: string): MessagePart[] => [{ type: 'text', text: t }];
    const first = await chat.messages.saveMany(user, id, [
      { id: 'u1', role: 'user', parts: text('hi') },
      { id: 'a1', role: 'assistant', parts: text('hello') },
    ]);
    expect(first.map((r) => [r.message.id, r.created])).toEqual([
      ['u1', true],
      ['a1', true],
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/chatdb_save_messages/);
    const again = await chat.messages.saveMany(user, id, [
      { id: 'u1', role: 'user', parts: text('hi') },
      { id: 'a1', role: 'assistant', parts: text('hello') },
      { id: 'u2', role: 'user', parts: text('more') },
    ]);
    expect(again.map((r) => r.created)).toEqual([false, false, true]);
    await chat.messages.upsert(user, id, { id: 'a2', role: 'assistant', parts: text('sure') });
    expect(sent).toHaveLength(3);
    expect((await fx.chat.messages.list(user, id)).data.map((m) => [m.id, m.parentId])).toEqual([
      ['u1', null],
      ['a1', 'u1'],
      ['u2', 'a1'],
      ['a2', 'u2'],
    ]);
  });

  it('what a save returns is what a read gives afterwards: unchanged, replaced, new, first-message parents', async () => {
    const { user, id } = await newSession();
    const text = (t: string): MessagePart[] => [{ type: 'text', text: t }];
    const source = (n: number): MessagePart => ({
      type: 'source-url',
      sourceId: `s${n}`,
      url: `https://docs.example.com/${n}`,
    });
    // Each save's messages end at the leaf, so all of them are on the active path right after it.
    const same = async (saved: UpsertResult[]) => {
      const path = (await fx.chat.messages.list(user, id, { limit: 100 })).data;
      for (const r of saved) expect(r.message).toEqual(path.find((p) => p.id === r.message.id));
      return saved;
    };
    // Two appended messages: citations given beside the content, not derived from parts.
    const { message: q0 } = await fx.chat.messages.append(user, id, { role: 'user', content: 'q0' });
    const { message: a0 } = await fx.chat.messages.append(user, id, {
      role: 'assistant',
      content: 'a0',
      citations: [{ documentId: 'doc-a', chunkId: 'c1', score: 0.5, excerpt: 'x', metadata: { k: 1 } }],
    });
    const first = await same(
      await fx.chat.messages.saveMany(user, id, [
        // Unchanged (its stored citations come back), then the same parts with new metadata
        // (replaced; citations kept), then two new ones, the reply with two sources.
        { id: q0.id, role: 'user', parts: q0.parts },
        { id: a0.id, role: 'assistant', parts: a0.parts, metadata: { edited: true } },
        { id: 'u1', role: 'user', parts: text('q1') },
        { id: 'a1', role: 'assistant', parts: [...text('a1'), source(1), source(2)] },
      ]),
    );
    expect(first.map((r) => [r.message.parentId, r.created, r.message.citations.length])).toEqual([
      [null, false, 0],
      [q0.id, false, 1],
      [a0.id, true, 0],
      ['u1', true, 2],
    ]);
    expect(first[1]?.message.updatedAt.getTime()).toBeGreaterThanOrEqual(a0.updatedAt.getTime());
    // upsert: a new message under the leaf.
    const [u2] = await same([
      await fx.chat.messages.upsert(user, id, { id: 'u2', role: 'user', parts: text('q2') }),
    ]);
    expect(u2?.message.parentId).toBe('a1');
    // A path starting mid-conversation: the stored first message's parent comes from the store,
    // its stored citation with it; a1's parts change (its citations replaced by the new source's).
    const mid = await same(
      await fx.chat.messages.saveMany(user, id, [
        { id: a0.id, role: 'assistant', parts: a0.parts, metadata: { edited: true } },
        { id: 'u1', role: 'user', parts: text('q1') },
        { id: 'a1', role: 'assistant', parts: [...text('a1, again'), source(3)] },
        { id: 'u3', role: 'user', parts: text('q3') },
      ]),
    );
    expect(mid.map((r) => [r.message.parentId, r.created])).toEqual([
      [q0.id, false],
      [a0.id, false],
      ['u1', false],
      ['a1', true],
    ]);
    expect(mid[0]?.message.citations.map((c) => c.documentId)).toEqual(['doc-a']);
    expect(mid[2]?.message.citations.map((c) => c.documentId)).toEqual(['https://docs.example.com/3']);
    // A given parent for a new first message (a branch from a1).
    const branch = await same(
      await fx.chat.messages.saveMany(user, id, [{ id: 'u4', role: 'user', parts: text('q4') }], {
        parentId: 'a1',
      }),
    );
    expect(branch[0]?.message.parentId).toBe('a1');
  });

  // PGlite's clock counts milliseconds, so only Postgres can tell a time returned unrounded.
  it('chatdb_save_messages returns a new row exactly as stored, to the microsecond (SQL text of both)', async () => {
    const { user, id } = await newSession();
    const cite = {
      citation_index: 1,
      document_id: 'd',
      chunk_id: 'c',
      score: 0.25,
      excerpt: 'e',
      metadata: { a: 1 },
    };
    // The parameters the library sends (saveParams), with every column and a citation set.
    const msg = (clientId: string, citations: NormalizedCitation[]) => ({
      ...checkUpsert(
        {
          id: clientId,
          role: 'assistant',
          parts: [{ type: 'text', text: clientId }],
          metadata: { k: [1, 'x'] },
          usage: { model: 'm', inputTokens: 3, outputTokens: 4, latencyMs: 5 },
        },
        'message',
        true,
      ),
      citations,
    });
    const params = saveParams(id, user, [msg('n1', [cite]), msg('n2', [])], 'leaf', 0);
    const cols = `id::text AS id, seq, role, content, metadata::text AS metadata, created_at::text AS created_at,
      client_id, parts::text AS parts, status, updated_at::text AS updated_at, model, input_tokens, output_tokens,
      latency_ms`;
    const returned = await fx.db.query(
      `SELECT ${cols}, parent_client_id, citations::text AS citations
       FROM chatdb_save_messages($1::uuid, $2, $3::jsonb, $4, $5, $6, $7)`,
      params,
    );
    const stored = await fx.db.query(
      `SELECT ${cols}, (SELECT p.client_id FROM messages p WHERE p.id = m.parent_id) AS parent_client_id,
         coalesce((SELECT json_agg(${CITATION_JSON} ORDER BY c.citation_index)
           FROM message_citations c WHERE c.message_id = m.id), '[]'::json)::text AS citations
       FROM messages m WHERE m.session_id = $1 ORDER BY m.seq`,
      [id],
    );
    expect(returned.rows).toEqual(stored.rows);
    expect(stored.rows.map((r) => [r.client_id, r.parent_client_id])).toEqual([
      ['n1', null],
      ['n2', 'n1'],
    ]);
  });

  it("a save writes the session's row once however many messages it adds, and not at all when nothing changes", async () => {
    const { user, id } = await newSession();
    // Every write of the row, counted by a trigger for the length of this test.
    await fx.db.exec(`
      CREATE TABLE test_session_writes (session_id uuid NOT NULL);
      CREATE FUNCTION test_count_session_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO test_session_writes VALUES (NEW.id); RETURN NEW; END $$;
      CREATE TRIGGER test_count_session_write AFTER UPDATE ON chat_sessions
        FOR EACH ROW EXECUTE FUNCTION test_count_session_write();`);
    try {
      const writes = () => count(fx.db, 'test_session_writes', 'session_id = $1', [id]);
      const text = (t: string): MessagePart[] => [{ type: 'text', text: t }];
      const u1: UpsertInput = { id: 'u1', role: 'user', parts: text('hi') };
      const a1: UpsertInput = {
        id: 'a1',
        role: 'assistant',
        parts: text('hello'),
        usage: { inputTokens: 3, outputTokens: 5 },
      };
      const turn1 = [u1, a1];
      await fx.chat.messages.saveMany(user, id, turn1);
      expect(await writes()).toBe(1);
      // The same history again: nothing changes, nothing is written.
      await fx.chat.messages.saveMany(user, id, turn1);
      expect(await writes()).toBe(1);
      // Turn 2 with a changed usage on a1: still one write, with every counter right.
      const turn2: UpsertInput[] = [
        u1,
        { ...a1, usage: { inputTokens: 4, outputTokens: 6 } },
        { id: 'u2', role: 'user', parts: text('more') },
        { id: 'a2', role: 'assistant', parts: text('sure'), usage: { inputTokens: 10, outputTokens: 20 } },
      ];
      const saved = await fx.chat.messages.saveMany(user, id, turn2);
      expect(await writes()).toBe(2);
      expect(saved.map((r) => [r.message.id, r.message.seq, r.created])).toEqual([
        ['u1', 1, false],
        ['a1', 2, false],
        ['u2', 3, true],
        ['a2', 4, true],
      ]);
      const session = await fx.chat.sessions.get(user, id);
      expect(session).toMatchObject({ messageCount: 4, usage: { inputTokens: 14, outputTokens: 26 } });
      const row = await fx.db.query<{ leaf: string; last: Date; created: Date }>(
        `SELECT l.client_id AS leaf, s.last_message_at AS last, l.created_at AS created
         FROM chat_sessions s JOIN messages l ON l.id = s.leaf_message_id WHERE s.id = $1`,
        [id],
      );
      expect(row.rows[0]?.leaf).toBe('a2');
      expect(new Date(row.rows[0]?.last as Date).getTime()).toBe(
        new Date(row.rows[0]?.created as Date).getTime(),
      );
    } finally {
      await fx.db.exec(`DROP TRIGGER test_count_session_write ON chat_sessions;
        DROP FUNCTION test_count_session_write(); DROP TABLE test_session_writes;`);
    }
  });
});
