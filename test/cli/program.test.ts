import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { describeError } from '../../src/cli/run.js';
import { ChatDbError } from '../../src/errors.js';

describe('buildProgram', () => {
  it('has the migration commands, each with a description, --help text and the global options', () => {
    const program = buildProgram();
    const names = program.commands.map((c) => c.name());
    expect(names.slice(0, 6)).toEqual(['init', 'new', 'up', 'down', 'redo', 'status']);
    for (const c of program.commands) {
      expect(c.description().length).toBeGreaterThan(20);
      const help = c.helpInformation();
      expect(help).toMatch(new RegExp(`^Usage: chatdb ${c.name()} `));
      expect(help).toContain('Global Options:');
      expect(help).toContain('--database-url <url>');
      // every command that reports state takes --json; serve runs a server and reports nothing
      if (c.name() !== 'serve') expect(help).toContain('--json');
      else expect(help).not.toContain('--json');
    }
    const up = program.commands.find((c) => c.name() === 'up')?.helpInformation() ?? '';
    for (const o of ['--to <version>', '--dry-run', '--strict', '--allow-irreversible'])
      expect(up).toContain(o);
    const init = program.commands.find((c) => c.name() === 'init')?.helpInformation() ?? '';
    expect(init).toMatch(/choices: "all", "chat", "auth"/);
  });

  it('turns usage errors into a CommanderError instead of exiting', async () => {
    const program = buildProgram().configureOutput({
      writeErr: () => undefined,
      outputError: () => undefined,
    });
    await expect(program.parseAsync(['node', 'chatdb', 'up', '--nope'])).rejects.toMatchObject({
      code: 'commander.unknownOption',
      exitCode: 1,
    });
  });
});

describe('describeError', () => {
  it('prints a ChatDbError as its message, anything else as one generic line, the stack only when debugging', () => {
    expect(describeError(new ChatDbError('migration_failed', 'x.sql (up) at line 3: boom'))).toBe(
      'chatdb: x.sql (up) at line 3: boom\n',
    );
    const bug = new TypeError('cannot read properties of undefined\nsecond line');
    expect(describeError(bug)).toBe('chatdb: unexpected error: cannot read properties of undefined\n');
    const debug = describeError(bug, true);
    expect(debug.split('\n')[0]).toBe('chatdb: unexpected error: cannot read properties of undefined');
    expect(debug).toMatch(/\n\s+at /);
    expect(describeError('thrown string')).toBe('chatdb: unexpected error: thrown string\n');
  });
});

describe('option values', () => {
  /** Runs the CLI in this process; returns its exit code and what it wrote on stderr. */
  async function usage(...args: string[]): Promise<{ code: number; stderr: string }> {
    const { run } = await import('../../src/cli/run.js');
    let stderr = '';
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    }) as typeof process.stderr.write;
    try {
      return { code: await run(['node', 'chatdb', ...args]), stderr };
    } finally {
      process.stderr.write = write;
    }
  }

  it('a bad value is a usage error (exit 2, one line naming the option) before anything runs', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['lint', '--pg-version', 'abc'],
        /'--pg-version <version>' argument 'abc' is invalid\. give a Postgres version/,
      ],
      [['lint', '--pg-version', '9'], /argument '9' is invalid/],
      [
        ['serve', '--port', '99999'],
        /'--port <port>' argument '99999' is invalid\. give a whole number from 0 to 65535/,
      ],
      [['serve', '--port', '0x10'], /argument '0x10' is invalid/],
      [
        ['verify', '--scratch', 'foo'],
        /'--scratch <kind>' argument 'foo' is invalid\. Allowed choices are server, pglite/,
      ],
      [['baseline', '--scratch', 'foo'], /Allowed choices are server, pglite/],
      [['baseline', '--scope', 'everything'], /Allowed choices are all, chat, auth/],
      [
        ['baseline', '--scope', 'all', '--to', '20260101000000'],
        /cannot be used with option '--to <version>'/,
      ],
      [['up', '--to', 'latest'], /'--to <version>' argument 'latest' is invalid\. give a migration version/],
      [['down', '--to', '2026'], /argument '2026' is invalid/],
      [['down', '--steps', '1e2'], /argument '1e2' is invalid/],
      [['baseline', '--to', 'x'], /argument 'x' is invalid/],
    ];
    for (const [args, message] of cases) {
      const r = await usage(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/^chatdb: option [^\n]*\n$/);
      expect(r.stderr).toMatch(message);
    }
  });
});
