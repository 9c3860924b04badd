import { describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/index.js';
import { readHistory, up } from '../../src/migrate/index.js';
import { createScratchUrl, onRealPostgres } from '../helpers/db.js';
import { migrationsDir, sql } from '../helpers/migrations.js';

// PGlite is one session in one process: concurrency needs the real server.
describe.runIf(onRealPostgres)('concurrent runners', () => {
  it('apply each migration once: the second waits for the lock, then finds nothing pending', async () => {
    const scratch = await createScratchUrl();
    const dbs: Database[] = [];
    try {
      for (let i = 0; i < 4; i++) dbs.push(await openDatabase({ url: scratch.url, connectRetries: 0 }));
      const first = dbs[0] as Database;
      await first.exec('CREATE TABLE applied_log (version text)');
      const files: Record<string, string> = {};
      for (let i = 1; i <= 3; i++)
        files[`2026010100000${i}_step.sql`] = sql(
          `INSERT INTO applied_log VALUES ('${i}');\nSELECT pg_sleep(0.1);`,
          `DELETE FROM applied_log WHERE version = '${i}';`,
        );
      const dir = migrationsDir(files);
      const logs: string[][] = dbs.map(() => []);
      const runs = await Promise.all(dbs.map((db, i) => up(db, { dir, log: (l) => logs[i]?.push(l) })));
      expect(runs.reduce((n, r) => n + r.steps.length, 0)).toBe(3);
      expect(
        logs.flat().filter((l) => l.startsWith('waiting for another migration run')).length,
      ).toBeGreaterThan(0);
      const { rows } = await first.query(
        'SELECT version, count(*)::int AS n FROM applied_log GROUP BY 1 ORDER BY 1',
      );
      expect(rows).toEqual([
        { version: '1', n: 1 },
        { version: '2', n: 1 },
        { version: '3', n: 1 },
      ]);
      expect(await readHistory(first)).toHaveLength(3);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
      await scratch.drop();
    }
  });
});
