import type { Command } from 'commander';
import { type Config, directMigrationsUrl } from '../../config.js';
import type { Database } from '../../db/index.js';
import { ChatDbError } from '../../errors.js';
import { init, isUpToDate, missingBaselineFiles, readHistory, status, up } from '../../migrate/index.js';
import { configOf, withMigrationDb } from '../context.js';
import { port } from '../options.js';

/**
 * The schema step of `serve`: on the embedded database (or with --migrate) install the `all`
 * baseline and apply pending migrations, over the direct connection (config.migrationsUrl:
 * DATABASE_URL_UNPOOLED or DIRECT_URL) when one is configured, as `chatdb up` does; on a server
 * otherwise refuse to start when anything is pending or edited, when a baseline file of this
 * version of chatdb is not applied (after an upgrade), or the schema is not there (read over the
 * serving connection).
 */
export const prepareSchema =
  (config: Config, migrate: boolean, log: (l: string) => void) =>
  async (db: Database): Promise<void> => {
    if (migrate || config.databaseUrl === undefined || db.kind === 'pglite') {
      // The usual restart has nothing to apply: one read of the history says so (init and up
      // would each take the lock, read the files and the history again: 0.1 s of an embedded start).
      if (db.kind === 'pglite' && (await isUpToDate(db, config.migrationsDir))) return;
      const apply = async (target: Database) => {
        await init(target, { dir: config.migrationsDir, scope: 'all', log });
        await up(target, { dir: config.migrationsDir, log });
      };
      // On a server, a pooled migrations URL stops here (DATABASE_URL_UNPOOLED / DIRECT_URL wanted).
      const direct = db.kind === 'pglite' ? config.migrationsUrl : directMigrationsUrl(config);
      if (db.kind !== 'pglite' && direct !== undefined && direct !== config.databaseUrl)
        await withMigrationDb(config, apply);
      else await apply(db);
      return;
    }
    const report = await status(db, { dir: config.migrationsDir });
    if (report.pending > 0 || report.edited > 0) {
      throw new ChatDbError(
        'migration_pending',
        `${report.pending} migration(s) pending and ${report.edited} edited in ${config.migrationsDir}: run \`chatdb up\` first, or start with --migrate`,
      );
    }
    // After an upgrade of chatdb: its new baseline files are not in the project's directory yet,
    // so `status` does not see them, and the code would query columns the database lacks.
    const missing = missingBaselineFiles((await readHistory(db)).map((h) => h.version));
    if (missing.length > 0) {
      throw new ChatDbError(
        'migration_pending',
        `this version of chatdb needs ${missing.length} baseline migration(s) the database does not have (${missing.join(', ')}): run \`chatdb init --scope all\` (it writes them to ${config.migrationsDir} and applies them), or start with --migrate`,
      );
    }
    const t = await db.query<{ t: string | null }>("SELECT to_regclass('chat_sessions')::text AS t");
    if (!t.rows[0]?.t) {
      throw new ChatDbError(
        'migration_pending',
        'the chatdb schema is not installed: run `chatdb init --scope all`, or start with --migrate',
      );
    }
  };

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API (docs at /docs); on the embedded database the schema is installed first')
    .option('--port <port>', 'port to listen on, 0 to 65535 (default: PORT or 8080)', port)
    .option('--host <host>', 'address to listen on (default: HOST or 127.0.0.1)')
    .option(
      '--migrate',
      'on a DATABASE_URL: install the baseline and apply pending migrations before serving',
    )
    .action(async (opts: { port?: number; host?: string; migrate?: boolean }, cmd: Command) => {
      const base = configOf(cmd);
      const config: Config = {
        ...base,
        ...(opts.port === undefined ? {} : { port: opts.port }),
        ...(opts.host === undefined ? {} : { host: opts.host }),
      };
      // Before connecting: --migrate over a pooler URL is refused whatever the serving URL does.
      if (opts.migrate === true) directMigrationsUrl(config);
      const log = (l: string) => process.stdout.write(`${l}\n`);
      // Loaded here: the other commands do not load Fastify.
      const { serve } = await import('../../http/serve.js');
      await serve({ config, prepare: prepareSchema(config, opts.migrate === true, log) });
    });
}
