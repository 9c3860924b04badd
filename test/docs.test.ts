/**
 * The code in README.md and docs/*.md, checked against the code: every name imported from 'chatdb'
 * is exported by the package entry (src/index.ts), every import of a ts block resolves, and the
 * examples a newcomer runs first (the README's library example, docs/migrations.md "From code")
 * run for real.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/index.js';
import { buildApp } from '../src/http/app.js';
import * as entry from '../src/index.js';
import * as aiSdkEntry from '../src/integrations/ai-sdk.js';
import * as drizzleEntry from '../src/integrations/drizzle.js';
import * as langchainEntry from '../src/integrations/langchain.js';
import { init } from '../src/migrate/index.js';
import { createChatDb } from '../src/store/chatdb.js';
import { childEnv, collectOutput, TSX, tempDir } from './helpers/cli.js';
import { createScratchUrl, onRealPostgres } from './helpers/db.js';

const ROOT = new URL('..', import.meta.url).pathname;
const ENTRY = join(ROOT, 'src/index.ts');
/** The package's entry points (package.json `exports`) and the source module each is built from. */
const ENTRIES: Record<string, { file: string; exports: object }> = {
  chatdb: { file: './src/index.js', exports: entry },
  'chatdb/ai-sdk': { file: './src/integrations/ai-sdk.js', exports: aiSdkEntry },
  'chatdb/langchain': { file: './src/integrations/langchain.js', exports: langchainEntry },
  'chatdb/drizzle': { file: './src/integrations/drizzle.js', exports: drizzleEntry },
};
const FROM_CHATDB = /from\s+'(chatdb(?:\/[\w-]+)?)'/g;
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
);

interface Block {
  readonly file: string;
  readonly line: number;
  readonly lang: string;
  readonly code: string;
}

/** The fenced code blocks of a Markdown file, with the line each starts on. */
function codeBlocks(file: string): Block[] {
  const out: Block[] = [];
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)/.exec(lines[i] ?? '');
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ''); i++) body.push(lines[i] ?? '');
    out.push({ file, line: start + 1, lang: open[1] ?? '', code: body.join('\n') });
  }
  return out;
}

const blocks = DOCS.flatMap(codeBlocks);
const tsBlocks = blocks.filter((b) => b.lang === 'ts' || b.lang === 'typescript');

/**
 * `import { a, type B } from 'chatdb'` (and `import type { … }`, and the `chatdb/…` entry points):
 * the names, type-only or not, and the entry point.
 */
function chatdbImports(code: string): { name: string; typeOnly: boolean; from: string }[] {
  const out: { name: string; typeOnly: boolean; from: string }[] = [];
  for (const m of code.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"](chatdb(?:\/[\w-]+)?)['"]/g))
    for (const raw of (m[2] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const inlineType = raw.startsWith('type ');
      const name = (inlineType ? raw.slice(5) : raw).split(/\s+as\s+/)[0]?.trim() ?? '';
      out.push({ name, typeOnly: Boolean(m[1]) || inlineType, from: m[3] ?? '' });
    }
  return out;
}

/** The one ts block of `file` whose code matches `marker`. */
function blockOf(file: string, marker: RegExp): string {
  const found = tsBlocks.filter((b) => b.file === file && marker.test(b.code));
  expect(found, `${file}: one ts block matching ${marker}`).toHaveLength(1);
  return found[0]?.code ?? '';
}

/**
 * The import errors of ts blocks, type-checked as virtual files at the repository root with
 * 'chatdb' pointing at src/index.ts. Blocks are fragments (they use variables defined elsewhere),
 * so only diagnostics about imports count: a module not found, or a name it does not export.
 */
function importProblems(list: readonly Block[]): string[] {
  const IMPORT_ERRORS = new Set([2305, 2307, 2614, 2724, 2459, 2460, 1484, 2792]);
  const files = new Map(
    list.map((b, i) => [
      join(ROOT, `__doc_block_${i}.ts`),
      {
        block: b,
        // An unknown `chatdb/…` entry stays as written, and fails to resolve.
        text: b.code.replace(FROM_CHATDB, (all, spec: string) =>
          ENTRIES[spec] ? `from '${ENTRIES[spec].file}'` : all,
        ),
      },
    ]),
  );
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    verbatimModuleSyntax: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => files.has(f) || fileExists(f);
  host.readFile = (f) => files.get(f)?.text ?? readFile(f);
  host.getSourceFile = (f, lang, ...rest) => {
    const virtual = files.get(f);
    return virtual ? ts.createSourceFile(f, virtual.text, lang) : getSourceFile(f, lang, ...rest);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  return [...files.entries()].flatMap(([f, { block }]) =>
    program
      .getSemanticDiagnostics(program.getSourceFile(f))
      .filter((d) => IMPORT_ERRORS.has(d.code))
      .map((d) => `${block.file}:${block.line}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`),
  );
}

/** Writes `code` to `dir` with 'chatdb' mapped to the source entry, and runs it with tsx there. */
function runExample(code: string, dir: string, env: Record<string, string> = {}) {
  const file = join(dir, 'example.mts'); // .mts: the temporary directory has no package.json saying ESM
  writeFileSync(file, code.replace(/from\s+'chatdb'/g, `from ${JSON.stringify(ENTRY)}`));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, file], {
      cwd: dir,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = collectOutput(child);
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stdout: out.stdout(), stderr: out.stderr() }));
  });
}

