import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { register as abortStale } from './commands/abort-stale.js';
import { register as baseline } from './commands/baseline.js';
import { register as down } from './commands/down.js';
import { register as dump } from './commands/dump.js';
import { register as init } from './commands/init.js';
import { register as lint } from './commands/lint.js';
import { register as newMigration } from './commands/new.js';
import { register as purge } from './commands/purge.js';
import { register as redo } from './commands/redo.js';
import { register as serve } from './commands/serve.js';
import { register as status } from './commands/status.js';
import { register as up } from './commands/up.js';
import { register as verify } from './commands/verify.js';

/** Adds one command (or a few) to the program. */
export type RegisterCommand = (program: Command) => void;

/** The commands, in the order `chatdb --help` lists them. Adding a command: one entry here. */
const COMMANDS: readonly RegisterCommand[] = [
  init,
  newMigration,
  up,
  down,
  redo,
  status,
  lint,
  verify,
  dump,
  baseline,
  serve,
  abortStale,
  purge,
];

const HELP_AFTER = `
Database: --database-url, else DATABASE_URL (migrations prefer DATABASE_URL_UNPOOLED or DIRECT_URL,
the direct connection); with neither, the embedded database in .chatdb/ (CHATDB_DATA_DIR).
--database-url memory:// is an in-memory database. A .env file in the working directory is read
(variables already set win). Exit codes: 0 ok, 1 failed (or status: something pending or edited),
2 usage error.

Examples:
  $ chatdb init --scope all               install users + chat tables (writes the SQL into ./migrations)
  $ chatdb new "add user timezone"        create migrations/<timestamp>_add_user_timezone.sql
  $ chatdb up                             apply pending migrations
  $ chatdb up --dry-run                   show what would be applied
  $ chatdb status --json                  exit 1 when anything is pending or edited
  $ chatdb down --steps 2                 roll back the last two
  $ chatdb serve                          run the HTTP API (docs at http://127.0.0.1:8080/docs)
  $ chatdb abort-stale --older-than 10m   mark replies left streaming by a dead process aborted
  $ chatdb purge --idle-days 365          delete the trash past retention, and sessions idle a year
  $ DATABASE_URL=postgres://user:pass@host/db chatdb up`;

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * The `chatdb` command line. Usage errors throw a CommanderError (exit code 2 in main.ts) and are
 * printed as one `chatdb: …` line; subcommands inherit that because it is set before they are added.
 */
export function buildProgram(): Command {
  const program = new Command('chatdb')
    .description('Postgres persistence for RAG chatbots: schema, migrations and an HTTP API')
    .version(VERSION, '-v, --version')
    .exitOverride()
    .configureOutput({
      // One line: "chatdb: unknown command 'upp' (Did you mean up?)".
      outputError: (message, write) =>
        write(
          `chatdb: ${message
            .replace(/^error: /, '')
            .trimEnd()
            .replace(/\s*\n\s*/g, ' ')}\n`,
        ),
    })
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .option(
      '--database-url <url>',
      'postgres://user:password@host/db or memory:// (default: DATABASE_URL, else embedded)',
    )
    .option('--dir <path>', 'migrations directory (default: CHATDB_MIGRATIONS_DIR, else ./migrations)')
    .option('--data-dir <path>', 'embedded database directory (default: CHATDB_DATA_DIR, else .chatdb)')
    .addHelpText('after', HELP_AFTER);
  for (const register of COMMANDS) register(program);
  return program;
}
