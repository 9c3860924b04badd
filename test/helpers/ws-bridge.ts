import { createServer } from 'node:http';
import { connect } from 'node:net';
import { WebSocketServer } from 'ws';

/**
 * A WebSocket-to-TCP bridge, as Neon's proxy is for `@neondatabase/serverless`: each WebSocket
 * connection to `ws://127.0.0.1:<port>/v1?address=<host>:<port>` is piped, binary frames both ways,
 * to a TCP connection to that address. Only loopback addresses are accepted.
 */
export interface WsBridge {
  readonly port: number;
  /** WebSocket connections accepted so far. */
  readonly connections: () => number;
  close(): Promise<void>;
}

export async function startWsBridge(): Promise<WsBridge> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  let connections = 0;
  wss.on('connection', (ws, req) => {
    const address = new URL(req.url ?? '/', 'http://bridge').searchParams.get('address') ?? '';
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon);
    const port = Number(address.slice(colon + 1));
    if (!['127.0.0.1', 'localhost', '::1'].includes(host) || !Number.isInteger(port)) {
      ws.close(1008, 'loopback addresses only');
      return;
    }
    connections++;
    const tcp = connect({ host, port });
    ws.on('message', (data: Buffer) => tcp.write(data));
    tcp.on('data', (d) => ws.send(d));
    ws.on('close', () => tcp.destroy());
    ws.on('error', () => tcp.destroy());
    tcp.on('close', () => ws.close());
    tcp.on('error', () => ws.terminate());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as { port: number }).port;
  return {
    port,
    connections: () => connections,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
