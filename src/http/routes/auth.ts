import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ChatDb } from '../../store/chatdb.js';
import { requireUser } from '../auth.js';
import { problem, sendProblem } from '../errors.js';
import { errors, TokenRequest, TokenResponse } from '../schemas.js';

export interface LoginLimit {
  /** Attempts per window per client address, and per email. Default 10 and 5. */
  readonly perAddress: number;
  readonly perEmail: number;
  /** Window in ms. Default 60 000. */
  readonly windowMs: number;
}

export const DEFAULT_LOGIN_LIMIT: LoginLimit = { perAddress: 10, perEmail: 5, windowMs: 60_000 };

/** A fixed-window counter per key, in memory (one process; tokens themselves live in the database). */
function windowCounter(max: number, windowMs: number) {
  const hits = new Map<string, { n: number; resetAt: number }>();
  return (key: string, now = Date.now()): number => {
    let h = hits.get(key);
    if (!h || h.resetAt <= now) {
      if (hits.size > 100_000) for (const [k, v] of hits) if (v.resetAt <= now) hits.delete(k);
      h = { n: 0, resetAt: now + windowMs };
      hits.set(key, h);
    }
    h.n++;
    return h.n > max ? Math.ceil((h.resetAt - now) / 1000) : 0;
  };
}

/** POST /auth/token (JSON or the OAuth2 password form), POST /auth/logout. */
export const authRoutes =
  (chat: ChatDb, limit: LoginLimit): FastifyPluginAsyncTypebox =>
  async (app) => {
    const perEmail = windowCounter(limit.perEmail, limit.windowMs);
    app.post(
      '/auth/token',
      {
        config: { rateLimit: { max: limit.perAddress, timeWindow: limit.windowMs } },
        schema: {
          tags: ['auth'],
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          body: TokenRequest,
          response: { 200: TokenResponse, ...errors(400, 401, 429) },
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
        const retry = perEmail(email.toLowerCase());
        if (retry > 0) {
          reply.header('retry-after', String(retry));
          return sendProblem(reply, problem(429, 'too many login attempts: try again later', 'rate_limited'));
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
        preHandler: requireUser(chat),
        schema: { tags: ['auth'], security: [{ bearer: [] }], response: errors(401) },
      },
      async (req, reply) => {
        await chat.tokens.revoke(req.token);
        return reply.code(204).send();
      },
    );
  };
