import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ChatDb } from '../../store/chatdb.js';
import { requireUser } from '../auth.js';
import { userJson } from '../mapping.js';
import { perAddressLimit } from '../rate-limit.js';
import { Credentials, errors, UserSchema } from '../schemas.js';
import { GuestTokenResponse } from '../schemas-guests.js';
import type { RegisterLimit } from './users.js';

/**
 * POST /auth/guest (a guest account and its token) and POST /users/me/upgrade (the guest becomes a
 * registered user, same id). Both are limited per client address as registrations are, each in a
 * counter of its own: creating a guest is an unauthenticated write, and an upgrade's answer tells
 * whether an email is registered (409), as POST /users does.
 */
export const guestsRoutes =
  (chat: ChatDb, limit: RegisterLimit): FastifyPluginAsyncTypebox =>
  async (app) => {
    const limiter = (what: string) => perAddressLimit(app, limit, what);
    app.post(
      '/auth/guest',
      {
        preHandler: limiter('guest accounts'),
        schema: {
          tags: ['auth'],
          summary: 'create a guest account and its bearer token',
          description:
            'A guest has no email and no password: the token is its only credential (keep it; past ' +
            'expires_in the account cannot be used again and is purged once idle). Takes no body (or {}).',
          response: { 201: GuestTokenResponse, ...errors(400, 413, 415, 429) },
        },
      },
      async (_req, reply) => {
        const user = await chat.users.createGuest();
        const t = await chat.tokens.issue(user.id);
        return reply.code(201).send({
          access_token: t.token,
          token_type: 'bearer' as const,
          expires_in: t.expiresIn,
          user: { id: user.id, guest: true as const },
        });
      },
    );
    app.post(
      '/users/me/upgrade',
      {
        onRequest: requireUser(chat),
        preHandler: limiter('upgrades'),
        schema: {
          tags: ['users'],
          security: [{ bearer: [] }],
          summary: 'make the guest a registered user (email + password), keeping its id and sessions',
          description:
            'One statement: the email, the password hash and guest=false are set together, or nothing is. ' +
            'The token used stays valid (same user). A registered user is 409; a taken email is 409 ' +
            '(urn:chatdb:problem:email_taken, as POST /users).',
          body: Credentials,
          response: { 200: UserSchema, ...errors(400, 401, 409, 413, 415, 429) },
        },
      },
      async (req) => userJson(await chat.users.upgrade(req.user.id, req.body)),
    );
  };
