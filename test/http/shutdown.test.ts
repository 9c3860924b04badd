import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cliDatabase, collectOutput, spawnChatdb, tempDir } from '../helpers/cli.js';
import { createScratchUrl, onRealPostgres } from '../helpers/db.js';
import { appendBody, makeClients } from '../helpers/load.js';
import { serveQuietly } from './helpers.js';

/** Resolves once `read()` matches `pattern`, re-checking whenever `emitter` emits data. */
const until = (emitter: NodeJS.EventEmitter, read: () => string, pattern: RegExp) =>
  new Promise<RegExpMatchArray>((resolve) => {
    const check = () => {
      const m = read().match(pattern);
      if (m) {
        emitter.off('data', check);
        resolve(m);
      }
    };
    emitter.on('data', check);
    check();
  });

/**
 * Starts POST /users on a raw socket and sends all but the end of its body, so the request stays
 * in flight: it resolves once the server has parsed the headers (its `100 Continue`).
 */
async function startSlowRegister(port: number, email: string) {
  const body = JSON.stringify({ email, password: 'correct horse battery' });
  const socket: Socket = connect(port, '127.0.0.1');
  let out = '';
  socket.on('data', (d) => {
    out += d;
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  socket.write(
    `POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n${body.slice(0, 10)}`,
  );
  await until(socket, () => out, /^HTTP\/1\.1 100 Continue\r\n\r\n/);
  return {
    /** Sends the rest of the body; resolves to what the server answered once it closed the socket. */
    async finish() {
      socket.write(body.slice(10));
      await closed;
      return out.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '');
    },
  };
}

/** What a new connection to `port` gets: 'connected', or the error code. */
const tryConnect = (port: number) =>
  new Promise<string>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });

describe('serve() over a socket', () => {
  it('applies CHATDB_BODY_LIMIT (413), then on close() finishes the request in flight and refuses new connections', async () => {
    const scratch = onRealPostgres ? await createScratchUrl() : undefined;
    const env = scratch ? scratch.env : {};
    const server = await serveQuietly(
      { ...env, CHATDB_BODY_LIMIT: '2048' },
      { dataDir: tempDir('chatdb-serve-') },
      { migrate: true },
    );
    try {
      const port = Number(new URL(server.url).port);
      const big = await fetch(`${server.url}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(3000) }),
      });
      expect(big.status).toBe(413);
      expect(big.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const small = await fetch(`${server.url}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'small@example.com', password: 'x'.repeat(1000) }),
      });
      expect(small.status).toBe(201);

      const slow = await startSlowRegister(port, 'slow@example.com');
      const closing = server.close();
      expect(await tryConnect(port)).toBe('ECONNREFUSED');
      const answer = await slow.finish();
      expect(answer).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
      expect(answer).toMatch(/\r\nconnection: close\r\n/i);
      expect(answer).toContain('"email":"slow@example.com"');
      await closing;
    } finally {
      await server.close();
      await scratch?.drop();
    }
  });
});

describe('chatdb serve', () => {
  it('on SIGTERM stops accepting, answers the request in flight, and exits with 0', async () => {
    const db = await cliDatabase();
    const child = spawnChatdb(['serve', '--port', '0', '--migrate', ...db.args], tempDir(), {
      LOG_LEVEL: 'silent',
    });
    const { stdout, stderr } = collectOutput(child);
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const [, url] = await until(child.stdout, stdout, /chatdb listening on (http:\/\/\S+)/);
      const port = Number(new URL(url as string).port);
      const slow = await startSlowRegister(port, 'sigterm@example.com');
      child.kill('SIGTERM');
      await until(child.stdout, stdout, /SIGTERM: not accepting connections/);
      expect(await tryConnect(port)).toBe('ECONNREFUSED');
      expect(await slow.finish()).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
      expect(await exited, stderr()).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await db.drop();
    }
  });
});

