import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ChatDb } from '../../store/chatdb.js';
import { problem, sendProblem } from '../errors.js';

/** GET /healthz (the process is up), GET /readyz (the database answers). */
export const healthRoutes =
  (chat: ChatDb): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get('/healthz', { schema: { tags: ['operations'] }, logLevel: 'warn' }, async () => ({
      status: 'ok',
    }));
    app.get('/readyz', { schema: { tags: ['operations'] }, logLevel: 'warn' }, async (req, reply) => {
      try {
        await chat.db.query('SELECT 1');
        return { status: 'ok' };
      } catch (e) {
        req.log.warn({ err: { message: (e as Error).message } }, 'database not ready');
        return sendProblem(reply, problem(503, 'the database is not reachable', 'db_unavailable'));
      }
    });
  };
