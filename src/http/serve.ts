import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { type Database, type DbLogger, defaultLogger, openDatabase } from '../db/index.js';
import { embeddedExtensions } from '../safety/pglite-extensions.js';
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
  /** The database adapter's messages (retries, lost connections), throttled. Default stderr. */
  readonly dbLogger?: DbLogger;
}

/**
 * Passes a message on unless one of the same kind (digits aside) went out less than `windowMs`
 * ago, and says how many it held back: during an outage every request retries its connection, and
 * a line per retry would flood the log.
 */
export function throttled(log: DbLogger, windowMs = 5000, now: () => number = Date.now): DbLogger {
  const last = new Map<string, { at: number; held: number }>();
  return (message) => {
    const kind = message.replace(/\d+/g, '#');
    const t = now();
    const seen = last.get(kind);
    if (seen && t - seen.at < windowMs) {
      seen.held++;
      return;
    }
    last.set(kind, { at: t, held: 0 });
    log(seen?.held ? `${message} (and ${seen.held} more like it since the last one)` : message);
  };
}

export interface Server {
  readonly url: string;
  readonly app: FastifyInstance;
  /**
   * Stops accepting connections at once, lets in-flight requests finish (their responses close
   * their connections; idle kept-alive ones are closed), then closes the app and the database.
   */
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
    logger: throttled(options.dbLogger ?? defaultLogger),
    pgliteExtensions: () => embeddedExtensions(config.migrationsDir),
  });
  let app: FastifyInstance;
  try {
    await options.prepare?.(db);
    app = await buildApp({
      chat: createChatDb(db, { tokenTtlSeconds: config.tokenTtlSeconds }),
      bodyLimit: config.bodyLimit,
      corsOrigins: config.corsOrigins,
      trustProxy: config.trustProxy,
      loginLimit: config.loginLimit,
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
      // server.close() closes the listening socket now and calls back once the last connection
      // has ended; app.close() then finds it closed (Fastify allows that) and runs the onClose hooks.
      const drained = new Promise<void>((resolve) => app.server.close(() => resolve()));
      try {
        await drained;
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
      const done = close();
      print(`chatdb: ${signal}: not accepting connections; finishing in-flight requests, then stopping`);
      const stop = () => {
        process.removeListener('SIGTERM', onSignal);
        process.removeListener('SIGINT', onSignal);
      };
      void done.then(stop, (e: unknown) => {
        print(`chatdb: stopping failed: ${(e as Error).message}`);
        process.exitCode = 1;
        stop();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return { url, app, close };
}
