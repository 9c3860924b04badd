import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { ChatDbError } from '../../errors.js';
import { configOf, output, wantsJson, withMigrationDb } from '../context.js';

interface DumpFlags {
  out?: string;
  check?: string;
  schema?: string;
}

/** Runs `write`; a failure becomes one line naming the --out file. */
function writableOrThrow(file: string, write: () => void): void {
  try {
    write();
  } catch (e) {
    throw new ChatDbError('invalid_input', `--out ${file}: cannot write it (${(e as Error).message})`);
  }
}

/** `chatdb dump [--out schema.sql] [--check schema.sql] [--schema NAME]`: the normalized schema dump. */
export function register(program: Command): void {
  program
    .command('dump')
    .description('print a normalized, deterministic schema dump (commit it; diff it in review)')
    .option('--out <file>', 'write the dump to this file instead of stdout')
    .option('--check <file>', 'compare with this committed dump: print the diff and exit 1 when they differ')
    .option('--schema <name>', 'dump only this schema (default: every user schema)')
    .option('--json', 'with --check: print the result as JSON (without --check: a usage error)')
    .action(async (opts: DumpFlags, cmd: Command) => {
      // The dump itself is SQL: JSON describes only the result of --check.
      if (wantsJson(cmd) && opts.check === undefined)
        cmd.error('--json needs --check: the dump itself is SQL (write it with --out)', {
          exitCode: 2,
          code: 'chatdb.jsonNeedsCheck',
        });
      const config = configOf(cmd);
      const out = output(cmd);
      if (opts.out !== undefined)
        writableOrThrow(opts.out, () => accessSync(dirname(opts.out as string), constants.W_OK));
      // Dumping reads a database; it must not create an embedded one just to describe it as empty.
      if (config.migrationsUrl === undefined && !existsSync(config.dataDir))
        throw new ChatDbError(
          'db_unavailable',
          `nothing to dump: no DATABASE_URL and no embedded database in ${config.dataDir} (run chatdb up first)`,
        );
      const { dumpSchema } = await import('../../safety/dump.js');
      const dump = await withMigrationDb(config, (db) => dumpSchema(db, { schema: opts.schema }));
      if (opts.check !== undefined) {
        let committed: string;
        try {
          committed = readFileSync(opts.check, 'utf8');
        } catch (e) {
          throw new ChatDbError('invalid_input', `--check ${opts.check}: ${(e as Error).message}`);
        }
        const { schemaDiff } = await import('../../safety/diff.js');
        const diff = schemaDiff(committed, dump, opts.check, 'database');
        out.result(
          diff
            ? `${diff}\n${opts.check} is out of date: run chatdb dump --out ${opts.check}`
            : `${opts.check} is up to date`,
          {
            file: opts.check,
            upToDate: diff === '',
            diff,
          },
        );
        if (diff) process.exitCode = 1;
        return;
      }
      if (opts.out !== undefined) {
        try {
          writeFileSync(opts.out, dump);
        } catch (e) {
          throw new ChatDbError(
            'invalid_input',
            `--out ${opts.out}: cannot write it (${(e as Error).message})`,
          );
        }
        process.stderr.write(`chatdb: wrote ${opts.out}\n`);
      } else process.stdout.write(dump);
    });
}
