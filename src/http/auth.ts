import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChatDb } from '../store/chatdb.js';
import type { User } from '../store/types.js';
import { problem, sendProblem } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user (set by `requireUser`). */
    user: User;
    /** The bearer token of the request (set by `requireUser`). */
    token: string;
  }
}

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]{1,512})$/i;

/**
 * An onRequest hook that resolves `Authorization: Bearer <token>` to an active user, or answers 401
 * before the body is read (an anonymous client never gets to send a body to a protected route).
 */
export const requireUser =
  (chat: ChatDb) =>
  async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const m = BEARER.exec(req.headers.authorization ?? '');
    const user = m?.[1] ? await chat.tokens.resolve(m[1]) : null;
    if (!m?.[1] || !user) {
      reply.header('www-authenticate', 'Bearer');
      return sendProblem(
        reply,
        problem(401, 'missing, unknown, expired or revoked bearer token', 'unauthorized'),
      );
    }
    req.user = user;
    req.token = m[1];
    return undefined;
  };
