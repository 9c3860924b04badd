import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isConnectionError } from '../db/errors.js';
import { type ErrorCode, type ErrorDetail, isChatDbError } from '../errors.js';

/** RFC 9457 problem details, as every error response of the API. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: ErrorDetail[];
}

/** The one map from library error codes to HTTP statuses. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_input: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  not_found: 404,
  email_taken: 409,
  conflict: 409,
  db_unavailable: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(status: number, detail: string, code?: string, errors?: ErrorDetail[]): Problem {
  return {
    type: code ? `urn:chatdb:problem:${code}` : 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send(p);
}

/** Fastify's own errors that are the client's fault, by code. */
const FASTIFY_CODES: Record<string, number> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 400,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_JSON_BODY: 400,
};

/**
 * Turns any error into a problem response: validation -> 400 with `errors`, ChatDbError -> its
 * status, client errors of Fastify as they are, an unreachable database -> 503; anything else is
 * logged and answered with a generic 500 (never a stack or a driver message).
 */
export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err.validation) {
    const errors = err.validation.map((v) => ({
      path: `${err.validationContext ?? 'body'}${v.instancePath || ''}`.replace(/\//g, '.'),
      message: v.message ?? 'is invalid',
    }));
    return sendProblem(
      reply,
      problem(400, `invalid ${err.validationContext ?? 'request'}`, 'invalid_input', errors),
    );
  }
  if (isChatDbError(err)) {
    const status = STATUS[err.code] ?? 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    const detail = status >= 500 && err.code !== 'db_unavailable' ? 'internal error' : err.message;
    return sendProblem(
      reply,
      problem(status, err.code === 'db_unavailable' ? 'the database is not reachable' : detail, err.code, [
        ...err.details,
      ]),
    );
  }
  const known = err.code ? FASTIFY_CODES[err.code] : undefined;
  const status =
    known ?? (err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 0);
  if (status) {
    const detail =
      err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY'
        ? 'malformed JSON body'
        : err.message;
    if (status === 429)
      return sendProblem(reply, problem(429, 'too many requests: try again later', 'rate_limited'));
    return sendProblem(reply, problem(status, detail));
  }
  if (isConnectionError(err)) {
    req.log.warn({ err: { message: err.message } }, 'database unreachable');
    return sendProblem(reply, problem(503, 'the database is not reachable', 'db_unavailable'));
  }
  req.log.error({ err }, 'request failed');
  return sendProblem(reply, problem(500, 'internal error'));
}
