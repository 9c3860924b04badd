import type { FastifyInstance } from 'fastify';
import { prepareSchema } from '../../src/cli/commands/serve.js';
import { type ConfigFlags, loadConfig } from '../../src/config.js';
import { type AppOptions, buildApp } from '../../src/http/app.js';
import { type Server, serve } from '../../src/http/serve.js';
import { createChatDb } from '../../src/store/chatdb.js';
import { freshDatabase, type ScratchDatabase } from '../helpers/db.js';

export interface Api {
  app: FastifyInstance;
  s: ScratchDatabase;
  close(): Promise<void>;
}

/** The app over a fresh database (baseline `all`), driven with app.inject(). */
export async function api(options: Omit<AppOptions, 'chat'> = {}): Promise<Api> {
  const s = await freshDatabase('all');
  const app = await buildApp({ ...options, chat: createChatDb(s.db) });
  return {
    app,
    s,
    async close() {
      await app.close();
      await s.drop();
    },
  };
}

/** Registers a user and logs in; returns the user id and the Authorization header. */
export async function login(app: FastifyInstance, email: string, password = 'correct horse battery') {
  const reg = await app.inject({ method: 'POST', url: '/users', payload: { email, password } });
  if (reg.statusCode !== 201) throw new Error(`register ${email}: ${reg.statusCode} ${reg.body}`);
  const tok = await app.inject({ method: 'POST', url: '/auth/token', payload: { email, password } });
  const token = tok.json().access_token as string;
  return { id: reg.json().id as string, token, h: { authorization: `Bearer ${token}` } };
}

/** Row counts of every chatdb table. */
export async function counts(s: ScratchDatabase): Promise<Record<string, number>> {
  const r = await s.db.query<Record<string, number>>(`SELECT
    (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM user_profiles) AS user_profiles,
    (SELECT count(*) FROM auth_tokens) AS auth_tokens, (SELECT count(*) FROM chat_sessions) AS chat_sessions,
    (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM message_citations) AS message_citations,
    (SELECT count(*) FROM message_feedback) AS message_feedback,
    (SELECT count(*) FROM session_shares) AS session_shares`);
  return r.rows[0] as Record<string, number>;
}

/**
 * `chatdb serve` in this process, as a test wants it: any port, no request log, no ready line, no
 * signal handlers. With `migrate` undefined there is no schema step; otherwise the CLI's own
 * (`prepareSchema`): `false` refuses pending migrations on a server, `true` is `--migrate`.
 */
export function serveQuietly(
  env: NodeJS.ProcessEnv,
  flags: ConfigFlags,
  options: { migrate?: boolean; dbLogger?: (m: string) => void } = {},
): Promise<Server> {
  const config = { ...loadConfig(env, flags), port: 0, logLevel: 'silent' as const };
  const quiet = () => undefined;
  return serve({
    config,
    ...(options.migrate === undefined ? {} : { prepare: prepareSchema(config, options.migrate, quiet) }),
    ...(options.dbLogger ? { dbLogger: options.dbLogger } : {}),
    print: quiet,
    handleSignals: false,
  });
}
