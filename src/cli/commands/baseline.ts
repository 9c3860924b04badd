import { type Command, Option } from 'commander';
import { directMigrationsUrl } from '../../config.js';
import { SCOPES, type Scope } from '../../migrate/index.js';
import type { AdoptReport } from '../../safety/adopt.js';
import { SCRATCH_KINDS, type ScratchKind } from '../../safety/scratch.js';
import { configOf, output, withMigrationDb } from '../context.js';
import { migrationVersion } from '../options.js';

interface BaselineFlags {
  scope?: Scope;
  to?: string;
  strict?: boolean;
  scratch?: ScratchKind;
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
    .addOption(
      new Option('--scope <scope>', "chatdb's baseline to adopt (default all)")
        .choices(SCOPES)
        .conflicts('to'),
    )
    .option('--to <version>', 'instead: adopt every migration file up to this version', migrationVersion)
    .option('--strict', 'also refuse tables and other objects the migrations do not create')
    .addOption(
      new Option(
        '--scratch <kind>',
        'where the expected schema is built: server (default for postgres://) or pglite',
      ).choices(SCRATCH_KINDS),
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: BaselineFlags, cmd: Command) => {
      const config = configOf(cmd);
      directMigrationsUrl(config); // a pooler URL stops here, before connecting
      const out = output(cmd);
      const { adoptBaseline } = await import('../../safety/adopt.js');
      const report = await withMigrationDb(config, (db) => {
        out.progress(`database: ${db.target}`);
        return adoptBaseline({
          dir: config.migrationsDir,
          ...(opts.to === undefined ? { scope: opts.scope ?? 'all' } : { to: opts.to }),
          target: db,
          targetUrl: config.migrationsUrl,
          scratch: opts.scratch,
          strict: opts.strict === true,
          handleSignals: true,
          log: out.progress,
        });
      });
      out.result(human(report), report);
      if (!report.ok) process.exitCode = 1;
    });
}
