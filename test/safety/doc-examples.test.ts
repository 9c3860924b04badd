import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newMigration, up } from '../../src/migrate/index.js';
import { lintMigrations } from '../../src/safety/lint.js';
import { freshDatabase, type ScratchDatabase } from '../helpers/db.js';
import { migrationsDir } from '../helpers/migrations.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const DOCS = ['README.md', ...readdirSync(`${ROOT}docs`).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
);

/** Every ```sql block of the docs that is a migration file (starts with `-- migrate:up`). */
const examples = DOCS.flatMap((doc) =>
  [...readFileSync(`${ROOT}${doc}`, 'utf8').matchAll(/```sql\n([\s\S]*?)```/g)]
    .map((m) => m[1] as string)
    .filter((block) => block.startsWith('-- migrate:up'))
    .map((block, i) => ({ doc, i, block })),
);

const THE_CHANGE = {
  up: 'ALTER TABLE users ADD COLUMN timezone text;',
  down: 'ALTER TABLE users DROP COLUMN timezone;',
};

describe('the migrations the docs show', () => {
  it('include the README example and the migrations.md one', () => {
    expect(examples.map((e) => e.doc)).toEqual(expect.arrayContaining(['README.md', 'docs/migrations.md']));
  });

  it.each(examples)('$doc example $i lints clean, squawk included', async ({ block }) => {
    const r = await lintMigrations({
      dir: migrationsDir({ '20260101120000_example.sql': block }),
      history: [],
    });
    expect(r.squawk).toBe('ran');
    expect(r.findings).toEqual([]);
  });
});

describe('chatdb new', () => {
  let s: ScratchDatabase;
  beforeEach(async () => {
    s = await freshDatabase('auth');
  });
  afterEach(() => s.drop());

  it('writes a file that, filled in as the docs show, lints clean and applies; unfilled, up refuses it', async () => {
    const dir = migrationsDir();
    const path = newMigration(dir, 'add user timezone');
    const template = readFileSync(path, 'utf8');
    // Unfilled: its timeout lines alone are no migration.
    expect((await lintMigrations({ dir, history: [] })).findings.map((f) => f.rule).sort()).toEqual([
      'empty-down',
      'empty-up',
    ]);
    await expect(up(s.db, { dir })).rejects.toThrow(`${basename(path)}: the up section is empty`);
    // Filled in: the change under each section's timeout lines.
    const [head, tail] = template.split('-- migrate:down') as [string, string];
    const filled = `${head.trimEnd()}\n${THE_CHANGE.up}\n\n-- migrate:down${tail.trimEnd()}\n${THE_CHANGE.down}\n`;
    writeFileSync(path, filled);
    const r = await lintMigrations({ dir, history: [] });
    expect(r.squawk).toBe('ran');
    expect(r.findings).toEqual([]);
    // It is the file docs/migrations.md shows.
    expect(examples.find((e) => e.doc === 'docs/migrations.md')?.block).toBe(filled);
    expect((await up(s.db, { dir })).steps).toHaveLength(1);
    const col = await s.db.query(
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'timezone'",
    );
    expect(col.rows).toHaveLength(1);
    // SET LOCAL ended with the migration's transaction: nothing stays on the session.
    const { rows } = await s.db.query<{ t: string }>("SELECT current_setting('lock_timeout') AS t");
    expect(rows[0]?.t).toBe('0');
  });
});
