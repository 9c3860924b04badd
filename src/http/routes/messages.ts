import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ChatDb } from '../../store/chatdb.js';
import { deferUser, requireUser, settleDeferredUser, unauthorized } from '../auth.js';
import { messageJson } from '../mapping.js';
import { errors, SessionParams } from '../schemas.js';
import {
  AppendHeaders,
  MessageInput,
  MessageList,
  MessageListQuery,
  MessageSchema,
  SearchQuery,
  SearchResult,
} from '../schemas-messages.js';
import { usageInput } from '../schemas-usage.js';

const common = { tags: ['messages'], security: [{ bearer: [] }] };

/**
 * Appends (idempotent with Idempotency-Key), pages of a session's messages, search. The append
 * checks its bearer token inside its own statement (`messages.appendAs`: one round trip); the
 * other routes resolve it first.
 */
export const messagesRoutes =
  (chat: ChatDb): FastifyPluginAsyncTypebox =>
  async (app) => {
    const user = requireUser(chat);
    app.post(
      '/chat/sessions/:id/messages',
      {
        onRequest: deferUser,
        onSend: settleDeferredUser(chat),
        schema: {
          ...common,
          params: SessionParams,
          headers: AppendHeaders,
          body: {
            ...MessageInput,
            description:
              'The whole body is capped by CHATDB_BODY_LIMIT (default 1 MiB, 413 above it), so over HTTP a ' +
              "message's content is limited to a little under that, well below the library's 4 MiB: raise " +
              'CHATDB_BODY_LIMIT to send longer messages.',
          },
          response: {
            200: {
              ...MessageSchema,
              description: 'an Idempotency-Key retry: the message the first request created',
            },
            201: { ...MessageSchema, description: 'the message, created' },
            ...errors(400, 401, 404, 409, 413, 415),
          },
        },
      },
      async (req, reply) => {
        const key = req.headers['idempotency-key'];
        const b = req.body;
        const r = await chat.messages.appendAs(req.token, req.params.id, {
          role: b.role,
          content: b.content,
          ...(b.selected_text === undefined ? {} : { selectedText: b.selected_text }),
          ...(b.metadata === undefined ? {} : { metadata: b.metadata as never }),
          ...(b.citations === undefined
            ? {}
            : {
                citations: b.citations.map((c) => ({
                  documentId: c.document_id,
                  ...(c.chunk_id === undefined ? {} : { chunkId: c.chunk_id }),
                  ...(c.score === undefined ? {} : { score: c.score }),
                  ...(c.citation_index === undefined ? {} : { citationIndex: c.citation_index }),
                  ...(c.excerpt === undefined ? {} : { excerpt: c.excerpt }),
                  ...(c.metadata === undefined ? {} : { metadata: c.metadata as never }),
                })),
              }),
          ...(key === undefined ? {} : { idempotencyKey: key }),
          ...usageInput(b.usage),
        });
        // Checked by the statement: no row for a token that is not valid, and nothing written.
        req.authDeferred = false;
        if (r === null) return unauthorized(reply);
        req.user = r.user;
        return reply.code(r.created ? 201 : 200).send(messageJson(r.message));
      },
    );
    app.get(
      '/chat/sessions/:id/messages',
      {
        onRequest: user,
        schema: {
          ...common,
          params: SessionParams,
          querystring: MessageListQuery,
          response: { 200: MessageList, ...errors(400, 401, 404) },
        },
      },
      async (req) => {
        const q = req.query;
        const page = await chat.messages.list(req.user.id, req.params.id, {
          ...(q.limit === undefined ? {} : { limit: q.limit }),
          ...(q.after_seq === undefined ? {} : { afterSeq: q.after_seq }),
          ...(q.before_seq === undefined ? {} : { beforeSeq: q.before_seq }),
        });
        return { data: page.data.map(messageJson), has_more: page.hasMore };
      },
    );
    app.get(
      '/chat/search',
      {
        onRequest: user,
        schema: { ...common, querystring: SearchQuery, response: { 200: SearchResult, ...errors(400, 401) } },
      },
      async (req) => {
        const hits = await chat.messages.search(req.user.id, req.query.q, { limit: req.query.limit ?? 20 });
        return {
          data: hits.map((h) => ({ session_id: h.sessionId, message: messageJson(h.message), rank: h.rank })),
        };
      },
    );
  };
