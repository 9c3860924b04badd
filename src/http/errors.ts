import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isConnectionError } from '../db/errors.js';
import { type ErrorCode, type ErrorDetail, isChatDbError } from '../errors.js';
import { noteFailure } from './logging.js';
import { validationDetails } from './validation.js';

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
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(status: number, detail: string, code?: string, errors?: ErrorDetail[]): Problem {
  return {
    type: code ? `urn:chatdb:problem:${code}` : 'about:blank',
    title: TITLES[status] ?? STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** An error that is already the problem to answer (hooks throw it; errorHandler sends it as it is). */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send(p);
}

/** Fastify's own errors that are the client's fault, by code, with a detail that echoes nothing. */
const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'the request body is larger than the limit'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'the request body must be JSON (application/json)'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'the request body does not match its Content-Length'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'the JSON body is empty'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed JSON body'],
  FST_ERR_BAD_URL: [400, 'the URL is not valid (bad percent-encoding)'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'a path parameter is longer than 3072 characters'],
  FST_ERR_ASYNC_CONSTRAINT: [400, 'the request does not match a route constraint'],
};

/** Request parts as error paths name them (`body.role`, `querystring.limit`, `params.id`). */
const PARTS = ['body', 'querystring', 'params', 'headers'];

/**
 * A library error path (`content`, `citations[0].score`, `cursor`) in the API's convention:
 * prefixed by the part of the request the field came from, indexes as dotted segments.
 */
function apiPath(req: FastifyRequest, path: string): string {
  const p = path.replace(/\[(\d+)\]/g, '.$1');
  const head = p.split('.')[0] ?? '';
  if (PARTS.includes(head)) return p;
  const has = (o: unknown) => o !== null && typeof o === 'object' && Object.hasOwn(o, head);
  if (has(req.query)) return `querystring.${p}`;
  if (has(req.params)) return `params.${p}`;
  return req.body === undefined ? p : `body.${p}`;
}

/**
 * Turns any error into a problem response: validation -> 400 with `errors`, ChatDbError -> its
 * status, client errors of Fastify as they are (with details that echo nothing of the request),
 * an unreachable database -> 503; anything else is a generic 500 (never a stack or a driver
 * message), its error noted for the request's log line.
 */
export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof ProblemError) return sendProblem(reply, err.problem);
  if (err.validation) {
    const part = err.validationContext ?? 'body';
    return sendProblem(
      reply,
      problem(400, `invalid ${part}`, 'invalid_input', validationDetails(part, err.validation as never)),
    );
  }
  if (isChatDbError(err)) {
    const status = STATUS[err.code] ?? 500;
    if (status === 503) {
      noteFailure(req, { message: err.message });
      // Canceled by the statement timeout (57014) or a lock wait past its lock timeout (55P03).
      const cause = (err.cause as { code?: unknown } | undefined)?.code;
      const slow = cause === '57014' || cause === '55P03';
      const detail = slow ? 'the database did not answer in time: retry' : 'the database is not reachable';
      return sendProblem(reply, problem(503, detail, err.code));
    }
    if (status >= 500) {
      noteFailure(req, err);
      return sendProblem(reply, problem(500, 'internal error'));
    }
    const details = err.details.map((d) => ({ path: apiPath(req, d.path), message: d.message }));
    return sendProblem(reply, problem(status, err.message, err.code, details));
  }
  const known = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (known) return sendProblem(reply, problem(known[0], known[1]));
  if (err instanceof SyntaxError) return sendProblem(reply, problem(400, 'malformed JSON body'));
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return sendProblem(reply, problem(err.statusCode, STATUS_CODES[err.statusCode] ?? 'client error'));
  }
  if (isConnectionError(err)) {
    noteFailure(req, { message: err.message });
    return sendProblem(reply, problem(503, 'the database is not reachable', 'db_unavailable'));
  }
  noteFailure(req, err);
  return sendProblem(reply, problem(500, 'internal error'));
}

/**
 * Fastify's `frameworkErrors`: a URL it cannot route (bad percent-encoding, a path parameter over
 * 100 characters) gets the same problem response as any other error, and one log line.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const [status, detail] = (err.code && FASTIFY_CODES[err.code]) || [400, 'bad request'];
  req.log.info({ method: req.method, statusCode: status, code: err.code }, 'request');
  sendProblem(reply, problem(status, detail));
}

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser rejects (a Content-Length that
 * disagrees with the body, a malformed header) gets a problem response written to the socket,
 * unless a response is already on its way there.
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'the request took too long to arrive']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request headers are too large']
        : [
            400,
            'the request is not valid HTTP/1.1 (for example, a Content-Length that disagrees with the body)',
          ];
  this.log.info({ statusCode: status, code: err.code }, 'client error');
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const body = JSON.stringify(problem(status, detail));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** The route that is not there (the path is not echoed back). */
export const notFound = (req: FastifyRequest, reply: FastifyReply): FastifyReply =>
  sendProblem(reply, problem(404, `no route for ${req.method} on this path`));

/**
 * The server's `checkExpectation` listener: an `Expect` other than `100-continue` is refused with
 * 417, as Node would, but as a problem rather than an empty body (the value is not echoed).
 */
export function expectationFailed(_req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify(problem(417, 'the only Expect this server meets is 100-continue'));
  res.writeHead(417, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

/** A Content-Encoding worth naming in a detail (a short token list), else undefined. */
const encodingName = (value: string): string | undefined =>
  /^[A-Za-z0-9, -]{1,40}$/.test(value) ? value : undefined;

/**
 * A preParsing hook: the API reads bodies as they are sent, so a body with a Content-Encoding
 * (gzip, br, …; `identity` aside) is 415 naming the encoding, not a "malformed JSON" 400.
 */
export async function refuseEncodedBody(req: FastifyRequest): Promise<void> {
  const raw = req.headers['content-encoding'];
  const value = (Array.isArray(raw) ? raw.join(', ') : (raw ?? '')).trim();
  if (value === '' || value.toLowerCase() === 'identity') return;
  const name = encodingName(value);
  const what = name ? `Content-Encoding ${name} is` : 'this Content-Encoding is';
  throw new ProblemError(
    problem(415, `${what} not supported: send the body uncompressed`, 'unsupported_encoding'),
  );
}
