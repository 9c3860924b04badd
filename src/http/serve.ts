import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
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

/**
 * How long a kept-alive connection may sit idle during a drain before the server ends it (a FIN,
 * as a keep-alive timeout would): long enough that a busy client's next request arrives first and
 * is answered (503, Connection: close), short enough not to hold the exit up.
 */
export const DRAIN_IDLE_MS = 1000;

/**
 * The drain of `server`: stops listening at once, then waits for every connection to end. It does
 * not use http's server.close(), which destroys idle kept-alive connections on the spot: a request
 * already on its way on one then meets a closed socket and the client gets a TCP reset. Here a
 * connection ends after a response (onSend adds Connection: close while draining), or once it has
 * been idle for DRAIN_IDLE_MS, with a FIN rather than a reset.
 */
function drainer(server: HttpServer, idleMs = DRAIN_IDLE_MS): () => Promise<void> {
  const idleSince = new Map<Socket, number | undefined>();
  server.on('connection', (socket: Socket) => {
    idleSince.set(socket, Date.now());
    socket.once('close', () => idleSince.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    idleSince.set(req.socket, undefined);
    res.once('close', () => {
      if (idleSince.has(req.socket)) idleSince.set(req.socket, Date.now());
    });
  });
  return () =>
    new Promise<void>((resolve) => {
      const sweep = setInterval(() => {
        const now = Date.now();
        for (const [socket, since] of idleSince) {
          if (since === undefined || now - since < idleMs || socket.writableEnded) continue;
          socket.end();
          // A peer that never closes its side is let go after a while.
          setTimeout(() => socket.destroy(), 5000).unref();
        }
      }, 50);
      NetServer.prototype.close.call(server, () => {
        clearInterval(sweep);
        resolve();
      });
    });
}

export interface Server {
  readonly url: string;
  readonly app: FastifyInstance;
  /**
   * Stops accepting connections at once, lets in-flight requests finish (their responses close
   * their connections; a request arriving on a kept-alive one gets a 503 problem; a connection
   * idle for DRAIN_IDLE_MS is ended), then closes the app and the database.
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
    statementTimeoutMs: config.statementTimeoutMs,
    logger: throttled(options.dbLogger ?? defaultLogger),
    pgliteExtensions: () => embeddedExtensions(config.migrationsDir),
  });
  let app: FastifyInstance;
  try {
    await options.prepare?.(db);
    app = await buildApp({
      chat: createChatDb(db, {
        tokenTtlSeconds: config.tokenTtlSeconds,
        trashRetentionDays: config.trashRetentionDays,
      }),
      bodyLimit: config.bodyLimit,
      corsOrigins: config.corsOrigins,
      trustProxy: config.trustProxy,
      loginLimit: config.loginLimit,
      registerLimit: config.registerLimit,
      shareLimit: config.shareLimit,
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

  const drain = drainer(app.server);
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      try {
        // Every connection has ended once drain() resolves; app.close() then finds the server
        // closed (Fastify allows that) and runs the onClose hooks.
        await drain();
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
