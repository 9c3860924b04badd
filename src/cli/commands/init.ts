import { type Command, Option } from 'commander';
import { directMigrationsUrl } from '../../config.js';
import { init, loadMigrations, SCOPES, type Scope } from '../../migrate/index.js';
import { configOf, output, withMigrationDb } from '../context.js';

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
      const config = configOf(cmd);
      directMigrationsUrl(config); // a pooler URL stops here, before connecting
      const out = output(cmd);
      loadMigrations(config.migrationsDir); // a malformed file there fails before the database is opened
      const result = await withMigrationDb(
        config,
        async (db) => {
          out.progress(`database: ${db.target}`);
          return init(db, {
            dir: config.migrationsDir,
            scope: opts.scope,
            log: out.progress,
            warn: out.warn,
          });
        },
        out,
      );
      const human = result.unchanged
        ? `baseline "${opts.scope}" is already installed: nothing changed`
        : `baseline "${opts.scope}" installed: ${result.written.length} file(s) written, ${result.applied.length} migration(s) applied`;
      out.result(human, result);
    });
}
