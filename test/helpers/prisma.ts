/**
 * Runs the real Prisma CLI (node_modules/prisma) on chatdb's shipped prisma/schema.prisma, offline.
 *
 * Prisma 7's CLI fetches its schema engine binary before any command, even `validate` and
 * `generate`, which never start it; this machine (and CI) cannot download it. With
 * PRISMA_SCHEMA_ENGINE_BINARY naming an executable the fetch is skipped, and those two commands
 * run on the schema wasm bundled in the CLI. Commands that do start the engine (`db pull`,
 * `migrate diff`, `migrate dev`) are not run here: with a stand-in binary they would only pretend.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childEnv, collectOutput } from './cli.js';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const SCHEMA_PATH = join(ROOT, 'prisma/schema.prisma');
const PRISMA_CLI = join(ROOT, 'node_modules/prisma/build/index.js');

/** The environment of every Prisma CLI run: no download, no telemetry, no update check. */
export const PRISMA_OFFLINE_ENV: Readonly<Record<string, string>> = {
  // Any executable: validate and generate never start it (see above).
  PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true',
  CHECKPOINT_DISABLE: '1',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  PRISMA_HIDE_PREVIEW_FLAG_WARNINGS: '1',
  // Nothing may reach a mirror either: an unreachable address fails at once instead of waiting.
  PRISMA_ENGINES_MIRROR: 'http://127.0.0.1:9',
  NO_COLOR: '1',
};

export interface PrismaRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `prisma <args>` in `cwd` with PRISMA_OFFLINE_ENV (and no database URL from this process). */
export function runPrisma(args: readonly string[], cwd = ROOT): Promise<PrismaRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PRISMA_CLI, ...args], {
      cwd,
      env: childEnv({ ...PRISMA_OFFLINE_ENV }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = collectOutput(child);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: out.stdout(), stderr: out.stderr() }));
  });
}

/** The shipped schema's generator output line; the tests point it elsewhere. */
export const SHIPPED_OUTPUT = 'output          = "../generated/prisma"';

export interface GeneratedClient {
  /** The directory holding the copied schema and the client (`client/`), under ROOT/generated/. */
  readonly dir: string;
  /** client.ts of the generated client, for a dynamic import. */
  readonly entry: string;
  readonly run: PrismaRun;
  remove(): void;
}

/**
 * `prisma generate` on a copy of the shipped schema whose only change is the generator's output:
 * a fresh directory under ROOT/generated/ (gitignored; inside the repository so that the client's
 * `@prisma/client/runtime/…` imports resolve and vitest compiles its TypeScript).
 */
export async function generateClient(): Promise<GeneratedClient> {
  const text = readFileSync(SCHEMA_PATH, 'utf8');
  if (text.split(SHIPPED_OUTPUT).length !== 2)
    throw new Error(`schema.prisma: no single "${SHIPPED_OUTPUT}"`);
  const dir = join(ROOT, 'generated', `test-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'schema.prisma'), text.replace(SHIPPED_OUTPUT, 'output = "./client"'));
  const run = await runPrisma(['generate', '--schema', join(dir, 'schema.prisma')]);
  return {
    dir,
    entry: join(dir, 'client/client.ts'),
    run,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A ts code block of the docs that uses Prisma (`new PrismaPg(`), with where it is. */
export interface PrismaExample {
  readonly where: string;
  readonly code: string;
}

/** The commented import of the generated client the examples carry (docs.test checks every import). */
export const GENERATED_IMPORT = "// import { PrismaClient } from './generated/prisma/client.js';";

/** The ts blocks of README.md and docs/*.md that use Prisma Client. */
export function prismaExamples(): PrismaExample[] {
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`)];
  return files
    .filter((f) => f.endsWith('.md'))
    .flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```$/gm)].map(
        (m) => ({
          where: `${file}:${readFileSync(join(ROOT, file), 'utf8').slice(0, m.index).split('\n').length}`,
          code: m[1] ?? '',
        }),
      ),
    )
    .filter((b) => b.code.includes('new PrismaPg('));
}
