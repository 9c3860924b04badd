import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commonStatuses } from '../../src/http/openapi.js';
import { type Api, api, login } from './helpers.js';

/**
 * Every route's OpenAPI responses list the error statuses the route is seen to answer: each one is
 * provoked here (no token, a body that is not JSON, compressed, malformed or too large, an unknown
 * or over-long id, an unknown query parameter) and must be declared for that operation.
 */
let t: Api;
let h: Record<string, string>;
let sid: string;
type Op = { responses: Record<string, unknown>; security?: unknown[]; parameters?: { in: string }[] };
let doc: { paths: Record<string, Record<string, Op>> };
beforeAll(async () => {
  t = await api({ bodyLimit: 512 });
  ({ h } = await login(t.app, 'openapi@example.com'));
  sid = (await t.app.inject({ method: 'POST', url: '/chat/sessions', headers: h, payload: {} })).json().id;
  doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
afterAll(() => t.close());

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** A body each route accepts, so that only the fault under test is wrong with a request. */
const VALID: Record<string, string> = {
  'post /users': '{"email":"valid-body@example.com","password":"long enough pw"}',
  'post /auth/token': '{"email":"openapi@example.com","password":"wrong password"}',
  'post /chat/sessions/{id}/messages': '{"role":"user","content":"hi"}',
  'put /users/me/profile': '{}',
  'put /chat/sessions/{id}/messages/{message_id}': '{"role":"user","parts":[{"type":"text","text":"hi"}]}',
  'put /chat/sessions/{id}/messages/{message_id}/feedback': '{"rating":"up"}',
};

describe('OpenAPI responses cover what each route answers', () => {
  it('declares every status a route is provoked into, and the common ones by rule', async () => {
    let provoked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method} ${path}`;
        const declared = Object.keys(op.responses).map(Number);
        expect(declared, where).toEqual(expect.arrayContaining(commonStatuses(path, method, op)));
        const url = (id: string) => path.replace('{id}', id).replace('{message_id}', 'openapi-message');
        const send = async (
          expected: number,
          o: { id?: string; headers?: Record<string, string>; payload?: string | Buffer; query?: string },
        ) => {
          const r = await t.app.inject({
            method: method.toUpperCase() as Method,
            url: `${url(o.id ?? sid)}${o.query ?? ''}`,
            headers: o.headers ?? h,
            ...(o.payload === undefined ? {} : { payload: o.payload }),
          });
          expect(r.statusCode, `${where}: ${r.body}`).toBe(expected);
          expect(declared, `${where} answers ${expected} but does not declare it`).toContain(expected);
          provoked++;
        };
        const json = { ...h, 'content-type': 'application/json' };
        if (op.security?.length) await send(401, { headers: {} });
        if (['post', 'put', 'patch', 'delete'].includes(method)) {
          await send(415, { headers: { ...h, 'content-type': 'text/plain' }, payload: 'hello' });
          await send(415, { headers: { ...json, 'content-encoding': 'gzip' }, payload: 'x' });
          await send(413, { headers: json, payload: JSON.stringify({ title: 'x'.repeat(600) }) });
          await send(400, { headers: json, payload: '{"unclosed' });
        }
        if (path.includes('{id}')) {
          const valid = VALID[where];
          await send(404, {
            id: '00000000-0000-4000-8000-000000000000',
            ...(valid ? { headers: json, payload: valid } : {}),
          });
          await send(414, { id: 'x'.repeat(3073) });
          await send(400, { id: '%zz' });
        }
        if (op.parameters?.some((p) => p.in === 'query')) await send(400, { query: '?no_such_param=1' });
      }
    }
    expect(provoked).toBeGreaterThan(50);
  });

  it('says that the body limit caps message content below the library limit', () => {
    const info = (doc as unknown as { info: { description: string } }).info.description;
    expect(info).toMatch(/1 MiB/);
    expect(info).toMatch(/4 MiB/);
    const append = doc.paths['/chat/sessions/{id}/messages']?.post as unknown as {
      requestBody: { description?: string };
    };
    expect(append.requestBody.description).toMatch(/CHATDB_BODY_LIMIT/);
  });

  it('describes message parts (an object with a string type, more allowed) and statuses', () => {
    type Schema = {
      properties: Record<
        string,
        { description?: string; items?: Record<string, unknown>; anyOf?: unknown[] }
      >;
    };
    const put = doc.paths['/chat/sessions/{id}/messages/{message_id}']?.put as unknown as {
      requestBody: { content: { 'application/json': { schema: Schema } } };
      responses: Record<string, { content: { 'application/json': { schema: Schema } } }>;
    };
    const body = put.requestBody.content['application/json'].schema;
    const parts = body.properties.parts;
    expect(parts?.items).toMatchObject({
      type: 'object',
      required: ['type'],
      additionalProperties: true,
      properties: { type: { type: 'string' } },
    });
    for (const t of ['text', 'reasoning', 'tool-<name>', 'dynamic-tool', 'toolCallId', 'source-url', 'file'])
      expect(parts?.description).toContain(t);
    const status = JSON.stringify(put.responses['201']?.content['application/json'].schema.properties.status);
    for (const s of ['streaming', 'complete', 'aborted', 'error']) expect(status).toContain(s);
  });
});
