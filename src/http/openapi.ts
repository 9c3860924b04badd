import { errors } from './schemas.js';

type Operation = { requestBody?: RequestBody; security?: unknown[]; responses?: Record<string, unknown> };
type Doc = { paths?: Record<string, Record<string, Operation>> };
type RequestBody = { required?: boolean; content?: Record<string, { schema?: { required?: unknown[] } }> };

/** Methods whose requests Fastify reads a body for (so 400/413/415 apply even with no body schema). */
const WITH_BODY = ['post', 'put', 'patch', 'delete'];

/**
 * The error statuses an operation can answer, whatever it declares, from what it is: every route
 * can be turned away while the server drains (503); one with a body or a query can fail to parse or
 * validate (400), one with a body can be too large (413) or not JSON, or compressed (415); one with
 * path parameters can name nothing (404), carry a bad percent-encoding (400) or an over-long
 * parameter (414); one behind a bearer token, 401.
 */
export function commonStatuses(path: string, method: string, op: Operation): number[] {
  const out = [503];
  if (WITH_BODY.includes(method)) out.push(400, 413, 415);
  if (path.includes('{')) out.push(400, 404, 414);
  if ((op as { parameters?: { in?: string }[] }).parameters?.some((p) => p.in === 'query')) out.push(400);
  if (op.security && op.security.length > 0) out.push(401);
  return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * @fastify/swagger's `transformObject`: a request body whose schema requires no field may be left
 * out (the route reads it as `{}`), so the document says it is optional; and each operation lists
 * every error status it can answer (commonStatuses), besides the ones its route declares.
 */
export function optionalBodies(input: { openapiObject: unknown } | { swaggerObject: unknown }) {
  const doc = ('openapiObject' in input ? input.openapiObject : input.swaggerObject) as Doc;
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(ops)) {
      const body = op.requestBody;
      const schemas = Object.values(body?.content ?? {}).map((c) => c.schema);
      if (body && schemas.length > 0 && schemas.every((s) => s && !s.required?.length)) body.required = false;
      const missing = commonStatuses(path, method, op).filter((c) => !op.responses?.[String(c)]);
      if (missing.length > 0) op.responses = { ...op.responses, ...openapiErrors(missing) };
    }
  }
  return doc as never;
}

/** `errors()` as it appears in the document: the schema reference resolved to the component. */
function openapiErrors(codes: number[]) {
  return Object.fromEntries(
    Object.entries(errors(...codes)).map(([c, r]) => [
      c,
      { ...r, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
    ]),
  );
}
