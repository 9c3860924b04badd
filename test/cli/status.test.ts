import { describe, expect, it } from 'vitest';
import { statusText } from '../../src/cli/commands/status.js';
import { type AppliedMigration, compare, parseMigration } from '../../src/migrate/index.js';
import { sql } from '../helpers/migrations.js';

const file = (version: string, name: string) =>
  parseMigration(`${version}_${name}.sql`, sql('SELECT 1;', 'SELECT 1;'));
const applied = (version: string, checksum: string): AppliedMigration => ({
  version,
  name: null,
  checksum,
  appliedAt: new Date('2026-01-01T00:00:00.000Z'),
  durationMs: 1,
});

describe('chatdb status text', () => {
  it('hints at the fix for edited, missing and pending migrations', () => {
    const a = file('20260101000001', 'a');
    const b = file('20260101000002', 'b');
    const report = compare(
      [a, b, file('20260101000004', 'd')],
      [applied(a.version, a.checksum), applied(b.version, 'other'), applied('20260101000003', 'x')],
    );
    expect(statusText(report, 'memory:// (embedded)', 'migrations').split('\n')).toEqual([
      'database:   memory:// (embedded)',
      'migrations: migrations',
      '  applied  20260101000001_a.sql  2026-01-01T00:00:00.000Z',
      '  edited   20260101000002_b.sql  2026-01-01T00:00:00.000Z',
      '  missing  20260101000003 (no file)  2026-01-01T00:00:00.000Z',
      '  pending  20260101000004_d.sql',
      '2 applied, 1 pending, 1 edited, 1 missing',
      'hint: edited = changed after it was applied, so databases that applied it differ from the file: restore it (e.g. git checkout -- <file>) and put the change in a new migration (chatdb new); or, where nobody else applied it, restore it, roll it back (chatdb down), then edit and apply it',
      'hint: missing = applied, but its file is gone from the migrations directory: restore it from version control (chatdb down needs its down section), or check --dir / CHATDB_MIGRATIONS_DIR',
      'hint: chatdb up applies the pending migrations (chatdb up --dry-run lists them)',
    ]);
  });

  it('gives no hint when everything is applied', () => {
    const a = file('20260101000001', 'a');
    expect(statusText(compare([a], [applied(a.version, a.checksum)]), 'db', 'm')).not.toContain('hint:');
  });
});
