/**
 * Runs the `chatdb` command line with the safety commands registered, the way src/cli/main.ts does
 * (one-line errors, exit codes), for tests that need a real child process: `tsx test/safety/cli.ts
 * verify …`. Until program.ts registers these commands, this adds them.
 */
import { register as registerBaseline } from '../../src/cli/commands/baseline.js';
import { register as registerDump } from '../../src/cli/commands/dump.js';
import { register as registerLint } from '../../src/cli/commands/lint.js';
import { register as registerVerify } from '../../src/cli/commands/verify.js';
import { buildProgram } from '../../src/cli/program.js';
import { isChatDbError } from '../../src/errors.js';

const program = buildProgram().exitOverride();
const have = new Set(program.commands.map((c) => c.name()));
for (const [name, register] of [
  ['lint', registerLint],
  ['verify', registerVerify],
  ['dump', registerDump],
  ['baseline', registerBaseline],
] as const)
  if (!have.has(name)) register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const code = (e as { exitCode?: number }).exitCode;
  if (typeof code === 'number') process.exitCode = code === 0 ? 0 : 2;
  else {
    process.stderr.write(
      `chatdb: ${isChatDbError(e) ? e.message : `unexpected error: ${(e as Error).message}`}\n`,
    );
    process.exitCode = 1;
  }
}
