import type { FastifyReply, FastifyRequest } from 'fastify';

/** Headers and fields that never reach a log line (request lines carry none of them anyway). */
export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.access_token',
  '*.token',
];

const failures = new WeakMap<FastifyRequest, unknown>();

/** Attaches the error behind a 5xx to its request, for the request's one log line. */
export const noteFailure = (req: FastifyRequest, err: unknown): void => {
  failures.set(req, err);
};

/**
 * The path of a URL without its query string (which holds search text and cursors), and with the
 * token of a share link (`/shared/{token}`, a secret in the path) replaced, wherever a token-like
 * `shr_…` appears (a mistyped route too).
 */
export const pathOf = (url: string): string =>
  (url.split('?')[0] ?? '')
    .replace(/\/shared\/.*$/is, '/shared/[redacted]')
    .replace(/shr_[A-Za-z0-9_%-]*/g, 'shr_[redacted]');

/**
 * An onResponse hook writing the one line each request gets: method, path without the query
 * string, route, status, response time (request id from the child logger); 5xx at error level,
 * with the error noted by `noteFailure`. Bodies and headers are never logged.
 */
export async function logRequest(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const line = {
    method: req.method,
    path: pathOf(req.url),
    route: req.routeOptions.url ?? null,
    statusCode: reply.statusCode,
    responseTime: Math.round(reply.elapsedTime * 10) / 10,
  };
  if (reply.statusCode >= 500) {
    const err = failures.get(req);
    req.log.error(err === undefined ? line : { ...line, err }, 'request failed');
  } else req.log.info(line, 'request');
}
