import { existsSync } from 'node:fs';
import { CommanderError } from 'commander';
import { isChatDbError } from '../errors.js';
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

/** Runs the CLI on `argv` (as process.argv: node, script, args…); resolves to the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  try {
    if (existsSync('.env')) process.loadEnvFile('.env'); // variables already set win
    await buildProgram().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    // Commander printed its message already (help, version, usage error).
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    process.stderr.write(describeError(e, process.env.CHATDB_DEBUG === '1'));
    return 1;
  }
}
