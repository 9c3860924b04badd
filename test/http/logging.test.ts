import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { createChatDb } from '../../src/store/chatdb.js';
import { freshDatabase } from '../helpers/db.js';

/** An app whose pino lines land in `lines` (one JSON object each). */
async function logged(db: Parameters<typeof createChatDb>[0]) {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = {
    write(line: string) {
      raw.push(line);
      lines.push(JSON.parse(line));
    },
  };
  const app = await buildApp({ chat: createChatDb(db), logger: { level: 'info', stream } });
  return { app, lines, raw };
}

describe('request log', () => {
  it('writes exactly one line per request, without secrets or query text', async () => {
    const s = await freshDatabase('all');
    const { app, lines, raw } = await logged(s.db);
    try {
      const password = 'super-secret-password-123';
      const email = 'log@example.com';
      const requests: { method: string; path: string }[] = [];
      const call = async (o: InjectOptions & { method: string; url: string }) => {
        requests.push({ method: o.method, path: o.url.split('?')[0] as string });
        return app.inject(o);
      };
      await call({ method: 'POST', url: '/users', payload: { email, password } });
      await call({ method: 'POST', url: '/auth/token', payload: { email, password: 'wrong-password-456' } });
      const token = (await call({ method: 'POST', url: '/auth/token', payload: { email, password } })).json()
        .access_token as string;
      const h = { authorization: `Bearer ${token}` };
      await call({ method: 'GET', url: '/users/me', headers: h });
      const sid = (await call({ method: 'POST', url: '/chat/sessions', headers: h, payload: {} })).json().id;
      const key = 'idem-key-secret-789';
      await call({
        method: 'POST',
        url: `/chat/sessions/${sid}/messages`,
        headers: { ...h, 'idempotency-key': key },
        payload: { role: 'user', content: 'about zebras' },
      });
      const search = await call({ method: 'GET', url: '/chat/search?q=zebras-query-text', headers: h });
      expect(search.statusCode).toBe(200);
      await call({ method: 'GET', url: '/chat/sessions?limit=1&cursor=cursor-text-000', headers: h });
      await call({ method: 'GET', url: '/users/me', headers: { authorization: 'Bearer forged-token-abc' } });
      await call({ method: 'POST', url: '/auth/logout', headers: h });

      expect(lines.map((l) => [l.method, l.path])).toEqual(requests.map((r) => [r.method, r.path]));
      expect(new Set(lines.map((l) => l.reqId)).size).toBe(requests.length);
      for (const l of lines) {
        expect(l).toMatchObject({
          level: 30,
          msg: 'request',
          statusCode: expect.any(Number),
          responseTime: expect.any(Number),
          route: expect.any(String),
        });
      }
      expect(lines.map((l) => l.statusCode)).toEqual([201, 401, 200, 200, 201, 201, 200, 400, 401, 204]);
      const all = raw.join('');
      for (const secret of [
        password,
        'wrong-password-456',
        token,
        'forged-token-abc',
        'Bearer',
        key,
        'zebras',
        'cursor-text-000',
        '?',
      ]) {
        expect(all, secret).not.toContain(secret);
      }
    } finally {
      await app.close();
      await s.drop();
    }
  });

  it('a 5xx is one line at error level, with the error', async () => {
    const s = await freshDatabase('all');
    const { app, lines } = await logged(s.db);
    await s.drop();
    try {
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 50, statusCode: 503, path: '/readyz', err: expect.anything() });
    } finally {
      await app.close();
    }
  });
});
