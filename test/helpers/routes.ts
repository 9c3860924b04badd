import type { FastifyInstance } from 'fastify';

/** One operation of the app's OpenAPI document. */
export interface ApiRoute {
  readonly method: string;
  /** The OpenAPI path, e.g. `/chat/sessions/{id}/messages`. */
  readonly path: string;
  /** It takes a bearer token. */
  readonly bearer: boolean;
  /** It takes input beyond the token: a path parameter, a query string, a header or a body. */
  readonly input: boolean;
  /** Whether a request (method and URL, the query string ignored) is one of this operation's. */
  matches(method: string, url: string): boolean;
}

interface Operation {
  security?: unknown[];
  parameters?: unknown[];
  requestBody?: unknown;
}

/**
 * Every operation of the app's OpenAPI document (every route but the hidden ones: the document
 * itself and its UI): the list the route-by-route tests check themselves against, so a new route
 * fails them until it is added.
 */
export async function apiRoutes(app: FastifyInstance): Promise<ApiRoute[]> {
  await app.ready();
  const doc = app.swagger() as { paths: Record<string, Record<string, Operation>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([m, op]) => {
      const method = m.toUpperCase();
      const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      return {
        method,
        path,
        bearer: (op.security ?? []).length > 0,
        input: (op.parameters ?? []).length > 0 || op.requestBody !== undefined,
        matches: (rm: string, url: string) =>
          rm.toUpperCase() === method && pattern.test(url.split('?')[0] ?? ''),
      };
    }),
  );
}
