import { createServer } from 'node:net';

export interface FakePostgres {
  readonly port: number;
  /** Connections accepted so far: a client that retries shows up more than once. */
  readonly connections: () => number;
  close(): Promise<void>;
}

/** One ErrorResponse message ('E'): severity, SQLSTATE and message fields, each NUL-terminated. */
export function errorResponse(code: string, message: string): Buffer {
  const fields = [
    ['S', 'FATAL'],
    ['V', 'FATAL'],
    ['C', code],
    ['M', message],
  ].map(([type, value]) => Buffer.from(`${type}${value}\0`));
  const body = Buffer.concat([...fields, Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/**
 * A server on 127.0.0.1 that speaks just enough of the Postgres protocol to refuse a login: it
 * answers the startup message with a FATAL ErrorResponse (default SQLSTATE 28P01, what Postgres
 * sends for a wrong password) and hangs up. The test server trusts every password, so a real
 * wrong password cannot be produced there.
 */
export async function fakePostgres(
  code = '28P01',
  message = 'password authentication failed for user "u"',
): Promise<FakePostgres> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(errorResponse(code, message)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake postgres: no port');
  return {
    port: address.port,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
