import { type ChildProcess, spawn } from 'node:child_process';

const CLI = new URL('./cli.ts', import.meta.url).pathname;
/** tsx's loader by absolute URL, so the CLI also runs from directories without node_modules. */
const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `chatdb ARGS` (with the safety commands) as a child; DATABASE_URL only from `env`. */
export function startCli(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd = process.cwd(),
): ChildProcess {
  const {
    DATABASE_URL: _a,
    TEST_DATABASE_URL: _b,
    DATABASE_URL_UNPOOLED: _c,
    DIRECT_URL: _d,
    ...base
  } = process.env;
  return spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a child's output until it ends. */
export function finished(child: ChildProcess): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs `chatdb ARGS` to the end. */
export const runCli = (
  args: readonly string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<CliRun> => finished(startCli(args, env, cwd));
