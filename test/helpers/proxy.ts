import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a database server, to cause outages without touching the server itself
 * (other test files share it): `cut()` drops every connection and refuses new ones, as a restarting
 * server does; `restore()` accepts connections again on the same port.
 */
export interface Proxy {
  readonly port: number;
  /** New connections reach the server only after `ms` (a Neon compute waking up); 0: at once. */
  delay(ms: number): void;
  /**
   * The next `n` connections get `reply` (an ErrorResponse, as Neon's proxy sends while it cannot
   * reach the compute) as soon as they send their startup message, and are closed.
   */
  answerNext(n: number, reply: Buffer): void;
  /** Connections accepted so far. */
  accepted(): number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startProxy(target: { host: string; port: number }): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  let delayMs = 0;
  let answers: Buffer[] = [];
  let accepted = 0;
  const make = (): Server =>
    createServer((client) => {
      accepted++;
      track(client);
      const reply = answers.shift();
      if (reply) {
        client.once('data', () => client.end(reply));
        return;
      }
      client.pause();
      const pipe = () => {
        if (client.destroyed) return;
        const upstream = connect(target);
        track(upstream);
        client.pipe(upstream).pipe(client);
        client.resume();
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      };
      if (delayMs > 0) setTimeout(pipe, delayMs);
      else pipe();
    });
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  let server: Server | undefined = make();
  const port = await listen(server, 0);
  const stop = async () => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  return {
    port,
    delay: (ms) => {
      delayMs = ms;
    },
    answerNext: (n, reply) => {
      answers = Array.from({ length: n }, () => reply);
    },
    accepted: () => accepted,
    cut: stop,
    async restore() {
      if (server) return;
      server = make();
      await listen(server, port);
    },
    close: stop,
  };
}

/** `url` with its host and port replaced by the proxy's (127.0.0.1:port). */
export async function proxiedUrl(url: string): Promise<{ proxy: Proxy; url: string }> {
  const target = new URL(url);
  const proxy = await startProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const via = new URL(url);
  via.host = `127.0.0.1:${proxy.port}`;
  return { proxy, url: via.toString() };
}
