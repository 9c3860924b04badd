import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_LOGIN_LIMIT } from '../../defaults.js';
import type { ChatDb } from '../../store/chatdb.js';
import { requireUser } from '../auth.js';
import { problem, sendProblem } from '../errors.js';
import { overLimit } from '../rate-limit.js';
import { errors, NoContent, TokenRequest, TokenResponse } from '../schemas.js';

export interface LoginLimit {
  /** Attempts per window per client address, and per email. Default 10 and 5. */
  readonly perAddress: number;
  readonly perEmail: number;
  /** Window in ms. Default 60 000. */
  readonly windowMs: number;
}

export { DEFAULT_LOGIN_LIMIT };

/** The email a login names (JSON `email` or the form's `username`), as its limit counts it. */
const loginEmail = (req: FastifyRequest): string | undefined => {
  const b = req.body as { email?: string; username?: string } | undefined;
  return (b?.email ?? b?.username)?.toLowerCase();
};

/** POST /auth/token (JSON or the OAuth2 password form), POST /auth/logout. */
export const authRoutes =
  (chat: ChatDb, limit: LoginLimit): FastifyPluginAsyncTypebox =>
  async (app) => {
    // Two @fastify/rate-limit counters (in memory, per process): one per client address (req.ip,
    // which honours trustProxy), one per email; they run after validation, as the email is in the body.
    const perAddress = app.createRateLimit({ max: limit.perAddress, timeWindow: limit.windowMs });
    const perEmail = app.createRateLimit({
      max: limit.perEmail,
      timeWindow: limit.windowMs,
      keyGenerator: (req) => `email:${loginEmail(req) ?? ''}`,
      // No email: the handler answers 400, and those requests must not share one bucket.
      allowList: (req) => loginEmail(req) === undefined,
    });
    const loginLimit = async (req: FastifyRequest, reply: FastifyReply) =>
      (await overLimit(perAddress, req, reply, 'too many login attempts from this address')) ??
      overLimit(perEmail, req, reply, 'too many login attempts for this email');
    app.post(
      '/auth/token',
      {
        preHandler: loginLimit,
        schema: {
          tags: ['auth'],
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          body: TokenRequest,
          response: { 200: TokenResponse, ...errors(400, 401, 413, 415, 429) },
        },
      },
      async (req, reply) => {
        const email = req.body.email ?? req.body.username;
        if (email === undefined) {
          return sendProblem(
            reply,
            problem(400, 'email (or username) is required', 'invalid_input', [
              { path: 'body.email', message: 'is required' },
            ]),
          );
        }
        const user = await chat.users.authenticate({ email, password: req.body.password });
        if (!user) {
          reply.header('www-authenticate', 'Bearer');
          return sendProblem(reply, problem(401, 'wrong email or password', 'invalid_credentials'));
        }
        const t = await chat.tokens.issue(user.id);
        return { access_token: t.token, token_type: 'bearer' as const, expires_in: t.expiresIn };
      },
    );
    app.post(
      '/auth/logout',
      {
        onRequest: requireUser(chat),
        schema: { tags: ['auth'], security: [{ bearer: [] }], response: { 204: NoContent, ...errors(401) } },
      },
      async (req, reply) => {
        await chat.tokens.revoke(req.token);
        return reply.code(204).send(null);
      },
    );
  };
