import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DEFAULT_SHARE_LIMIT } from '../../defaults.js';
import { ChatDbError, isChatDbError } from '../../errors.js';
import type { ChatDb } from '../../store/chatdb.js';
import { requireUser } from '../auth.js';
import { perAddressLimit } from '../rate-limit.js';
import { errors, NoContent, SessionParams } from '../schemas.js';
import {
  CreatedShareSchema,
  createdShareJson,
  ShareBody,
  SharedConversationSchema,
  SharedParams,
  ShareListSchema,
  ShareParams,
  sharedJson,
  shareJson,
} from '../schemas-shares.js';

export interface ShareLimit {
  /** Reads of `GET /shared/{token}` per window per client address. Default 60. */
  readonly perAddress: number;
  /** Window in ms. Default 60 000. */
  readonly windowMs: number;
}

export { DEFAULT_SHARE_LIMIT };

const owner = { tags: ['shares'], security: [{ bearer: [] }] };

/** The library's option names as the body's fields (`expiresAt` -> `expires_at`) in an error. */
const BODY_FIELDS: Record<string, string> = { expiresAt: 'expires_at', upToMessageId: 'up_to_message_id' };
function asBodyError(e: unknown): unknown {
  if (!isChatDbError(e, 'invalid_input')) return e;
  const field = (path: string) => BODY_FIELDS[path] ?? path;
  return new ChatDbError(
    'invalid_input',
    e.message.replace(/^(\w+):/, (_, f: string) => `${field(f)}:`),
    {
      cause: e,
      details: e.details.map((d) => ({ ...d, path: field(d.path) })),
    },
  );
}

/** The owner's routes: make, list and revoke a session's share links (bearer token). */
export const sharesRoutes =
  (chat: ChatDb): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addHook('onRequest', requireUser(chat));
    app.post(
      '/chat/sessions/:id/shares',
      {
        schema: {
          ...owner,
          summary: 'make a read-only share link to the session (the token is shown once)',
          description:
            'Optionally up to one message of the session and optionally expiring. Only the SHA-256 ' +
            "of the token is stored. Another user's session or a message of another session is 404; " +
            'an expires_at in the past is 400; either way nothing is written.',
          params: SessionParams,
          body: ShareBody,
          response: { 201: CreatedShareSchema, ...errors(400, 401, 404, 413, 415) },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const share = await chat.shares
          .create(req.user.id, req.params.id, {
            upToMessageId: b.up_to_message_id ?? null,
            expiresAt: b.expires_at === undefined || b.expires_at === null ? null : new Date(b.expires_at),
          })
          .catch((e: unknown) => {
            throw asBodyError(e);
          });
        return reply.code(201).send(createdShareJson(share));
      },
    );
    app.get(
      '/chat/sessions/:id/shares',
      {
        schema: {
          ...owner,
          summary: "the session's share links, without tokens",
          params: SessionParams,
          response: { 200: ShareListSchema, ...errors(401, 404) },
        },
      },
      async (req) => ({ data: (await chat.shares.list(req.user.id, req.params.id)).map(shareJson) }),
    );
    app.delete(
      '/chat/sessions/:id/shares/:share_id',
      {
        schema: {
          ...owner,
          summary: 'revoke a share link: it answers 404 at once',
          description: 'A link revoked already, or not of this session, is 404.',
          params: ShareParams,
          response: { 204: NoContent, ...errors(401, 404) },
        },
      },
      async (req, reply) => {
        await chat.shares.revoke(req.user.id, req.params.id, req.params.share_id);
        return reply.code(204).send(null);
      },
    );
  };

/**
 * Headers of every answer of the public read, 404s included: nothing may keep a copy (a revoked
 * link must stop at once, so no cache, shared or private), the token in the URL must not leave in
 * a Referer, and a shared conversation is not for search engines.
 */
export const SHARED_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'x-content-type-options': 'nosniff',
} as const;

/** The public read `GET /shared/{token}`: no authentication, limited per client address. */
export const sharedRoutes =
  (chat: ChatDb, limit: ShareLimit = DEFAULT_SHARE_LIMIT): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addHook('onRequest', async (_req, reply) => {
      reply.headers(SHARED_HEADERS);
    });
    const shareLimit = perAddressLimit(app, limit, 'reads');
    app.get(
      '/shared/:token',
      {
        onRequest: shareLimit,
        schema: {
          tags: ['shares'],
          summary: 'read a shared conversation (no authentication)',
          description:
            "The session's title and the shared path's messages (id, role, parts, content, citations, " +
            'created_at), oldest first; system messages, metadata, owner and session ids are never ' +
            'shown. An unknown, revoked or expired token is 404. Cache-Control: no-store; ' +
            'Referrer-Policy: no-referrer.',
          params: SharedParams,
          response: { 200: SharedConversationSchema, ...errors(404, 429) },
        },
      },
      async (req) => sharedJson(await chat.shares.read(req.params.token)),
    );
  };