describe('serve() closing under load, on kept-alive connections', () => {
  it('every request gets an answer (201, or 503 problem with Connection: close), never a reset', async () => {
    const scratch = onRealPostgres ? await createScratchUrl() : undefined;
    const env = scratch ? scratch.env : {};
    const server = await serveQuietly(env, { dataDir: tempDir('chatdb-drain-') }, { migrate: true });
    const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
    try {
      const clients = await makeClients(server.url, 5, 4, 'drain');
      type Outcome = { status: number; connection?: string; type?: string; error?: string; reused?: boolean };
      const outcomes: Outcome[] = [];
      const send = (c: (typeof clients)[number], i: number, via = agent) =>
        new Promise<Outcome>((resolve) => {
          const req = request(
            `${server.url}/chat/sessions/${c.sessionId}/messages`,
            { method: 'POST', headers: c.headers, agent: via },
            (res) => {
              res.resume();
              res.on('end', () =>
                resolve({
                  status: res.statusCode ?? 0,
                  connection: String(res.headers.connection),
                  type: String(res.headers['content-type']),
                  reused: req.reusedSocket,
                }),
              );
            },
          );
          req.on('error', (e: NodeJS.ErrnoException) =>
            resolve({ status: 0, error: e.code ?? e.message, reused: req.reusedSocket }),
          );
          req.end(appendBody(i));
        });
      // One more client, on its own kept-alive connection that is idle when the close starts: its
      // request after the close is the one that must be answered 503 (under load, every loop's
      // connection may be busy at that moment, and then only 201s with Connection: close occur).
      const lateAgent = new Agent({ keepAlive: true, maxSockets: 1 });
      const late = clients[0];
      if (!late) throw new Error('no client');
      expect((await send(late, -1, lateAgent)).status).toBe(201);
      let lateOutcome: Promise<Outcome> | undefined;
      let stop = false;
      const answered = new Set<string>();
      let closing: Promise<void> | undefined;
      const loops = clients.map(async (c) => {
        for (let i = 0; !stop; i++) {
          const o = await send(c, i);
          outcomes.push(o);
          if (o.status === 201) answered.add(c.sessionId);
          // Once the listening socket is closed a new connection is refused: that client is done.
          if (o.error === 'ECONNREFUSED') return;
        }
      });
      // Close once every client is on a kept-alive connection the server has accepted and answered
      // (a connection still in the listen backlog when the listener closes is the kernel's to refuse).
      const warm = setInterval(() => {
        if (answered.size < clients.length) return;
        clearInterval(warm);
        setTimeout(() => {
          closing = server.close();
          lateOutcome = send(late, -2, lateAgent);
        }, 200);
      }, 20);
      // Every client stops at its first refused connection; this only bounds a broken run.
      const bound = setTimeout(() => {
        stop = true;
      }, 20_000);
      await Promise.all(loops);
      clearInterval(warm);
      clearTimeout(bound);
      const lateAnswer = await lateOutcome;
      lateAgent.destroy();
      await closing;
      const by = (s: number) => outcomes.filter((o) => o.status === s);
      expect(closing).toBeDefined();
      // The request that arrived on an idle kept-alive connection after the close: a 503 problem.
      expect(lateAnswer).toMatchObject({ status: 503, connection: 'close', reused: true });
      expect(lateAnswer?.type).toMatch(/^application\/problem\+json/);
      outcomes.push(lateAnswer as Outcome);
      expect(outcomes.filter((o) => o.status === 0 && o.error !== 'ECONNREFUSED')).toEqual([]);
      expect(by(201).length).toBeGreaterThanOrEqual(clients.length);
      // Any request of the loops that arrived on a kept-alive connection after the close: 503 too.
      for (const o of by(503)) {
        expect(o.type).toMatch(/^application\/problem\+json/);
        expect(o.connection).toBe('close');
      }
      expect(outcomes.every((o) => [0, 201, 503].includes(o.status))).toBe(true);
    } finally {
      agent.destroy();
      await server.close();
      await scratch?.drop();
    }
  });
});