describe('the docs import only what chatdb exports', () => {
  it('finds the imports to check', () => {
    const names = blocks.flatMap((b) => chatdbImports(b.code)).map((i) => i.name);
    for (const name of ['openChatDb', 'isChatDbError', 'openDatabase', 'init', 'up', 'status'])
      expect(names).toContain(name);
    for (const name of ['loadUIMessages', 'saveUIMessages', 'ChatDbMessageHistory'])
      expect(names).toContain(name);
  });

  it.each(blocks.flatMap((b) => chatdbImports(b.code).map((i) => ({ ...i, where: `${b.file}:${b.line}` }))))(
    '$where imports $name from $from',
    ({ name, typeOnly, from }) => {
      expect(Object.keys(ENTRIES)).toContain(from);
      // Values must be there at run time; type names are checked by the compiler below.
      if (!typeOnly) expect(Object.keys(ENTRIES[from]?.exports ?? {})).toContain(name);
    },
  );

  it('resolves every import of every ts block (types included) against the source entry', () => {
    expect(importProblems(tsBlocks)).toEqual([]);
    // The check itself finds what it is for.
    const bad = { file: 'x.md', line: 1, lang: 'ts', code: "import { nope, type Nada } from 'chatdb';" };
    expect(importProblems([bad])).toEqual([
      expect.stringMatching(/^x\.md:1: .*no exported member .*nope/),
      expect.stringMatching(/^x\.md:1: .*no exported member .*Nada/),
    ]);
    const code = "import { loadUIMessages, nope } from 'chatdb/ai-sdk';\nimport { x } from 'chatdb/nope';";
    expect(importProblems([{ ...bad, code }])).toEqual([
      expect.stringMatching(/^x\.md:1: .*no exported member .*nope/),
      expect.stringMatching(/^x\.md:1: Cannot find module 'chatdb\/nope'/),
    ]);
  });
});

describe('docs/migrations.md "From code" runs as written', () => {
  const code = blockOf('docs/migrations.md', /await init\(db/);

  it.runIf(!onRealPostgres)('on an in-memory PGlite', async () => {
    const r = await runExample(code, tempDir(), { DATABASE_URL: 'memory://' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^0 applied, 0 pending, 0 edited\n$/m);
  });

  it.runIf(onRealPostgres)('on Postgres', async () => {
    const scratch = await createScratchUrl();
    try {
      const dir = tempDir();
      const first = await runExample(code, dir, { DATABASE_URL: scratch.url });
      expect(first.stderr).toBe('');
      expect([first.code, first.stdout]).toEqual([
        0,
        expect.stringMatching(/0 applied, 0 pending, 0 edited\n$/),
      ]);
      // The baseline is now in dir/migrations; a project migration added next is applied by `up`.
      writeFileSync(
        join(dir, 'migrations', '20990101000000_notes.sql'),
        '-- migrate:up\nCREATE TABLE notes (id bigint PRIMARY KEY);\n-- migrate:down\nDROP TABLE notes;\n',
      );
      const second = await runExample(code, dir, { DATABASE_URL: scratch.url });
      expect([second.code, second.stdout]).toEqual([
        0,
        expect.stringMatching(/1 applied, 0 pending, 0 edited\n$/),
      ]);
      const db = await openDatabase({ url: scratch.url, connectRetries: 0 });
      try {
        expect((await db.query("SELECT to_regclass('notes') IS NOT NULL AS ok")).rows).toEqual([
          { ok: true },
        ]);
      } finally {
        await db.close();
      }
    } finally {
      await scratch.drop();
    }
  });
});

describe("the README's library example runs as written after the curls", () => {
  const code = blockOf('README.md', /openChatDb\(\)/);

  /** What `npm start` and the first curl leave behind: the schema, and Ada registered over HTTP. */
  async function afterTheCurls(dir: string): Promise<void> {
    const db = await openDatabase({ dataDir: join(dir, '.chatdb') });
    try {
      mkdirSync(join(dir, 'migrations'));
      await init(db, { dir: join(dir, 'migrations'), scope: 'all' });
      const app = await buildApp({ chat: createChatDb(db) });
      try {
        const r = await app.inject({
          method: 'POST',
          url: '/users',
          payload: { email: 'ada@example.com', password: 'correct horse battery' },
        });
        expect(r.statusCode).toBe(201);
      } finally {
        await app.close();
      }
    } finally {
      await db.close();
    }
  }

  it('logs Ada in, adds a session, prints the conversation; exits 0 (twice: it can be rerun)', async () => {
    const dir = tempDir();
    await afterTheCurls(dir);
    const expected =
      '1 user: What does this mean? [0 citations]\n' +
      '2 assistant: DDS is the publish/subscribe middleware under ROS 2. [1 citations]\n';
    const first = await runExample(code, dir);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`${expected}ada@example.com has 1 session(s)\n`);
    const second = await runExample(code, dir);
    expect([second.code, second.stdout]).toEqual([0, `${expected}ada@example.com has 2 session(s)\n`]);
  });

  it('prints the error code and message, exit 1, no stack trace (database in use)', async () => {
    const dir = tempDir();
    await afterTheCurls(dir);
    // `npm start` still running: another process holds the embedded database.
    const db = await openDatabase({ dataDir: join(dir, '.chatdb') });
    try {
      const r = await runExample(code, dir);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^\w+: embedded database in .* is in use by process \d+/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await db.close();
    }
  });
});
