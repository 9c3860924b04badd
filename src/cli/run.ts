import { existsSync, statSync } from 'node:fs';
import { CommanderError } from 'commander';
import { ChatDbError, isChatDbError } from '../errors.js';
import { buildProgram } from './program.js';

/**
 * The text printed for an error: its message for errors a user can cause (ChatDbError), one generic
 * line otherwise, plus the stack only when `debug` (CHATDB_DEBUG=1).
 */
export function describeError(e: unknown, debug = false): string {
  if (isChatDbError(e)) return `chatdb: ${e.message}\n`;
  const message = e instanceof Error ? e.message : String(e);
  const line = `chatdb: unexpected error: ${message.split('\n')[0]}\n`;
  return debug && e instanceof Error && e.stack ? `${line}${e.stack}\n` : line;
}

/** Reads `.env` in the working directory (variables already set win); a `.env` it cannot read is a clear error. */
function loadDotEnv(): void {
  if (!existsSync('.env')) return;
  const unreadable = (reason: string, cause?: unknown) =>
    new ChatDbError(
      'config_invalid',
      `cannot read .env in ${process.cwd()} (${reason}): make it a file of NAME=value lines, or remove it`,
      { cause },
    );
  if (!statSync('.env').isFile()) throw unreadable('it is not a file');
  try {
    process.loadEnvFile('.env');
  } catch (e) {
    throw unreadable((e as Error).message, e);
  }
}

/** Runs the CLI on `argv` (as process.argv: node, script, args…); resolves to the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  try {
    loadDotEnv();
    await buildProgram().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    // Commander printed its message already (help, version, usage error).
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    process.stderr.write(describeError(e, process.env.CHATDB_DEBUG === '1'));
    return 1;
  }
}
