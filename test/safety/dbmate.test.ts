import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { readHistory, status, up } from '../../src/migrate/index.js';
import { lintMigrations } from '../../src/safety/lint.js';
import { chatdb } from '../helpers/cli.js';
import { createScratchUrl, onRealPostgres } from '../helpers/db.js';
import { BASELINE_VERSIONS } from '../helpers/migrations.js';

const run = promisify(execFile);
const DBMATE = new URL('../../node_modules/.bin/dbmate', import.meta.url).pathname;
const MIGRATIONS = new URL('../../migrations/', import.meta.url).pathname;
const BASELINE = BASELINE_VERSIONS;

const dbmate = (url: string, ...args: string[]) =>
  run(DBMATE, [
    '--url',
    `${url}?sslmode=disable`,
    '--migrations-dir',
    MIGRATIONS,
    '--no-dump-schema',
    ...args,
  ]);

// dbmate talks to a server: these run only against real Postgres (TEST_DATABASE_URL).
describe.skipIf(!onRealPostgres)('dbmate interoperability', () => {
  it('chatdb status accepts what dbmate applied: all applied, nothing edited', async () => {
    const scratch = await createScratchUrl();
    try {
      await dbmate(scratch.url, 'up');
      const cli = await chatdb(['status', '--dir', MIGRATIONS], process.cwd(), { DATABASE_URL: scratch.url });
      expect(cli.code).toBe(0);
      expect(cli.stdout.match(/applied by another tool/g)).toHaveLength(BASELINE.length);
      expect(cli.stdout).toContain(`${BASELINE.length} applied, 0 pending, 0 edited, 0 missing`);
      const db = await openDatabase({ url: scratch.url });
      try {
        const st = await status(db, { dir: MIGRATIONS });
        expect(st.entries.map((e) => [e.version, e.state, e.unverified])).toEqual(
          BASELINE.map((v) => [v, 'applied', true]),
        );
        expect([st.applied, st.pending, st.edited, st.missing]).toEqual([BASELINE.length, 0, 0, 0]);
        // Rows without a checksum are "applied by another tool": lint does not call them edited.
        const lint = await lintMigrations({ dir: MIGRATIONS, history: await readHistory(db) });
        expect(lint.findings).toEqual([]);
        expect((await up(db, { dir: MIGRATIONS })).steps).toEqual([]);
      } finally {
        await db.close();
      }
    } finally {
      await scratch.drop();
    }
  });

  it('dbmate status accepts what chatdb up applied, and can roll it back', async () => {
    const scratch = await createScratchUrl();
    try {
      const cli = await chatdb(['up', '--dir', MIGRATIONS], process.cwd(), { DATABASE_URL: scratch.url });
      expect(cli.code).toBe(0);
      const db = await openDatabase({ url: scratch.url });
      try {
        const { stdout } = await dbmate(scratch.url, 'status');
        for (const v of BASELINE) expect(stdout).toMatch(new RegExp(`^\\[X\\] ${v}_`, 'm'));
        expect(stdout).toMatch(new RegExp(`^Applied: ${BASELINE.length}$`, 'm'));
        expect(stdout).toMatch(/^Pending: 0$/m);
        await dbmate(scratch.url, 'rollback');
        const st = await status(db, { dir: MIGRATIONS });
        // The newest baseline file is rolled back, the others stay.
        expect(st.entries.map((e) => e.state)).toEqual([
          ...BASELINE.slice(0, -1).map(() => 'applied'),
          'pending',
        ]);
      } finally {
        await db.close();
      }
    } finally {
      await scratch.drop();
    }
  });
});
