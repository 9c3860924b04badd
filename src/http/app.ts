import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ChatDb } from '../store/chatdb.js';
import { errorHandler, problem, sendProblem } from './errors.js';
import { authRoutes, DEFAULT_LOGIN_LIMIT, type LoginLimit } from './routes/auth.js';
import { healthRoutes } from './routes/health.js';
import { messagesRoutes } from './routes/messages.js';
import { sessionsRoutes } from './routes/sessions.js';
import { usersRoutes } from './routes/users.js';
import { ProblemSchema } from './schemas.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface AppOptions {
  readonly chat: ChatDb;
  /** Request body limit in bytes (larger: 413). Default 1 MiB. */
  readonly bodyLimit?: number;
  /** Origins allowed by CORS; empty (the default) turns CORS off. */
  readonly corsOrigins?: readonly string[];
  /** Fastify's logger option (pino); default off. Redaction of secrets is always added. */
  readonly logger?: FastifyServerOptions['logger'];
  readonly loginLimit?: Partial<LoginLimit>;
  /** Close `chat` when the app closes. Default false. */
  readonly ownsChat?: boolean;
}

/** Headers and fields that never reach a log line. */
export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.access_token',
  '*.token',
];

const hasNul = (v: unknown): boolean => {
  if (typeof v === 'string') return v.includes('\u0000');
  if (Array.isArray(v)) return v.some(hasNul);
  if (v !== null && typeof v === 'object')
    return Object.entries(v).some(([k, x]) => k.includes('\u0000') || hasNul(x));
  return false;
};

/**
 * Builds the API (API.md) over a ChatDb. Tests call `app.inject()`; `serve()` listens.
 * Example: `const app = await buildApp({ chat: createChatDb(db) })`.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { chat } = options;
  const logger =
    options.logger && typeof options.logger === 'object'
      ? { ...options.logger, redact: { paths: REDACT, censor: '[redacted]' } }
      : (options.logger ?? false);
  const app = Fastify({
    logger,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, problem(404, `no route ${req.method} ${req.url.split('?')[0]}`)),
  );
  app.addSchema(ProblemSchema);

  // JSON everywhere (415 for anything else), plus the OAuth2 password form of POST /auth/token; any other route answers 415 to a form.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.addHook('preValidation', async (req, reply) => {
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('application/x-www-form-urlencoded') && req.routeOptions.url !== '/auth/token') {
      return sendProblem(reply, problem(415, 'this route takes application/json'));
    }
    if (hasNul(req.body) || hasNul(req.query)) {
      return sendProblem(
        reply,
        problem(400, 'text must not contain NUL (\\u0000)', 'invalid_input', [
          { path: 'body', message: 'contains NUL' },
        ]),
      );
    }
    return undefined;
  });

  if (options.corsOrigins && options.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: [...options.corsOrigins],
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key'],
    });
  }
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => ({
      ...problem(429, `too many login attempts: retry in ${Math.ceil(ctx.ttl / 1000)} s`, 'rate_limited'),
      statusCode: 429,
    }),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'chatdb', version: '0.1.0', description: 'Postgres persistence for RAG chatbots' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (json.$id as string) || `def-${i}` },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const limit = { ...DEFAULT_LOGIN_LIMIT, ...options.loginLimit };
  await app.register(healthRoutes(chat));
  await app.register(usersRoutes(chat));
  await app.register(authRoutes(chat, limit));
  await app.register(sessionsRoutes(chat));
  await app.register(messagesRoutes(chat));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  if (options.ownsChat) app.addHook('onClose', async () => chat.close());
  await app.ready();
  return app;
}
