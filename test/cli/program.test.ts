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
