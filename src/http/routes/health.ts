import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ChatDb } from '../../store/chatdb.js';
import { problem, sendProblem } from '../errors.js';
import { noteFailure } from '../logging.js';
import { errors } from '../schemas.js';

const Status = Type.Object({ status: Type.Literal('ok') });

/**
 * GET /healthz (the process is up), GET /readyz (the database answers). Probes log only their
 * failures (route log level warn), so they do not drown the request log.
 */
export const healthRoutes =
  (chat: ChatDb): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/healthz',
      { schema: { tags: ['operations'], response: { 200: Status } }, logLevel: 'warn' },
      async () => ({ status: 'ok' as const }),
    );
    app.get(
      '/readyz',
      { schema: { tags: ['operations'], response: { 200: Status, ...errors(503) } }, logLevel: 'warn' },
      async (req, reply) => {
        try {
          await chat.db.query('SELECT 1');
          return { status: 'ok' as const };
        } catch (e) {
          noteFailure(req, { message: (e as Error).message });
          return sendProblem(reply, problem(503, 'the database is not reachable', 'db_unavailable'));
        }
      },
    );
  };
