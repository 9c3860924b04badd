type Doc = { paths?: Record<string, Record<string, { requestBody?: RequestBody }>> };
type RequestBody = { required?: boolean; content?: Record<string, { schema?: { required?: unknown[] } }> };

/**
 * @fastify/swagger's `transformObject`: a request body whose schema requires no field may be left
 * out (the route reads it as `{}`), so the document says it is optional.
 */
export function optionalBodies(input: { openapiObject: unknown } | { swaggerObject: unknown }) {
  const doc = ('openapiObject' in input ? input.openapiObject : input.swaggerObject) as Doc;
  for (const ops of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(ops)) {
      const body = op.requestBody;
      const schemas = Object.values(body?.content ?? {}).map((c) => c.schema);
      if (body && schemas.length > 0 && schemas.every((s) => s && !s.required?.length)) body.required = false;
    }
  }
  return doc as never;
}
