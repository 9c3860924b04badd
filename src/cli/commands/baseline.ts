import type { Command } from 'commander';
import { ChatDbError } from '../../errors.js';
import { parseScope } from '../../migrate/index.js';
import { type AdoptReport, adoptBaseline } from '../../safety/adopt.js';
import type { ScratchKind } from '../../safety/scratch.js';
import { configOf, output, withMigrationDb } from '../context.js';

interface BaselineFlags {
  scope?: string;
  to?: string;
  strict?: boolean;
  scratch?: string;
}

function human(r: AdoptReport): string {
  const lines: string[] = [];
  for (const d of r.differences) {
    lines.push(`${d.problem.padEnd(9)} ${d.object}`);
    if (d.diff) lines.push(d.diff.trimEnd());
  }
  if (!r.ok)
    lines.push('baseline refused: the database differs from what the migrations create; nothing recorded');
  else if (r.recorded.length > 0)
    lines.push(`recorded ${r.recorded.length} migration(s) as applied: ${r.recorded.join(', ')}`);
  else lines.push('nothing to record: those migrations are recorded already');
  return lines.join('\n');
}

/** `chatdb baseline --scope all|chat|auth | --to VERSION`: adopt an existing database. */
export function register(program: Command): void {
  program
    .command('baseline')
    .description(
      'adopt a database whose tables exist already: check its schema, then record the migrations as applied',
    )
    .option('--scope <scope>', "chatdb's baseline to adopt: all, chat or auth (default all)")
    .option('--to <version>', 'instead: adopt every migration file up to this version')
    .option('--strict', 'also refuse tables and other objects the migrations do not create')
    .option(
      '--scratch <kind>',
      'where the expected schema is built: server (default for postgres://) or pglite',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: BaselineFlags, cmd: Command) => {
      if (opts.scope !== undefined && opts.to !== undefined)
        throw new ChatDbError('invalid_input', 'give --scope or --to, not both');
      if (opts.scratch !== undefined && opts.scratch !== 'server' && opts.scratch !== 'pglite')
        throw new ChatDbError('invalid_input', `--scratch ${opts.scratch}: use server or pglite`);
      const config = configOf(cmd);
      const out = output(cmd);
      const report = await withMigrationDb(config, (db) => {
        out.progress(`database: ${db.target}`);
        return adoptBaseline({
          dir: config.migrationsDir,
          ...(opts.to === undefined ? { scope: parseScope(opts.scope ?? 'all') } : { to: opts.to }),
          target: db,
          targetUrl: config.migrationsUrl,
          scratch: opts.scratch as ScratchKind | undefined,
          strict: opts.strict === true,
          handleSignals: true,
          log: out.progress,
        });
      });
      out.result(human(report), report);
      if (!report.ok) process.exitCode = 1;
    });
}
