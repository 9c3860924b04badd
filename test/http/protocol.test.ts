import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { createChatDb } from '../../src/store/chatdb.js';
import { freshDatabase, type ScratchDatabase } from '../helpers/db.js';
import { type Api, api, login } from './helpers.js';

let t: Api;
let h: Record<string, string>;
let port: number;
beforeAll(async () => {
  t = await api();
  ({ h } = await login(t.app, 'protocol@example.com'));
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as { port: number }).port;
});
afterAll(() => t.close());

/** Writes raw bytes on a new connection and returns everything the server sends until it closes. */
const raw = (bytes: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let out = '';
    socket.on('data', (d) => {
      out += d;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
  });

/** The responses in raw HTTP/1.1 output, each as status, headers (lowercased names) and body. */
function responses(out: string) {
  return out
    .split(/(?=HTTP\/1\.1 \d{3} )/)
    .filter(Boolean)
    .map((r) => {
      const [head = '', body = ''] = r.split('\r\n\r\n');
      const [status = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      return { status: Number(status.split(' ')[1]), headers, body };
    });
}

const expectProblem = (
  r: { statusCode: number; headers: Record<string, unknown>; body: string },
  status: number,
  secret?: string,
) => {
  expect(r.statusCode).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(r.body)).toEqual({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });
  if (secret) expect(r.body).not.toContain(secret);
};

describe('errors Fastify answers before routing are problems too', () => {
  it('a URL with bad percent-encoding: 400, the URL not echoed', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/chat/sessions/%zzsecret-path', headers: h });
    expectProblem(r, 400, 'secret-path');
  });

  it('a path parameter over 3072 characters: 414, not echoed', async () => {
    const id = `x${'secret'.repeat(520)}`;
    const r = await t.app.inject({ method: 'GET', url: `/chat/sessions/${id}`, headers: h });
    expectProblem(r, 414, 'secretsecret');
  });

  it('an unknown route: 404 without the path', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/no/such/secret-route?q=x' });
    expectProblem(r, 404, 'secret-route');
  });

  it('a request the HTTP parser rejects gets a problem on the socket', async () => {
    const head = 'POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n';
    const cases = [
      // Content-Length shorter than the body: the rest is read as a (malformed) next request.
      `${head}Content-Length: 2\r\n\r\n{"email":"secret@example.com"}`,
      `${head}Content-Length: 2x\r\n\r\n{}`,
      `${head}Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}`,
      `${head}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}`,
    ];
    for (const bytes of cases) {
      const out = await raw(bytes);
      const rs = responses(out);
      expect(rs.length, out).toBeGreaterThan(0);
      for (const r of rs) {
        expect(r.status, out).toBe(400);
        expect(r.headers['content-type'], out).toBe('application/problem+json');
        expect(Buffer.byteLength(r.body)).toBe(Number(r.headers['content-length']));
        expectProblem({ statusCode: r.status, headers: r.headers, body: r.body }, 400, 'secret');
      }
    }
  });
});

describe('CORS', () => {
  let s: ScratchDatabase;
  beforeAll(async () => {
    s = await freshDatabase('all');
  });
  afterAll(() => s.drop());

  const preflight = (app: Awaited<ReturnType<typeof buildApp>>, origin: string) =>
    app.inject({
      method: 'OPTIONS',
      url: '/chat/sessions',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });

  it('answers an allowed origin, not another, and exposes Retry-After and WWW-Authenticate', async () => {
    const app = await buildApp({ chat: createChatDb(s.db), corsOrigins: ['https://docs.example.com'] });
    try {
      const ok = await preflight(app, 'https://docs.example.com');
      expect(ok.statusCode).toBe(204);
      expect(ok.headers['access-control-allow-origin']).toBe('https://docs.example.com');
      expect(String(ok.headers['access-control-allow-headers'])).toMatch(/authorization/);
      const other = await preflight(app, 'https://evil.example.com');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      const denied = await app.inject({
        method: 'GET',
        url: '/users/me',
        headers: { origin: 'https://docs.example.com' },
      });
      expect(denied.statusCode).toBe(401);
      expect(denied.headers['access-control-allow-origin']).toBe('https://docs.example.com');
      const exposed = String(denied.headers['access-control-expose-headers']).toLowerCase();
      expect(exposed).toContain('retry-after');
      expect(exposed).toContain('www-authenticate');
    } finally {
      await app.close();
    }
  });

  it('is off by default', async () => {
    const app = await buildApp({ chat: createChatDb(s.db) });
    try {
      const r = await preflight(app, 'https://docs.example.com');
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      const get = await app.inject({
        method: 'GET',
        url: '/healthz',
        headers: { origin: 'https://x.example' },
      });
      expect(get.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
