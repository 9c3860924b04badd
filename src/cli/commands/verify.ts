import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { directMigrationsUrl } from '../../config.js';
import type { Database } from '../../db/index.js';
import { openDatabase } from '../../db/index.js';
import { requireMigrationsDir } from '../../safety/migrations-dir.js';
import { SCRATCH_KINDS, type ScratchKind } from '../../safety/scratch.js';
import type { VerifyReport } from '../../safety/verify.js';
import { configOf, output } from '../context.js';

interface VerifyFlags {
  scratch?: ScratchKind;
  allowIrreversible?: boolean;
  allowDrift?: boolean;
}

function human(r: VerifyReport): string {
  const lines: string[] = [];
  for (const m of r.migrations)
    for (const s of m.steps.filter((x) => !x.ok)) {
      lines.push(`${m.file}: ${s.step} failed: ${s.error ?? ''}`);
      if (s.diff) lines.push(s.diff.trimEnd());
    }
  if (r.failure && r.migrations.every((m) => m.ok)) lines.push(`${r.failure.file}: ${r.failure.message}`);
  if (r.drift) lines.push('drift (target vs. what its applied migrations give):', r.drift.trimEnd());
  for (const n of r.notes) lines.push(`note: ${n}`);
  const n = r.migrations.length;
  lines.push(
    r.ok
      ? n === 0
        ? 'verify: nothing pending'
        : `verify: ${n} pending migration(s) go up, down and up again cleanly`
      : 'verify FAILED: the target database was not touched',
  );
  return lines.join('\n');
}

/** `chatdb verify`: pending migrations up, down, up again on a throwaway copy of the database. */
export function register(program: Command): void {
  program
    .command('verify')
    .description(
      'test pending migrations (up, down, up again) on a throwaway copy; the database is only read',
    )
    .addOption(
      new Option(
        '--scratch <kind>',
        'server: a scratch database on the same server (default for postgres://); pglite: in memory',
      ).choices(SCRATCH_KINDS),
    )
    .option('--allow-irreversible', 'accept pending migrations without a down section')
    .option(
      '--allow-drift',
      'go on (with a warning) when the database differs from what its applied migrations give',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: VerifyFlags, cmd: Command) => {
      const config = configOf(cmd);
      const out = output(cmd);
      requireMigrationsDir(config.migrationsDir); // before opening anything
      // The embedded database is opened only when it exists: verify must not create one.
      const url = directMigrationsUrl(config); // a pooler URL stops here, before connecting
      const exists = url !== undefined || existsSync(config.dataDir);
      let target: Database | undefined;
      if (exists) target = await openDatabase({ url, dataDir: config.dataDir, logger: (m) => out.warn(m) });
      let report: VerifyReport;
      try {
        out.progress(`database: ${target?.target ?? `none yet (${config.dataDir})`} (read only)`);
        const { verify } = await import('../../safety/verify.js');
        report = await verify({
          dir: config.migrationsDir,
          target,
          targetUrl: url,
          scratch: opts.scratch,
          allowIrreversible: opts.allowIrreversible === true,
          allowDrift: opts.allowDrift === true,
          handleSignals: true,
          log: out.progress,
        });
      } finally {
        await target?.close();
      }
      out.result(human(report), report);
      if (!report.ok) process.exitCode = 1;
    });
}
