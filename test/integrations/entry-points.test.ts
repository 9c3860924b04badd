/**
 * The adapters are entry points of their own: package.json exports them with types, their packages
 * are optional peers, the core entry never imports them, and chatdb/ai-sdk needs `ai` only for types.
 * chatdb/drizzle is a schema only: it loads drizzle-orm and nothing of chatdb at run time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8'));
const source = (f: string) => readFileSync(`${ROOT}${f}`, 'utf8');
/** The module specifiers the compiled JavaScript of `file` imports at run time. */
const runtimeImports = (file: string): string[] => {
  const js = ts.transpileModule(source(file), {
    compilerOptions: {
      module: ts.ModuleKind.ES2022,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
  }).outputText;
  return [...js.matchAll(/^import\s[^;]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm)].map(
    (m) => m[1] ?? m[2] ?? '',
  );
};

describe('adapter entry points', () => {
  it('package.json exports ./ai-sdk, ./langchain and ./drizzle with types, built from src/integrations', () => {
    expect(pkg.exports['./ai-sdk']).toEqual({
      types: './dist/integrations/ai-sdk.d.ts',
      default: './dist/integrations/ai-sdk.js',
    });
    expect(pkg.exports['./langchain']).toEqual({
      types: './dist/integrations/langchain.d.ts',
      default: './dist/integrations/langchain.js',
    });
    expect(pkg.exports['./drizzle']).toEqual({
      types: './dist/integrations/drizzle.d.ts',
      default: './dist/integrations/drizzle.js',
    });
  });

  it('ai, @langchain/core and drizzle-orm are optional peer dependencies (and dev dependencies for the tests)', () => {
    for (const name of ['ai', '@langchain/core', 'drizzle-orm']) {
      expect(pkg.peerDependencies[name]).toBeTypeOf('string');
      expect(pkg.peerDependenciesMeta[name]).toEqual({ optional: true });
      expect(pkg.devDependencies[name]).toBeTypeOf('string');
      expect(pkg.dependencies[name]).toBeUndefined();
    }
  });

  it('the core entry does not load the adapters; chatdb/ai-sdk loads nothing of ai at run time', () => {
    expect(runtimeImports('src/index.ts').filter((s) => s.includes('integrations'))).toEqual([]);
    expect(runtimeImports('src/integrations/ai-sdk.ts')).toEqual(['../index.js', './marker.js']);
    // Only the public library: nothing from src/store or src/db directly.
    expect(runtimeImports('src/integrations/langchain.ts')).toEqual([
      'node:crypto',
      '@langchain/core/chat_history',
      '@langchain/core/messages',
      '../index.js',
      './marker.js',
    ]);
  });

  it('chatdb/drizzle loads only drizzle-orm at run time: chatdb’s own modules give it types only', () => {
    const files = ['drizzle.ts', ...readdirSync(`${ROOT}src/integrations/drizzle`)].map((f) =>
      f === 'drizzle.ts' ? 'src/integrations/drizzle.ts' : `src/integrations/drizzle/${f}`,
    );
    const imports = new Set(files.flatMap(runtimeImports));
    const outside = [...imports].filter((s) => !s.startsWith('./'));
    expect(outside.sort()).toEqual(['drizzle-orm', 'drizzle-orm/pg-core']);
    // The files' own imports stay among themselves: nothing from src/store, src/db or the library.
    for (const s of imports) if (s.startsWith('./')) expect(s).toMatch(/^\.\/(drizzle\/)?[a-z-]+\.js$/);
    expect(pkg.devDependencies['drizzle-kit']).toBeTypeOf('string');
  });
});
