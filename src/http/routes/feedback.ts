import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ChatDb } from '../../store/chatdb.js';
import { requireUser } from '../auth.js';
import { errors, NoContent, SessionParams } from '../schemas.js';
import { FeedbackBody, FeedbackListSchema, FeedbackSchema, feedbackJson } from '../schemas-feedback.js';
import { MessageParams } from '../schemas-messages.js';

const common = { tags: ['feedback'], security: [{ bearer: [] }] };

/** Ratings of answers: set or change, remove, and a session's list (after a reload). */
export const feedbackRoutes =
  (chat: ChatDb): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addHook('onRequest', requireUser(chat));
    app.put(
      '/chat/sessions/:id/messages/:message_id/feedback',
      {
        schema: {
          ...common,
          summary: 'rate an answer (up or down, comment, tags), or change its rating',
          description:
            'One rating per user and message, replaced as a whole. Assistant messages only: another ' +
            "role is 400; another user's session or message is 404; either way nothing changes.",
          params: MessageParams,
          body: FeedbackBody,
          response: { 200: FeedbackSchema, ...errors(400, 401, 404, 413, 415) },
        },
      },
      async (req) => {
        const b = req.body;
        const f = await chat.feedback.set(req.user.id, req.params.id, req.params.message_id, {
          rating: b.rating,
          ...(b.comment === undefined ? {} : { comment: b.comment }),
          ...(b.tags === undefined ? {} : { tags: b.tags }),
        });
        return feedbackJson(f);
      },
    );
    app.delete(
      '/chat/sessions/:id/messages/:message_id/feedback',
      {
        schema: {
          ...common,
          summary: "remove the caller's rating of an answer (204 also when there was none)",
          params: MessageParams,
          response: { 204: NoContent, ...errors(400, 401, 404) },
        },
      },
      async (req, reply) => {
        await chat.feedback.remove(req.user.id, req.params.id, req.params.message_id);
        return reply.code(204).send(null);
      },
    );
    app.get(
      '/chat/sessions/:id/feedback',
      {
        schema: {
          ...common,
          summary: "the session's ratings (every branch), in message order",
          params: SessionParams,
          response: { 200: FeedbackListSchema, ...errors(401, 404) },
        },
      },
      async (req) => ({
        data: (await chat.feedback.list(req.user.id, req.params.id)).map(feedbackJson),
      }),
    );
  };
