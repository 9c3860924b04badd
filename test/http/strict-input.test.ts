import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { language } from '../../src/store/validate.js';
import { type Api, api, counts, login } from './helpers.js';

/** One spelling for each input: integers in query strings, language tags, bodies, paths. */
let t: Api;
let h: Record<string, string>;
let sid: string;
beforeAll(async () => {
  t = await api();
  ({ h } = await login(t.app, 'strict@example.com'));
  sid = (await t.app.inject({ method: 'POST', url: '/chat/sessions', headers: h, payload: {} })).json().id;
});
afterAll(() => t.close());

type Res = Awaited<ReturnType<Api['app']['inject']>>;
const problemOf = (r: Res, status: number) => {
  expect(r.statusCode, r.body).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  return r.json() as { detail: string; errors?: { path: string; message: string }[] };
};
const get = (url: string) => t.app.inject({ method: 'GET', url, headers: h });

describe('integers in query strings: decimal digits only', () => {
  it('refuses 0x10, 1e2, " 10", +5, 010 and 1.0 for every integer parameter, naming it', async () => {
    const spellings = ['0x10', '1e2', '%2010', '10%20', '%2B5', '010', '1.0', '-0', '0b1'];
    const params = [
      ['/chat/sessions', 'limit'],
      [`/chat/sessions/${sid}/messages`, 'limit'],
      [`/chat/sessions/${sid}/messages`, 'after_seq'],
      [`/chat/sessions/${sid}/messages`, 'before_seq'],
      ['/chat/search?q=x', 'limit'],
    ] as const;
    for (const [path, name] of params) {
      for (const bad of spellings) {
        const r = await get(`${path}${path.includes('?') ? '&' : '?'}${name}=${bad}`);
        expect(problemOf(r, 400).errors, `${path} ${name}=${bad}`).toEqual([
          { path: `querystring.${name}`, message: expect.stringMatching(/decimal digits/) },
        ]);
      }
    }
  });

  it('still takes canonical decimals, and 0 where the minimum allows it', async () => {
    expect((await get('/chat/sessions?limit=10')).statusCode).toBe(200);
    expect((await get(`/chat/sessions/${sid}/messages?after_seq=0&limit=50`)).statusCode).toBe(200);
    expect(problemOf(await get('/chat/sessions?limit=0'), 400).errors?.[0]?.path).toBe('querystring.limit');
  });
});

describe('language tags: any case in, canonical case stored', () => {
  it('the library normalizes to BCP 47 case', () => {
    expect(language('EN')).toBe('en');
    expect(language('en-us')).toBe('en-US');
    expect(language('ZH-HANT-tw')).toBe('zh-Hant-TW');
    expect(language('sr-latn')).toBe('sr-Latn');
    expect(language('es-419')).toBe('es-419');
    expect(language('en-x-TWAIN')).toBe('en-x-twain');
    expect(language('de-CH-1996')).toBe('de-CH-1996');
    expect(() => language('English')).toThrow(/language tag/);
  });

  it('PUT /users/me/profile accepts "EN" and stores "en"', async () => {
    const r = await t.app.inject({
      method: 'PUT',
      url: '/users/me/profile',
      headers: h,
      payload: { preferred_language: 'EN-gb' },
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().preferred_language).toBe('en-GB');
    const row = await t.s.db.query<{ preferred_language: string }>(
      'SELECT preferred_language FROM user_profiles',
    );
    expect(row.rows).toEqual([{ preferred_language: 'en-GB' }]);
  });
});

describe('routes that take no body', () => {
  it('DELETE /users/me with {"x":1}: 400 and the account is kept', async () => {
    const d = await login(t.app, 'keep-me@example.com');
    const before = await counts(t.s);
    for (const payload of ['{"x":1}', '[]', '"yes"', 'true']) {
      const r = await t.app.inject({
        method: 'DELETE',
        url: '/users/me',
        headers: { ...d.h, 'content-type': 'application/json' },
        payload,
      });
      expect(problemOf(r, 400).errors).toEqual([
        { path: 'body', message: 'must be empty: this route takes no body' },
      ]);
    }
    const session = await t.app.inject({
      method: 'DELETE',
      url: `/chat/sessions/${sid}`,
      headers: { ...h, 'content-type': 'application/json' },
      payload: '{"permanent":true}',
    });
    problemOf(session, 400);
    expect(await counts(t.s)).toEqual(before);
    // No body, an empty one and {} still work.
    const ok = await t.app.inject({
      method: 'DELETE',
      url: '/users/me',
      headers: { ...d.h, 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(ok.statusCode).toBe(204);
  });
});

describe('trailing slashes', () => {
  it('/chat/sessions/ and /users/me/ answer alike: 404 no route', async () => {
    for (const url of [
      '/chat/sessions/',
      '/users/me/',
      '/chat/sessions//messages',
      `/chat/sessions/${sid}/`,
    ]) {
      const r = await get(url);
      expect(problemOf(r, 404).detail, url).toBe('no route for GET on this path');
    }
    // Without a token too: no route comes before authentication.
    const anon = await t.app.inject({ method: 'GET', url: '/chat/sessions/' });
    expect(problemOf(anon, 404).detail).toBe('no route for GET on this path');
  });
});
