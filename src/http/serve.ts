import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { type Database, openDatabase } from '../db/index.js';
import { createChatDb } from '../store/chatdb.js';
import { buildApp } from './app.js';

export interface ServeOptions {
  readonly config: Config;
  /** Brings the schema up to date, or refuses to start (throws). Runs before the app is built. */
  readonly prepare?: (db: Database) => Promise<void>;
  /** Where the ready line goes. Default stdout. */
  readonly print?: (line: string) => void;
  /** Install SIGTERM/SIGINT handlers for a graceful shutdown. Default true. */
  readonly handleSignals?: boolean;
}

export interface Server {
  readonly url: string;
  readonly app: FastifyInstance;
  /** Stops accepting, finishes in-flight requests, closes the database. */
  close(): Promise<void>;
}

/**
 * Opens the database, prepares it, and serves the API on config.host:config.port (port 0: any).
 * On SIGTERM/SIGINT it stops accepting, lets in-flight requests finish and closes the pool; a
 * second signal exits at once.
 */
export async function serve(options: ServeOptions): Promise<Server> {
  const { config } = options;
  const print = options.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const db = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    connectRetries: 2,
    poolSize: 10,
  });
  let app: FastifyInstance;
  try {
    await options.prepare?.(db);
    app = await buildApp({
      chat: createChatDb(db, { tokenTtlSeconds: config.tokenTtlSeconds }),
      bodyLimit: config.bodyLimit,
      corsOrigins: config.corsOrigins,
      logger: { level: config.logLevel },
    });
    await app.listen({ port: config.port, host: config.host });
  } catch (e) {
    await db.close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  print(`chatdb listening on ${url} (docs: ${url}/docs) on ${db.target}`);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      try {
        await app.close();
      } finally {
        await db.close();
      }
    })();
    return closing;
  };
  if (options.handleSignals !== false) {
    const onSignal = (signal: string) => {
      if (closing) process.exit(130);
      print(`chatdb: ${signal}: finishing in-flight requests, then stopping`);
      void close().then(() => {
        process.removeListener('SIGTERM', onSignal);
        process.removeListener('SIGINT', onSignal);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return { url, app, close };
}
