import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chatdb, tempDir } from '../helpers/cli.js';
import { sql } from '../helpers/migrations.js';

/** Migrations that create extensions run on the embedded database when PGlite ships the extension. */
describe('extensions on the embedded database', () => {
  /** A project directory whose migrations directory holds one migration. */
  const project = (up: string, down: string) => {
    const cwd = tempDir('chatdb-ext-');
    mkdirSync(join(cwd, 'migrations'));
    writeFileSync(join(cwd, 'migrations', '20990101000000_ext.sql'), sql(up, down));
    return cwd;
  };

  it('loads the bundles the migrations name, at every open', async () => {
    const cwd = project(
      'CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE TABLE docs (title text);\n' +
        'CREATE INDEX docs_title_trgm ON docs USING gin (title gin_trgm_ops);',
      'DROP TABLE docs;\nDROP EXTENSION pg_trgm;',
    );
    const up = await chatdb(['up'], cwd);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    // Later processes open the same data directory, which now needs the bundle.
    const status = await chatdb(['status'], cwd);
    expect(status.code, status.stderr).toBe(0);
    const down = await chatdb(['down'], cwd);
    expect(down.code, down.stderr).toBe(0);
  });

  it('names an extension PGlite does not ship, and points to a real server', async () => {
    const cwd = project('CREATE EXTENSION postgis;', 'DROP EXTENSION postgis;');
    const r = await chatdb(['up'], cwd);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'chatdb: the migrations in ./migrations create extension postgis, which the embedded database cannot ' +
        'load: PGlite does not ship it; run them on a Postgres server that has it (DATABASE_URL=postgres://…)\n',
    );
  });
});
