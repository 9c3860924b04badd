import { existsSync, statSync } from 'node:fs';
import { CommanderError } from 'commander';
import { ChatDbError, isChatDbError } from '../errors.js';
import { jsonError } from './context.js';
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

/** True when the arguments ask for JSON (`--json` before any `--`). */
const asksJson = (args: readonly string[]): boolean => {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
};

/**
 * Runs the CLI on `argv` (as process.argv: node, script, args…); resolves to the exit code. A
 * failure is one `chatdb: …` line on stderr; with --json also `{"error":{"code","message"}}` on
 * stdout (code `usage` for a usage error, `unexpected` for a bug).
 */
export async function run(argv: readonly string[]): Promise<number> {
  const json = asksJson(argv.slice(2));
  try {
    loadDotEnv();
    await buildProgram().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    // Commander printed its message already (help, version, usage error).
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      if (json) process.stdout.write(jsonError('usage', oneLine(e.message.replace(/^error: /, ''))));
      return 2;
    }
    const line = describeError(e, process.env.CHATDB_DEBUG === '1');
    process.stderr.write(line);
    if (json)
      process.stdout.write(
        jsonError(
          isChatDbError(e) ? e.code : 'unexpected',
          oneLine(line.split('\n')[0]?.replace(/^chatdb: /, '') ?? ''),
        ),
      );
    return 1;
  }
}

const oneLine = (s: string): string => s.trim().replace(/\s*\n\s*/g, ' ');
