import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { DEFAULT_BODY_LIMIT } from '../defaults.js';
import type { ChatDb } from '../store/chatdb.js';
import { decodeBody, emptyBodyAsObject, findNul, registerJsonParser, unexpectedBody } from './body.js';
import {
  clientErrorHandler,
  errorHandler,
  expectationFailed,
  frameworkErrors,
  notFound,
  problem,
  refuseEncodedBody,
  sendProblem,
} from './errors.js';
import { logRequest, REDACT } from './logging.js';
import { optionalBodies } from './openapi.js';
import { authRoutes, DEFAULT_LOGIN_LIMIT, type LoginLimit } from './routes/auth.js';
import { feedbackRoutes } from './routes/feedback.js';
import { guestsRoutes } from './routes/guests.js';
import { healthRoutes } from './routes/health.js';
import { messagesRoutes } from './routes/messages.js';
import { partsRoutes } from './routes/parts.js';
import { sessionsRoutes } from './routes/sessions.js';
import { DEFAULT_SHARE_LIMIT, type ShareLimit, sharedRoutes, sharesRoutes } from './routes/shares.js';
import { DEFAULT_REGISTER_LIMIT, type RegisterLimit, usersRoutes } from './routes/users.js';
import { ProblemSchema } from './schemas.js';
import { lazySerializers } from './serializers.js';
import { validatorCompiler } from './validation.js';

export { DEFAULT_BODY_LIMIT };

/** The longest path parameter as sent: a 255-character message id, every character 4 UTF-8 bytes percent-encoded. */
export const MAX_PARAM_LENGTH = 255 * 12;

export interface AppOptions {
  readonly chat: ChatDb;
  /** Request body limit in bytes (larger: 413). Default 1 MiB. */
  readonly bodyLimit?: number;
  /** Origins allowed by CORS; empty (the default) turns CORS off. */
  readonly corsOrigins?: readonly string[];
  /** Fastify's logger option (pino); default off. Redaction of secrets is always added. */
  readonly logger?: FastifyServerOptions['logger'];
  readonly loginLimit?: Partial<LoginLimit>;
  /**
   * Registrations (POST /users) per client address and window. Default 10 a minute. Guest
   * accounts (POST /auth/guest) and upgrades (POST /users/me/upgrade) get the same limit, each
   * counted on its own.
   */
  readonly registerLimit?: Partial<RegisterLimit>;
  /** Reads of GET /shared/{token} per client address and window. Default 60 a minute. */
  readonly shareLimit?: Partial<ShareLimit>;
  /**
   * Fastify's trustProxy: whose X-Forwarded-For gives the client address the login limit counts.
   * Default false (the peer address: behind a reverse proxy every client then shares its bucket).
   * The registration limit counts the same address.
   */
  readonly trustProxy?: boolean | readonly string[];
  /** Close `chat` when the app closes. Default false. */
  readonly ownsChat?: boolean;
}

type ValidatorFactory = NonNullable<
  NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
>['buildValidator'];
/** chatdb's validator compiler as Fastify's factory (typed for Ajv's; it takes route schemas, as setValidatorCompiler's does). */
const buildValidator = (() => validatorCompiler) as unknown as ValidatorFactory;

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
  const trustProxy = options.trustProxy;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    logger,
    // Fastify's two lines per request are off; logRequest writes one (see logging.ts).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    // A message id is up to 255 characters, each up to 12 once percent-encoded (4 UTF-8 bytes).
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    trustProxy: typeof trustProxy === 'object' ? [...trustProxy] : trustProxy === true,
    // Draining is answered below as a problem, not with Fastify's plain JSON 503.
    return503OnClosing: false,
    frameworkErrors,
    clientErrorHandler,
    // Both compilers are chatdb's (built at each route's first use): Fastify then never loads its
    // own Ajv compiler (30 ms of a start).
    schemaController: {
      compilersFactory: { buildValidator, buildSerializer: lazySerializers },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFound);
  app.addSchema(ProblemSchema);

  // JSON everywhere (415 for anything else), plus the OAuth2 password form of POST /auth/token; any other route answers 415 to a form.
  app.removeContentTypeParser('text/plain');
  registerJsonParser(app);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, Object.fromEntries(new URLSearchParams(decodeBody(body as Buffer))));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  // Once serve() has stopped listening, responses close their connections and requests still
  // arriving on a kept-alive one are turned away, so the drain ends with the requests in flight.
  let listened = false;
  const draining = () => listened && !app.server.listening;
  app.addHook('onListen', async () => {
    listened = true;
  });
  app.addHook('onRequest', async (_req, reply) => {
    if (!draining()) return undefined;
    reply.header('connection', 'close');
    return sendProblem(reply, problem(503, 'the server is shutting down: retry', 'shutting_down'));
  });
  // One spelling per resource: an empty path segment where an id goes (`/chat/sessions/`, a
  // trailing slash) is no route, as `/users/me/` is, not a look-up of the id "".
  app.addHook('onRequest', async (req, reply) => {
    const params = req.params as Record<string, unknown> | undefined;
    if (params && Object.values(params).some((v) => v === '')) return notFound(req, reply);
    return undefined;
  });
  app.addHook('onSend', async (_req, reply) => {
    if (draining()) reply.header('connection', 'close');
  });
  app.addHook('onResponse', logRequest);
  app.addHook('preParsing', refuseEncodedBody);
  app.server.on('checkExpectation', expectationFailed);

  app.addHook('preValidation', async (req, reply) => {
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('application/x-www-form-urlencoded') && req.routeOptions.url !== '/auth/token') {
      return sendProblem(reply, problem(415, 'this route takes application/json'));
    }
    await emptyBodyAsObject(req);
    const extra = unexpectedBody(req);
    if (extra) return sendProblem(reply, problem(400, 'this route takes no body', 'invalid_input', [extra]));
    const nul = findNul(req.body, 'body') ?? findNul(req.query, 'querystring');
    if (nul)
      return sendProblem(reply, problem(400, 'text must not contain NUL (\\u0000)', 'invalid_input', [nul]));
    return undefined;
  });

  if (options.corsOrigins && options.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: [...options.corsOrigins],
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key'],
      exposedHeaders: ['retry-after', 'www-authenticate'],
    });
  }
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'chatdb',
        version: '0.1.0',
        description:
          'Postgres persistence for RAG chatbots. Every error is application/problem+json. Request ' +
          `bodies are limited to ${bodyLimit} bytes (CHATDB_BODY_LIMIT, default 1 MiB; larger: 413), ` +
          "which caps a message's content below the library's own limit of 4 MiB.",
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (json.$id as string) || `def-${i}` },
    transformObject: optionalBodies,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const limit = { ...DEFAULT_LOGIN_LIMIT, ...options.loginLimit };
  await app.register(healthRoutes(chat));
  const registerLimit = { ...DEFAULT_REGISTER_LIMIT, ...options.registerLimit };
  await app.register(usersRoutes(chat, registerLimit));
  await app.register(guestsRoutes(chat, registerLimit));
  await app.register(authRoutes(chat, limit));
  await app.register(sessionsRoutes(chat));
  await app.register(messagesRoutes(chat));
  await app.register(partsRoutes(chat));
  await app.register(feedbackRoutes(chat));
  await app.register(sharesRoutes(chat));
  await app.register(sharedRoutes(chat, { ...DEFAULT_SHARE_LIMIT, ...options.shareLimit }));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  if (options.ownsChat) app.addHook('onClose', async () => chat.close());
  await app.ready();
  return app;
}
