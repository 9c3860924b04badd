import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnv, MAIN, TSX } from './cli.js';

const READY = /chatdb listening on (http:\/\/\S+)/;

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Path of the file holding everything the process wrote to stdout and stderr. */
  readonly logFile: string;
  /** Everything the process has written so far. */
  output(): string;
  /** SIGTERM (graceful) and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown code runs, as in a crash or an OOM kill. */
  kill9(): Promise<void>;
}

export interface StartOptions {
  /** Working directory (its ./migrations is the migrations directory unless CHATDB_MIGRATIONS_DIR). */
  readonly cwd: string;
  /** Environment of the server on top of the parent's (its database variables removed: see childEnv). */
  readonly env?: Record<string, string>;
  /** Extra arguments after `serve --port 0`. */
  readonly args?: readonly string[];
  /** Runs this built CLI (bin/chatdb.js after `npm run build`) instead of the sources under tsx. */
  readonly bin?: string;
  /** How long to wait for the ready line. Default 60 s. */
  readonly timeoutMs?: number;
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

/**
 * Starts `chatdb serve --port 0` from source (or `options.bin`) in a child process, its output going
 * to a file (a pipe nobody drains would stall it), and resolves once it prints the URL it listens on.
 */
export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const logFile = join(mkdtempSync(join(tmpdir(), 'chatdb-server-log-')), 'server.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      ...(options.bin ? [options.bin] : ['--import', TSX, MAIN]),
      'serve',
      '--port',
      '0',
      ...(options.args ?? []),
    ],
    {
      cwd: options.cwd,
      env: childEnv({ LOG_LEVEL: 'info', ...options.env }),
      stdio: ['ignore', fd, fd],
    },
  );
  closeSync(fd);
  const output = () => readFileSync(logFile, 'utf8');
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let url: string | undefined;
  while (!url) {
    url = READY.exec(output())?.[1];
    if (url) break;
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`chatdb serve did not start (exit ${child.exitCode}):\n${output()}`);
    }
    await sleep(50);
  }
  return {
    url,
    child,
    logFile,
    output,
    async stop() {
      child.kill('SIGTERM');
      return exited(child);
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}
