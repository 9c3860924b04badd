import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DEFAULT_REGISTER_LIMIT } from '../../defaults.js';
import type { ChatDb } from '../../store/chatdb.js';
import { requireUser } from '../auth.js';
import { profileJson, userJson } from '../mapping.js';
import { perAddressLimit } from '../rate-limit.js';
import {
  Credentials,
  errors,
  MeSchema,
  NoContent,
  ProfileInput,
  ProfileSchema,
  UserSchema,
} from '../schemas.js';

export interface RegisterLimit {
  /** Registrations per window per client address. Default 10. */
  readonly perAddress: number;
  /** Window in ms. Default 60 000. */
  readonly windowMs: number;
}

export { DEFAULT_REGISTER_LIMIT };

/** POST /users (limited per client address), GET /users/me, PUT /users/me/profile, DELETE /users/me. */
export const usersRoutes =
  (chat: ChatDb, limit: RegisterLimit = DEFAULT_REGISTER_LIMIT): FastifyPluginAsyncTypebox =>
  async (app) => {
    const auth = requireUser(chat);
    // Every answer of POST /users tells whether an email is registered (409 or 201), so attempts
    // are counted per client address (req.ip, which honours trustProxy), as logins are.
    const registerLimit = perAddressLimit(app, limit, 'registrations');
    app.post(
      '/users',
      {
        preHandler: registerLimit,
        schema: {
          tags: ['users'],
          body: Credentials,
          response: { 201: UserSchema, ...errors(400, 409, 413, 415, 429) },
        },
      },
      async (req, reply) => reply.code(201).send(userJson(await chat.users.register(req.body))),
    );
    app.get(
      '/users/me',
      {
        onRequest: auth,
        schema: { tags: ['users'], security: [{ bearer: [] }], response: { 200: MeSchema, ...errors(401) } },
      },
      async (req) => {
        const profile = await chat.profiles.get(req.user.id);
        return { ...userJson(req.user), profile: profile ? profileJson(profile) : null };
      },
    );
    app.put(
      '/users/me/profile',
      {
        onRequest: auth,
        schema: {
          tags: ['users'],
          security: [{ bearer: [] }],
          body: ProfileInput,
          response: { 200: ProfileSchema, ...errors(400, 401, 413, 415) },
        },
      },
      async (req) => {
        const b = req.body;
        const p = await chat.profiles.upsert(req.user.id, {
          ...(b.software_background === undefined ? {} : { softwareBackground: b.software_background }),
          ...(b.hardware_background === undefined ? {} : { hardwareBackground: b.hardware_background }),
          ...(b.experience_level === undefined ? {} : { experienceLevel: b.experience_level }),
          ...(b.preferred_language === undefined ? {} : { preferredLanguage: b.preferred_language }),
          ...(b.metadata === undefined ? {} : { metadata: b.metadata as never }),
        });
        return profileJson(p);
      },
    );
    app.delete(
      '/users/me',
      {
        onRequest: auth,
        schema: { tags: ['users'], security: [{ bearer: [] }], response: { 204: NoContent, ...errors(401) } },
      },
      async (req, reply) => {
        await chat.users.delete(req.user.id);
        return reply.code(204).send(null);
      },
    );
  };
