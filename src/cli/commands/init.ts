import { type Command, Option } from 'commander';
import { init, SCOPES, type Scope } from '../../migrate/index.js';
import { runMigrationCommand } from '../interrupt.js';

/** `chatdb init [--scope all|chat|auth]`: write chatdb's baseline into the migrations directory and apply it. */
export function register(program: Command): void {
  program
    .command('init')
    .description(
      "install chatdb's baseline schema: write its migration files into the migrations directory and apply them (a second run changes nothing)",
    )
    .addOption(
      new Option(
        '--scope <scope>',
        'all = users + chat, linked; chat = sessions, messages, citations (user ids from any auth provider); auth = users, profiles, tokens',
      )
        .choices(SCOPES)
        .default('all'),
    )
    .option('--json', 'print the result as JSON on stdout (progress goes to stderr)')
    .addHelpText(
      'after',
      '\nInstalling chat now and auth later (or the reverse) adds the link migration and ends with the same schema as all.',
    )
    .action(async (opts: { scope: Scope }, cmd: Command) => {
      // As up: a pooler URL and malformed files stop it before connecting; Ctrl-C rolls back.
      const { result, out } = await runMigrationCommand(cmd, (db, base) =>
        init(db, {
          dir: base.dir,
          scope: opts.scope,
          ...(base.log ? { log: base.log } : {}),
          ...(base.warn ? { warn: base.warn } : {}),
          ...(base.signal ? { signal: base.signal } : {}),
        }),
      );
      const human = result.unchanged
        ? `baseline "${opts.scope}" is already installed: nothing changed`
        : `baseline "${opts.scope}" installed: ${result.written.length} file(s) written, ${result.applied.length} migration(s) applied`;
      out.result(human, result);
    });
}
