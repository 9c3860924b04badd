import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, api, counts, login } from './helpers.js';

/** What reaches the server as bytes: the Expect header, Content-Encoding, invalid UTF-8, reserved keys. */
let t: Api;
let h: Record<string, string>;
let sid: string;
let port: number;
beforeAll(async () => {
  t = await api();
  ({ h } = await login(t.app, 'wire@example.com'));
  sid = (await t.app.inject({ method: 'POST', url: '/chat/sessions', headers: h, payload: {} })).json().id;
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as { port: number }).port;
});
afterAll(() => t.close());

/** Writes raw bytes on a new connection; resolves to everything the server sent until it closed. */
const raw = (bytes: string | Buffer) =>
  new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let out = '';
    socket.on('data', (d) => {
      out += d;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
  });

type Res = Awaited<ReturnType<Api['app']['inject']>>;
const problemOf = (r: Res, status: number) => {
  expect(r.statusCode, r.body).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  return r.json() as { status: number; detail: string; errors?: { path: string; message: string }[] };
};

describe('the wire: every refusal is a problem', () => {
  it('an Expect other than 100-continue: 417 problem+json, not an empty body', async () => {
    const out = await raw(
      'POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Content-Length: 2\r\nExpect: something\r\n\r\n{}',
    );
    const [head = '', body = ''] = out.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 417 /);
    expect(head).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    expect(JSON.parse(body)).toMatchObject({ status: 417, title: 'Expectation Failed' });
  });

  it('a compressed body: 415 naming the encoding, and nothing stored', async () => {
    const before = await counts(t.s);
    for (const encoding of ['gzip', 'br', 'deflate, gzip']) {
      const r = await t.app.inject({
        method: 'POST',
        url: `/chat/sessions/${sid}/messages`,
        headers: { ...h, 'content-type': 'application/json', 'content-encoding': encoding },
        payload: Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01]),
      });
      expect(problemOf(r, 415).detail).toContain(`Content-Encoding ${encoding} is not supported`);
    }
    const identity = await t.app.inject({
      method: 'POST',
      url: '/chat/sessions',
      headers: { ...h, 'content-type': 'application/json', 'content-encoding': 'identity' },
      payload: '{"title":"plain"}',
    });
    expect(identity.statusCode).toBe(201);
    expect((await counts(t.s)).messages).toBe(before.messages);
  });

  it('a compressed body without a token: still 401 first', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/chat/sessions',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: 'xx',
    });
    problemOf(r, 401);
  });

  it('invalid UTF-8 bytes in a body: 400, not U+FFFD stored with 201', async () => {
    const before = await counts(t.s);
    const bytes = Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const r = await t.app.inject({
      method: 'POST',
      url: '/chat/sessions',
      headers: { ...h, 'content-type': 'application/json' },
      payload: bytes,
    });
    expect(problemOf(r, 400).errors).toEqual([{ path: 'body', message: 'is not valid UTF-8' }]);
    // A truncated multi-byte sequence, and the form of /auth/token, the same.
    const cut = Buffer.concat([
      Buffer.from('{"role":"user","content":"caf'),
      Buffer.from([0xc3]),
      Buffer.from('"}'),
    ]);
    const m = await t.app.inject({
      method: 'POST',
      url: `/chat/sessions/${sid}/messages`,
      headers: { ...h, 'content-type': 'application/json' },
      payload: cut,
    });
    problemOf(m, 400);
    const form = await t.app.inject({
      method: 'POST',
      url: '/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: Buffer.concat([Buffer.from('username=wire%40example.com&password='), Buffer.from([0xff])]),
    });
    problemOf(form, 400);
    expect(await counts(t.s)).toEqual(before);
    // Valid multi-byte UTF-8 still goes through as sent.
    const ok = await t.app.inject({
      method: 'POST',
      url: '/chat/sessions',
      headers: { ...h, 'content-type': 'application/json' },
      payload: Buffer.from('{"title":"café 🤖"}', 'utf8'),
    });
    expect(ok.json().title).toBe('café 🤖');
  });

  it('a reserved key in a body: 400 naming its path, nothing stored, no prototype touched', async () => {
    const before = await counts(t.s);
    const cases = [
      ['{"metadata":{"__proto__":{}}}', 'body.metadata.__proto__'],
      ['{"metadata":{"a":[1,{"__proto__":{"x":1}}]}}', 'body.metadata.a.1.__proto__'],
      ['{"metadata":{"constructor":{"prototype":{"x":1}}}}', 'body.metadata.constructor'],
    ] as const;
    for (const [payload, path] of cases) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/chat/sessions',
        headers: { ...h, 'content-type': 'application/json' },
        payload,
      });
      const p = problemOf(r, 400);
      expect(p.errors).toEqual([{ path, message: expect.stringMatching(/reserved key/) }]);
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(await counts(t.s)).toEqual(before);
  });
});
