import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { isChatDbError } from '../../src/errors.js';
import { type Api, api } from './helpers.js';

type Res = Awaited<ReturnType<Api['app']['inject']>>;

const attempt = (t: Api, email: string, from: string, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: '/auth/token',
    remoteAddress: from,
    headers,
    payload: { email, password: 'not the password' },
  });

const limited = (r: Res) => {
  expect(r.statusCode).toBe(429);
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(r.json()).toMatchObject({ status: 429, type: 'urn:chatdb:problem:rate_limited' });
  expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
  return r.json().detail as string;
};

describe('login limits (@fastify/rate-limit)', () => {
  let t: Api;
  beforeAll(async () => {
    t = await api({ loginLimit: { perAddress: 3, perEmail: 2 } });
  });
  afterAll(() => t.close());

  it('limits one email tried from many addresses, case-insensitively', async () => {
    const codes: number[] = [];
    for (const [i, email] of ['victim@example.com', 'Victim@Example.com'].entries())
      codes.push((await attempt(t, email, `10.0.1.${i}`)).statusCode);
    expect(codes).toEqual([401, 401]);
    const third = await attempt(t, 'VICTIM@example.com', '10.0.1.9');
    expect(limited(third)).toMatch(/for this email/);
    // The OAuth2 form counts against the same email.
    const form = await t.app.inject({
      method: 'POST',
      url: '/auth/token',
      remoteAddress: '10.0.1.10',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=victim%40example.com&password=whatever',
    });
    limited(form);
    // Another email from those addresses is not limited.
    expect((await attempt(t, 'other@example.com', '10.0.1.0')).statusCode).toBe(401);
  });

  it('limits one address trying many emails, and only that address', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 3; i++)
      codes.push((await attempt(t, `spray${i}@example.com`, '10.0.2.1')).statusCode);
    expect(codes).toEqual([401, 401, 401]);
    expect(limited(await attempt(t, 'spray9@example.com', '10.0.2.1'))).toMatch(/from this address/);
    expect((await attempt(t, 'spray9@example.com', '10.0.2.2')).statusCode).toBe(401);
  });

  it('a body without an email is a 400, and does not use up a shared bucket', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/auth/token',
        remoteAddress: `10.0.3.${i}`,
        payload: { password: 'x' },
      });
      expect(r.statusCode).toBe(400);
    }
  });

  it('ignores X-Forwarded-For unless a proxy is trusted', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++)
      codes.push(
        (await attempt(t, `xff${i}@example.com`, '10.0.4.1', { 'x-forwarded-for': `192.0.2.${i}` }))
          .statusCode,
      );
    expect(codes).toEqual([401, 401, 401, 429]);
  });
});

describe('behind a trusted proxy', () => {
  let t: Api;
  beforeAll(async () => {
    t = await api({ loginLimit: { perAddress: 1, perEmail: 100 }, trustProxy: ['127.0.0.1'] });
  });
  afterAll(() => t.close());

  it('counts each forwarded client address apart', async () => {
    const via = (client: string, email: string) =>
      attempt(t, email, '127.0.0.1', { 'x-forwarded-for': client });
    expect((await via('198.51.100.1', 'p1@example.com')).statusCode).toBe(401);
    expect((await via('198.51.100.2', 'p2@example.com')).statusCode).toBe(401);
    limited(await via('198.51.100.1', 'p3@example.com'));
    // A peer that is not the proxy cannot pick its address.
    expect(
      (await attempt(t, 'p4@example.com', '10.0.5.1', { 'x-forwarded-for': '198.51.100.9' })).statusCode,
    ).toBe(401);
    limited(await attempt(t, 'p5@example.com', '10.0.5.1', { 'x-forwarded-for': '198.51.100.8' }));
  });
});

describe('CHATDB_TRUST_PROXY', () => {
  it('is off by default; takes true/false or proxy addresses; refuses anything else', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ CHATDB_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ CHATDB_TRUST_PROXY: 'TRUE' }).trustProxy).toBe(true);
    expect(loadConfig({ CHATDB_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1,loopback' }).trustProxy).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
      'loopback',
    ]);
    for (const bad of ['yes', '10.0.0.0/33', 'proxy.example.com', '1.2.3.4/8/1', '127.0.0.1,']) {
      let err: unknown;
      try {
        loadConfig({ CHATDB_TRUST_PROXY: bad });
      } catch (e) {
        err = e;
      }
      expect(isChatDbError(err, 'config_invalid'), bad).toBe(true);
      expect((err as Error).message).toMatch(/^CHATDB_TRUST_PROXY: /);
    }
  });
});

describe('registration limit (POST /users, per client address)', () => {
  let t: Api;
  beforeAll(async () => {
    t = await api();
  });
  afterAll(() => t.close());

  const register = (email: string, from: string) =>
    t.app.inject({
      method: 'POST',
      url: '/users',
      remoteAddress: from,
      payload: { email, password: 'correct horse battery' },
    });

  it('a taken email tried thirty times: 409 up to the default limit of 10, then 429', async () => {
    expect((await register('taken@example.com', '10.1.0.1')).statusCode).toBe(201);
    const codes: number[] = [];
    for (let i = 0; i < 29; i++) codes.push((await register('taken@example.com', '10.1.0.1')).statusCode);
    expect(codes.slice(0, 9)).toEqual(Array(9).fill(409));
    expect(new Set(codes.slice(9))).toEqual(new Set([429]));
    expect(limited(await register('new-one@example.com', '10.1.0.1'))).toMatch(
      /too many registrations from this address/,
    );
    // Another address still registers, and nothing was created past the limit.
    expect((await register('new-one@example.com', '10.1.0.2')).statusCode).toBe(201);
    const n = await t.s.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    expect(n.rows[0]?.n).toBe(2);
  });

  it('CHATDB_REGISTER_LIMIT_PER_ADDRESS sets it, and a bad value names the variable', () => {
    expect(loadConfig({}).registerLimit).toEqual({ perAddress: 10 });
    expect(loadConfig({ CHATDB_REGISTER_LIMIT_PER_ADDRESS: '50' }).registerLimit).toEqual({ perAddress: 50 });
    expect(() => loadConfig({ CHATDB_REGISTER_LIMIT_PER_ADDRESS: '0' })).toThrow(
      /^CHATDB_REGISTER_LIMIT_PER_ADDRESS /,
    );
  });
});
