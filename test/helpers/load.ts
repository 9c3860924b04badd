import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { expect } from 'vitest';
import type { Queryable } from '../../src/db/index.js';

/** One simulated chat client: a logged-in user writing to a session of their own. */
export interface Client {
  readonly userId: string;
  readonly headers: Record<string, string>;
  readonly sessionId: string;
}

/** A message the server acknowledged with 201. */
export interface Acked {
  readonly id: string;
  readonly sessionId: string;
  readonly seq: number;
}

export interface LoadResult {
  /** Responses by status code; network failures (no response at all) under 0. */
  readonly statuses: Record<number, number>;
  readonly acked: Acked[];
  /** Responses other than 201: status, content type, first 200 characters of the body. */
  readonly failures: { status: number; type: string; body: string; at: number; ms: number }[];
  /** Slowest request, in ms. */
  readonly maxMs: number;
  readonly requests: number;
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** Keep-alive connections, as many as there are clients in flight. */
const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

/**
 * POSTs over node:http on a keep-alive agent. (fetch, i.e. undici, left some requests of 100
 * concurrent clients waiting ~10 s on the client side while the server answered all in < 50 ms.)
 */
function post(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: text }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Registers `users` users over HTTP, logs each in and gives each `perUser` sessions: one Client per session. */
export async function makeClients(
  url: string,
  users: number,
  perUser: number,
  tag = 'load',
): Promise<Client[]> {
  const out: Client[] = [];
  await Promise.all(
    Array.from({ length: users }, async (_, u) => {
      const creds = JSON.stringify({ email: `${tag}-${u}@example.com`, password: `password-of-${tag}-${u}` });
      const reg = await fetch(`${url}/users`, { method: 'POST', headers: JSON_TYPE, body: creds });
      if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
      const { id } = (await reg.json()) as { id: string };
      const tok = await fetch(`${url}/auth/token`, { method: 'POST', headers: JSON_TYPE, body: creds });
      if (tok.status !== 200) throw new Error(`login: ${tok.status} ${await tok.text()}`);
      const { access_token } = (await tok.json()) as { access_token: string };
      const headers = { ...JSON_TYPE, authorization: `Bearer ${access_token}` };
      for (let s = 0; s < perUser; s++) {
        const r = await fetch(`${url}/chat/sessions`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ title: `${tag} ${u}/${s}` }),
        });
        if (r.status !== 201) throw new Error(`session: ${r.status} ${await r.text()}`);
        out.push({ userId: id, headers, sessionId: ((await r.json()) as { id: string }).id });
      }
    }),
  );
  return out;
}

/** The body of the i-th append of a client: an answer with two citations. */
export const appendBody = (i: number): string =>
  JSON.stringify({
    role: i % 2 === 0 ? 'user' : 'assistant',
    content: `message ${i}: how do I calibrate the robot arm before first use?`,
    citations: [
      { document_id: 'manual-arm', chunk_id: `chunk-${i % 17}`, score: 0.91 },
      { document_id: 'faq', chunk_id: 'calibration', score: 0.74 },
    ],
  });

/**
 * Every client appends messages to its own session, one request at a time, until `durationMs` has
 * passed (or `until()` says stop). Records every status and every acknowledged message.
 */
export async function appendLoad(
  url: string,
  clients: readonly Client[],
  options: { durationMs: number; until?: () => boolean },
): Promise<LoadResult> {
  const statuses: Record<number, number> = {};
  const acked: Acked[] = [];
  const failures: LoadResult['failures'] = [];
  const t0 = performance.now();
  let maxMs = 0;
  let requests = 0;
  const done = () => performance.now() - t0 >= options.durationMs || options.until?.() === true;
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; !done(); i++) {
        const started = performance.now();
        let status = 0;
        let type = '';
        let body = '';
        try {
          ({ status, type, body } = await post(
            `${url}/chat/sessions/${c.sessionId}/messages`,
            c.headers,
            appendBody(i),
          ));
        } catch (e) {
          body = (e as Error).message;
        }
        const ms = performance.now() - started;
        requests++;
        maxMs = Math.max(maxMs, ms);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 201) {
          const m = JSON.parse(body) as { id: string; seq: number; session_id: string };
          acked.push({ id: m.id, sessionId: m.session_id, seq: m.seq });
        } else {
          failures.push({ status, type, body: body.slice(0, 200), at: started - t0, ms });
        }
      }
    }),
  );
  return { statuses, acked, failures, maxMs, requests };
}

export interface Accounting {
  /** Acknowledged messages not found in the database (with the same session and seq). */
  readonly missing: Acked[];
  /** Sessions whose seqs are not exactly 1..message_count. */
  readonly broken: { sessionId: string; messageCount: number; seqs: number }[];
  /** Messages stored in the given sessions. */
  readonly stored: number;
}

/**
 * Checks that every acknowledged message is in the database with its session and seq, and that each
 * session's messages are numbered 1..message_count without gaps or repeats.
 */
async function accountFor(
  db: Queryable,
  acked: readonly Acked[],
  sessionIds: readonly string[],
): Promise<Accounting> {
  const found = await db.query<{ id: string; session_id: string; seq: number }>(
    'SELECT id::text AS id, session_id::text AS session_id, seq FROM messages WHERE id = ANY($1::uuid[])',
    [acked.map((a) => a.id)],
  );
  const byId = new Map(found.rows.map((r) => [r.id, r]));
  const missing = acked.filter((a) => {
    const r = byId.get(a.id);
    return !r || r.session_id !== a.sessionId || r.seq !== a.seq;
  });
  const sessions = await db.query<{ id: string; message_count: number; n: number; ok: boolean }>(
    `SELECT s.id::text AS id, s.message_count, count(m.id)::int AS n,
            count(m.id) = s.message_count AND coalesce(min(m.seq), 1) = 1
              AND coalesce(max(m.seq), 0) = s.message_count AND count(DISTINCT m.seq) = count(m.id) AS ok
       FROM chat_sessions s LEFT JOIN messages m ON m.session_id = s.id
      WHERE s.id = ANY($1::uuid[]) GROUP BY s.id, s.message_count`,
    [sessionIds],
  );
  return {
    missing,
    broken: sessions.rows
      .filter((r) => !r.ok)
      .map((r) => ({ sessionId: r.id, messageCount: r.message_count, seqs: r.n })),
    stored: sessions.rows.reduce((a, r) => a + r.n, 0),
  };
}

/**
 * Asserts what `accountFor` checks: every acknowledged message stored with its session and seq,
 * every session gap-free; with `exact`, nothing stored beyond the acknowledged messages (every
 * request was answered), otherwise a commit whose reply was lost may be stored without its 201.
 */
export async function expectAccounted(
  db: Queryable,
  acked: readonly Acked[],
  clients: readonly Client[],
  options: { exact?: boolean } = {},
): Promise<void> {
  const acct = await accountFor(
    db,
    acked,
    clients.map((c) => c.sessionId),
  );
  expect(acct.missing).toEqual([]);
  expect(acct.broken).toEqual([]);
  if (options.exact) expect(acct.stored).toBe(acked.length);
  else expect(acct.stored).toBeGreaterThanOrEqual(acked.length);
}
