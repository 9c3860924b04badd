import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { ChatDbError } from '../errors.js';

/** Oldest Postgres chatdb supports; squawk tunes some rules by version. */
export const DEFAULT_SQUAWK_PG_VERSION = '14';

/** How long one squawk run may take before lint gives up on squawk (ms). */
export const DEFAULT_SQUAWK_TIMEOUT_MS = 60_000;

/**
 * The squawk timeout: `CHATDB_SQUAWK_TIMEOUT` (seconds, decimals allowed) when set, else 60 s.
 * Throws `config_invalid` on a value that is not a positive number.
 */
export function squawkTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CHATDB_SQUAWK_TIMEOUT?.trim();
  if (!raw) return DEFAULT_SQUAWK_TIMEOUT_MS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new ChatDbError(
      'config_invalid',
      `CHATDB_SQUAWK_TIMEOUT=${raw}: give a number of seconds, e.g. 60`,
    );
  return Math.round(seconds * 1000);
}

/** One violation as squawk's JSON reporter prints it (lines there are 0-based). */
export interface SquawkViolation {
  readonly line: number;
  readonly column: number;
  readonly level: string;
  readonly rule: string;
  readonly message: string;
  readonly help: string | null;
}

export type SquawkResult =
  | { readonly ok: true; readonly violations: readonly SquawkViolation[] }
  | { readonly ok: false; readonly reason: string };

export interface SquawkRunOptions {
  /** The binary; default from `resolveSquawkPath()`. */
  readonly binPath?: string | undefined;
  /** Name squawk uses in its report (and for its own ignore handling). */
  readonly filePath: string;
  /** Pass `--assume-in-transaction` (chatdb wraps the migration in one) or its negation. */
  readonly inTransaction: boolean;
  /** Postgres version for squawk; default 14, not passed when the project has a `.squawk.toml`. */
  readonly pgVersion?: string | undefined;
  /** Working directory: squawk finds a project's `.squawk.toml` from there. Default cwd. */
  readonly cwd?: string | undefined;
  /** Kill squawk and give up after this long (ms). Default `DEFAULT_SQUAWK_TIMEOUT_MS`. */
  readonly timeoutMs?: number | undefined;
}

/** How packages are found (Node's `require`; a test passes one that finds nothing). */
export type PackageResolver = ((id: string) => unknown) & { resolve(id: string): string };

/**
 * Finds the squawk binary: `CHATDB_SQUAWK_PATH` when set, else the platform binary that the
 * `squawk-cli` npm package installs (resolved the way its own launcher does). Undefined if absent.
 */
export function resolveSquawkPath(
  env: NodeJS.ProcessEnv = process.env,
  require: PackageResolver = createRequire(import.meta.url),
): string | undefined {
  const override = env.CHATDB_SQUAWK_PATH?.trim();
  if (override) return resolve(override);
  try {
    const launcher = require('squawk-cli/js/index.js') as { getBinaryPath(): string };
    return launcher.getBinaryPath();
  } catch {
    try {
      // The launcher exits the process on an unsupported platform in some versions; look directly.
      const pkg = require.resolve(`@squawk-cli/${process.platform}-${process.arch}/package.json`);
      const bin = join(dirname(pkg), 'bin', process.platform === 'win32' ? 'squawk.exe' : 'squawk');
      return existsSync(bin) ? bin : undefined;
    } catch {
      return undefined;
    }
  }
}

const hasSquawkConfig = (cwd: string): boolean => {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.squawk.toml'))) return true;
    if (dirname(dir) === dir) return false;
  }
};

const parseViolations = (stdout: string): SquawkViolation[] | undefined => {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (!Array.isArray(raw)) return undefined;
  return raw.map((v: Record<string, unknown>) => ({
    line: Number(v.line ?? 0),
    column: Number(v.column ?? 0),
    level: String(v.level ?? 'Warning'),
    rule: String(v.rule_name ?? 'squawk'),
    message: String(v.message ?? ''),
    help: typeof v.help === 'string' ? v.help : null,
  }));
};

/**
 * Runs squawk over `sql` (sent on stdin) with its JSON reporter. Never throws: a missing binary, or
 * one that fails to start, answers garbage or does not answer within `timeoutMs` (it is killed),
 * gives `{ ok: false, reason }` with a one-line reason.
 */
export function runSquawk(sql: string, options: SquawkRunOptions): Promise<SquawkResult> {
  const bin = options.binPath ?? resolveSquawkPath();
  if (!bin) return Promise.resolve({ ok: false, reason: 'squawk is not installed (npm package squawk-cli)' });
  const cwd = options.cwd ?? process.cwd();
  const args = ['--reporter', 'json', '--stdin-filepath', options.filePath];
  args.push(options.inTransaction ? '--assume-in-transaction' : '--no-assume-in-transaction');
  if (options.pgVersion !== undefined || !hasSquawkConfig(cwd))
    args.push('--pg-version', options.pgVersion ?? DEFAULT_SQUAWK_PG_VERSION);
  return new Promise((done) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (r: SquawkResult): void => {
      if (!settled) {
        settled = true;
        done(r);
      }
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(bin, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      finish({ ok: false, reason: `squawk could not start (${bin}): ${(e as Error).message}` });
      return;
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_SQUAWK_TIMEOUT_MS;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      // Do not wait for 'close': a grandchild may hold the pipes open.
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish({
        ok: false,
        reason: `squawk did not answer within ${timeoutMs / 1000} s (${bin}; CHATDB_SQUAWK_TIMEOUT sets the limit in seconds) and was stopped`,
      });
    }, timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      finish({ ok: false, reason: `squawk could not start (${bin}): ${e.message}` });
    });
    // A binary that exits before reading its input makes the write fail: that is reported by 'close'.
    child.stdin?.on('error', () => undefined);
    child.on('close', (code) => {
      clearTimeout(timer);
      const violations = parseViolations(stdout);
      if (violations && (code === 0 || code === 1)) finish({ ok: true, violations });
      else {
        const why = stderr.trim().split('\n')[0] || `exit code ${code}`;
        finish({ ok: false, reason: `squawk failed (${bin}): ${why}` });
      }
    });
    child.stdin?.end(sql);
  });
}
