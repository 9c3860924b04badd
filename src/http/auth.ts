import type { FastifyReply, FastifyRequest } from 'fastify';
import { isTokenShaped } from '../auth/token.js';
import type { ChatDb } from '../store/chatdb.js';
import type { User } from '../store/types.js';
import { type Problem, problem, sendProblem } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user (set by `requireUser`). */
    user: User;
    /** The bearer token of the request (set by `requireUser` and `deferUser`). */
    token: string;
    /** Set by `deferUser`: the token is checked by the handler's own statement, not yet here. */
    authDeferred?: boolean;
  }
}

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]{1,512})$/i;

/**
 * An onRequest hook that resolves `Authorization: Bearer <token>` to an active user, or answers 401
 * before the body is read (an anonymous client never gets to send a body to a protected route).
 */
const UNAUTHORIZED: Problem = problem(
  401,
  'missing, unknown, expired or revoked bearer token',
  'unauthorized',
);

/** Answers 401 with `WWW-Authenticate: Bearer`. */
export const unauthorized = (reply: FastifyReply): FastifyReply =>
  sendProblem(reply.header('www-authenticate', 'Bearer'), UNAUTHORIZED);

export const requireUser =
  (chat: ChatDb) =>
  async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const m = BEARER.exec(req.headers.authorization ?? '');
    const user = m?.[1] ? await chat.tokens.resolve(m[1]) : null;
    if (!m?.[1] || !user) return unauthorized(reply);
    req.user = user;
    req.token = m[1];
    return undefined;
  };

/**
 * For a route whose handler checks the token inside its own statement (one round trip instead of
 * two: `messages.appendAs`): an onRequest hook that answers 401 at once when there is no
 * token-shaped bearer token, and otherwise leaves the check to the handler. Pair it with
 * `settleDeferredUser` so that nothing but a 401 reaches a client whose token is not valid.
 */
export const deferUser = async (
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> => {
  const token = BEARER.exec(req.headers.authorization ?? '')?.[1];
  if (!isTokenShaped(token)) return unauthorized(reply);
  req.token = token;
  req.authDeferred = true;
  return undefined;
};

/**
 * An onSend hook for `deferUser` routes: a 4xx answered before the handler's statement checked the
 * token (a body too large, not JSON, invalid) becomes a 401 when the token is not valid, as on
 * every other route, where the token is checked before the body is read. 401s, 5xx and successes
 * pass as they are.
 */
export const settleDeferredUser =
  (chat: ChatDb) =>
  async (req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const status = reply.statusCode;
    if (!req.authDeferred || status < 400 || status >= 500 || status === 401) return payload;
    req.authDeferred = false;
    const user = await chat.tokens.resolve(req.token);
    if (user) return payload;
    reply.code(401).type('application/problem+json').header('www-authenticate', 'Bearer');
    return JSON.stringify(UNAUTHORIZED);
  };
