import { neonConfig, Pool } from '@neondatabase/serverless';
import ws from 'ws';
import { startWsBridge, type WsBridge } from './ws-bridge.js';

/**
 * TEST_DRIVER=neon (with TEST_DATABASE_URL): the tests' Database goes through
 * `@neondatabase/serverless`'s Pool, over WebSockets, to a local WebSocket-to-TCP bridge in front
 * of the test server, as an edge function reaches Neon through its proxy.
 */
export const throughNeonDriver =
  process.env.TEST_DRIVER === 'neon' && Boolean(process.env.TEST_DATABASE_URL?.trim());

let bridge: Promise<WsBridge> | undefined;

/** The one bridge of this test process, started on first use. */
export function neonBridge(): Promise<WsBridge> {
  bridge ??= startWsBridge();
  return bridge;
}

/** A `@neondatabase/serverless` Pool on `url`, through the local bridge (plain ws, no pipelining). */
export async function neonPool(url: string): Promise<Pool> {
  const { port } = await neonBridge();
  neonConfig.webSocketConstructor = ws;
  neonConfig.wsProxy = (host, p) => `127.0.0.1:${port}/v1?address=${host}:${p}`;
  neonConfig.useSecureWebSocket = false;
  // Neon's proxy takes a cleartext password pipelined with the startup; a plain server may not.
  neonConfig.pipelineConnect = false;
  neonConfig.pipelineTLS = false;
  const pool = new Pool({ connectionString: url, max: 10 });
  // The application's pool, the application's listener: an idle connection ended by the server
  // (DROP DATABASE … WITH (FORCE) at the end of a test file) must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}
