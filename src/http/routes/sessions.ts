import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ChatDb } from '../../store/chatdb.js';
import * as v from '../../store/validate.js';
import { requireUser } from '../auth.js';
import { sessionJson } from '../mapping.js';
import {
  errors,
  NoContent,
  SessionInput,
  SessionList,
  SessionListQuery,
  SessionParams,
  SessionPatchInput,
  SessionSchema,
} from '../schemas.js';
import { SessionDeleteQuery } from '../schemas-lifecycle.js';

const common = { tags: ['sessions'], security: [{ bearer: [] }] };

/**
 * /chat/sessions: create, list (keyset; the archive and the trash), get, patch (metadata merged,
 * branch, stream id, pinned, archived), delete (to the trash, or permanent), restore.
 */
export const sessionsRoutes =
  (chat: ChatDb): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addHook('onRequest', requireUser(chat));
    app.post(
      '/chat/sessions',
      {
        schema: {
          ...common,
          body: SessionInput,
          response: { 201: SessionSchema, ...errors(400, 401, 413, 415) },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const s = await chat.sessions.create(req.user.id, {
          ...(b.title === undefined ? {} : { title: b.title }),
          ...(b.metadata === undefined ? {} : { metadata: b.metadata as never }),
        });
        return reply.code(201).send(sessionJson(s));
      },
    );
    app.get(
      '/chat/sessions',
      {
        schema: {
          ...common,
          querystring: SessionListQuery,
          response: { 200: SessionList, ...errors(400, 401) },
        },
      },
      async (req) => {
        const q = req.query;
        const page = await chat.sessions.list(req.user.id, {
          ...(q.limit === undefined ? {} : { limit: q.limit }),
          cursor: q.cursor ?? null,
          ...(q.updated_since === undefined ? {} : { updatedSince: new Date(q.updated_since) }),
          ...(q.archived === undefined ? {} : { archived: q.archived }),
          ...(q.trashed === undefined ? {} : { trashed: q.trashed }),
        });
        return {
          data: page.data.map(sessionJson),
          next_cursor: page.nextCursor,
          snapshot_at: page.snapshotAt ? page.snapshotAt.toISOString() : null,
        };
      },
    );
    app.get(
      '/chat/sessions/:id',
      { schema: { ...common, params: SessionParams, response: { 200: SessionSchema, ...errors(401, 404) } } },
      async (req) => sessionJson(await chat.sessions.get(req.user.id, req.params.id)),
    );
    app.patch(
      '/chat/sessions/:id',
      {
        schema: {
          ...common,
          params: SessionParams,
          body: SessionPatchInput,
          response: { 200: SessionSchema, ...errors(400, 401, 404, 413, 415) },
        },
      },
      async (req) => {
        const b = req.body;
        const { id } = req.params;
        const user = req.user.id;
        // Three library calls: every input is checked first (the schema cannot see NUL, lone
        // surrogates or metadata depth), then the branch switch (the one that can be 404) runs, so
        // a refused PATCH writes nothing.
        if (b.metadata !== undefined) v.metadata('metadata', b.metadata);
        if (b.title !== undefined) v.optionalText('title', b.title, v.LIMITS.title);
        if (typeof b.active_stream_id === 'string') v.text('active_stream_id', b.active_stream_id, 255, 1);
        if (b.leaf_message_id !== undefined) await chat.messages.switchBranch(user, id, b.leaf_message_id);
        if (b.active_stream_id !== undefined)
          await chat.messages.setActiveStream(user, id, b.active_stream_id);
        const s = await chat.sessions.update(user, id, {
          ...(b.title === undefined ? {} : { title: b.title }),
          ...(b.metadata === undefined ? {} : { metadata: b.metadata as never }),
          ...(b.pinned === undefined ? {} : { pinned: b.pinned }),
          ...(b.archived === undefined ? {} : { archived: b.archived }),
        });
        return sessionJson(s);
      },
    );
    app.delete(
      '/chat/sessions/:id',
      {
        schema: {
          ...common,
          summary: 'move a session to the trash (or, with permanent=true, delete it at once)',
          description:
            'A trashed session is 404 to every other route until it is restored (POST …/restore, within ' +
            'the retention period) or purged (chatdb purge). permanent=true deletes it with its messages, ' +
            'trashed or not.',
          params: SessionParams,
          querystring: SessionDeleteQuery,
          response: { 204: NoContent, ...errors(400, 401, 404) },
        },
      },
      async (req, reply) => {
        if (req.query.permanent === true) await chat.sessions.delete(req.user.id, req.params.id);
        else await chat.sessions.trash(req.user.id, req.params.id);
        return reply.code(204).send(null);
      },
    );
    app.post(
      '/chat/sessions/:id/restore',
      {
        schema: {
          ...common,
          summary: 'take a session out of the trash',
          description:
            'Within the retention period (CHATDB_TRASH_RETENTION_DAYS, default 30 days) of its trashing; ' +
            'a session that is not in the trash, or was trashed longer ago, is 404.',
          params: SessionParams,
          response: { 200: SessionSchema, ...errors(401, 404) },
        },
      },
      async (req) => sessionJson(await chat.sessions.restore(req.user.id, req.params.id)),
    );
  };
