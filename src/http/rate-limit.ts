import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problem, sendProblem } from './errors.js';

/** A @fastify/rate-limit counter (in memory, per process), as `app.createRateLimit` makes it. */
type Counter = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * Counts the request on `counter`; over the limit, answers 429 problem (`<what>: try again in N s`,
 * with Retry-After) and returns the reply, else undefined.
 */
export async function overLimit(
  counter: Counter,
  req: FastifyRequest,
  reply: FastifyReply,
  what: string,
): Promise<FastifyReply | undefined> {
  const r = await counter(req);
  if (r.isAllowed || !r.isExceeded) return undefined;
  reply.header('retry-after', String(Math.max(1, r.ttlInSeconds)));
  return sendProblem(reply, problem(429, `${what}: try again in ${r.ttlInSeconds} s`, 'rate_limited'));
}

/**
 * A hook that limits a route to `limit.perAddress` requests per window per client address (req.ip,
 * which honours trustProxy), each such hook with a counter of its own: `too many <what> from this address`.
 */
export function perAddressLimit(
  app: FastifyInstance,
  limit: { readonly perAddress: number; readonly windowMs: number },
  what: string,
) {
  const counter = app.createRateLimit({ max: limit.perAddress, timeWindow: limit.windowMs });
  return (req: FastifyRequest, reply: FastifyReply) =>
    overLimit(counter, req, reply, `too many ${what} from this address`);
}
