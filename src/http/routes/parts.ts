import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ChatDb } from '../../store/chatdb.js';
import { requireUser } from '../auth.js';
import { messageJson } from '../mapping.js';
import { errors } from '../schemas.js';
import { MessageParams, MessageSchema, SiblingsSchema, UpsertBody } from '../schemas-messages.js';
import { usageInput } from '../schemas-usage.js';

const common = { tags: ['messages'], security: [{ bearer: [] }] };

/** Messages by their client id (the AI SDK's): upsert with parts, and a message's siblings. */
export const partsRoutes =
  (chat: ChatDb): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addHook('onRequest', requireUser(chat));
    app.put(
      '/chat/sessions/:id/messages/:message_id',
      {
        schema: {
          ...common,
          summary: 'save a message by its id (create or replace), as the AI SDK keeps it',
          description:
            "A new id is created (201) with the session's leaf as its parent unless parent_id says " +
            'otherwise; an id of this session is replaced (200: parts, metadata, status). The saved ' +
            "message becomes the session's leaf. An id used in another session is 409, one of another " +
            "user's 404; either way nothing changes. One transaction.",
          params: MessageParams,
          body: UpsertBody,
          response: {
            200: { ...MessageSchema, description: 'the message, replaced' },
            201: { ...MessageSchema, description: 'the message, created' },
            ...errors(400, 401, 404, 409, 413, 415),
          },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const r = await chat.messages.upsert(req.user.id, req.params.id, {
          id: req.params.message_id,
          role: b.role,
          parts: b.parts as never,
          ...(b.metadata === undefined ? {} : { metadata: b.metadata as never }),
          ...(b.status === undefined ? {} : { status: b.status }),
          ...(b.parent_id === undefined ? {} : { parentId: b.parent_id }),
          ...usageInput(b.usage),
        });
        return reply.code(r.created ? 201 : 200).send(messageJson(r.message));
      },
    );
    app.get(
      '/chat/sessions/:id/messages/:message_id/siblings',
      {
        schema: {
          ...common,
          summary: 'a message\'s siblings (same parent), for "2 / 3"',
          params: MessageParams,
          response: { 200: SiblingsSchema, ...errors(400, 401, 404) },
        },
      },
      async (req) => {
        const r = await chat.messages.siblings(req.user.id, req.params.id, req.params.message_id);
        return { data: r.data.map(messageJson), index: r.index };
      },
    );
  };
