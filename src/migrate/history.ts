import type { Queryable } from '../db/index.js';

/** A row of schema_migrations. checksum is null for rows another tool (dbmate) wrote. */
export interface AppliedMigration {
  readonly version: string;
  readonly name: string | null;
  readonly checksum: string | null;
  readonly appliedAt: Date | null;
  readonly durationMs: number | null;
}

/**
 * chatdb's advisory lock key: the bytes of "chatdb" in ASCII, 0x636861746462 = 109299962766434
 * (`SELECT pg_advisory_lock(109299962766434)`). Other tools use their own fixed keys
 * (node-pg-migrate, graphile-migrate, Prisma), so runners of different tools never block each other.
 */
export const MIGRATION_LOCK_KEY = 0x636861746462;

const EXTRA_COLUMNS: Record<string, string> = {
  name: 'text',
  checksum: 'text',
  applied_at: 'timestamptz DEFAULT now()',
  duration_ms: 'integer',
};

/**
 * Creates schema_migrations as dbmate does (`version varchar(128) PRIMARY KEY`) and adds chatdb's
 * columns when missing, so a table dbmate created is adopted as it is. Call under the lock.
 */
export async function ensureHistoryTable(q: Queryable): Promise<void> {
  await q.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(128) PRIMARY KEY)');
  const { rows } = await q.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_name = 'schema_migrations' AND table_schema = current_schema()`,
  );
  const have = new Set(rows.map((r) => r.column_name));
  const missing = Object.entries(EXTRA_COLUMNS).filter(([c]) => !have.has(c));
  if (missing.length > 0) {
    await q.exec(
      `ALTER TABLE schema_migrations ${missing.map(([c, t]) => `ADD COLUMN IF NOT EXISTS ${c} ${t}`).join(', ')}`,
    );
  }
}

/** The applied migrations, oldest first; [] when the table does not exist yet. */
export async function readHistory(q: Queryable): Promise<AppliedMigration[]> {
  const exists = await q.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  if (!exists.rows[0]?.t) return [];
  const cols = await q.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_name = 'schema_migrations' AND table_schema = current_schema()`,
  );
  const have = new Set(cols.rows.map((r) => r.column_name));
  const col = (c: string) => (have.has(c) ? c : `NULL AS ${c}`);
  const { rows } = await q.query<{
    version: string;
    name: string | null;
    checksum: string | null;
    applied_at: Date | null;
    duration_ms: number | null;
  }>(
    `SELECT version::text AS version, ${col('name')}, ${col('checksum')}, ${col('applied_at')}, ${col('duration_ms')}
       FROM schema_migrations ORDER BY version`,
  );
  return rows.map((r) => ({
    version: r.version,
    name: r.name,
    checksum: r.checksum,
    appliedAt: r.applied_at,
    durationMs: r.duration_ms,
  }));
}

/** Writes the schema_migrations row of an applied migration (inside its transaction when it has one). */
export async function recordApplied(
  q: Queryable,
  m: { version: string; name: string; checksum: string },
  durationMs: number,
): Promise<void> {
  await q.query(
    'INSERT INTO schema_migrations (version, name, checksum, applied_at, duration_ms) VALUES ($1, $2, $3, now(), $4)',
    [m.version, m.name, m.checksum, Math.round(durationMs)],
  );
}

/** Deletes the schema_migrations row of a rolled-back migration. */
export async function recordRolledBack(q: Queryable, version: string): Promise<void> {
  await q.query('DELETE FROM schema_migrations WHERE version = $1', [version]);
}
