/**
 * prisma/schema.prisma, the Prisma schema chatdb ships, against the real tools: `prisma validate`
 * (the CLI, offline) accepts it, and what it describes is what chatdb's migrations build. The
 * comparison holds Prisma's reading of the schema (getDMMF) against the catalog of a database
 * migrated to the `all` scope, and lists each difference on its own line, so a migration that
 * changes a table without a matching change to schema.prisma fails here, saying what to change.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/index.js';
import { tempDir } from '../helpers/cli.js';
import { freshDatabase, type ScratchDatabase } from '../helpers/db.js';
import { ALL_TABLES } from '../helpers/migrations.js';
import { ROOT, runPrisma, SCHEMA_PATH } from '../helpers/prisma.js';
import { compareShapes, databaseShape, type SchemaShape } from '../helpers/prisma-compare.js';
import { prismaShape } from '../helpers/prisma-shape.js';

const schema = readFileSync(SCHEMA_PATH, 'utf8');
let scratch: ScratchDatabase;
let dbShape: SchemaShape;

beforeAll(async () => {
  scratch = await freshDatabase('all');
  dbShape = await databaseShape(scratch.db);
});
afterAll(() => scratch?.drop());

/** `text` with each [from, to] replaced; each `from` must occur exactly once. */
const edit = (text: string, ...edits: [string, string][]): string =>
  edits.reduce((t, [from, to]) => {
    expect(t.split(from), `the schema has "${from}" once`).toHaveLength(2);
    return t.replace(from, to);
  }, text);

describe('prisma validate and format (the real CLI, offline)', () => {
  it('accepts the shipped schema', async () => {
    const run = await runPrisma(['validate', '--schema', SCHEMA_PATH]);
    expect(run.stderr + run.stdout).toContain('is valid');
    expect(run.code).toBe(0);
  });

  it('finds it formatted as prisma format writes it', async () => {
    const run = await runPrisma(['format', '--check', '--schema', SCHEMA_PATH]);
    expect(run.stdout + run.stderr).toContain('formatted correctly');
    expect(run.code).toBe(0);
  });

  it('rejects a schema with a broken relation, naming the problem', async () => {
    const dir = tempDir('chatdb-prisma-');
    const file = join(dir, 'schema.prisma');
    writeFileSync(file, edit(schema, ['  citations  MessageCitation[]\n', '  citations  Nope[]\n']));
    const run = await runPrisma(['validate', '--schema', file]).finally(() =>
      rmSync(dir, { recursive: true, force: true }),
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/Nope/);
  });
});

describe('schema.prisma matches the database chatdb migrations build (scope all)', () => {
  it('every table, column (type, NOT NULL, default), key, index and foreign key', async () => {
    const differences = compareShapes(dbShape, await prismaShape(schema));
    expect(
      differences,
      `schema.prisma differs from the migrated database:\n${differences.join('\n')}`,
    ).toEqual([]);
    // What was compared: every table of the scope, and chatdb's bookkeeping left out.
    expect([...dbShape.tables].sort()).toEqual(ALL_TABLES);
    expect(dbShape.columns.size).toBeGreaterThan(70);
    expect(dbShape.foreignKeys.size).toBe(10);
  });

  it('reports each change to the schema, one line each', async () => {
    const changed = edit(
      schema,
      ['  latencyMs      Int?     @map("latency_ms")\n', ''],
      ['  seq            Int\n', '  seq            BigInt\n'],
      ['  title          String?\n', '  title          String\n'],
      ['@default("en")', '@default("de")'],
      [
        'onDelete: Cascade, onUpdate: NoAction, map: "message_citations_message_id_fkey"',
        'onDelete: Restrict, onUpdate: NoAction, map: "message_citations_message_id_fkey"',
      ],
      [', where: raw("status = \'streaming\'")', ''],
      ['  @@index([documentId], map: "message_citations_document_id_idx")\n', ''],
      ['model SessionShare {', 'model Extra {\n  id Int @id\n\n  @@map("extras")\n}\n\nmodel SessionShare {'],
    ).replaceAll('users_email_lower_key', 'the lower(email) index');
    expect(compareShapes(dbShape, await prismaShape(changed))).toEqual([
      'column chat_sessions.title: database "text NULL", schema.prisma "text NOT NULL"',
      'column messages.latency_ms: in the database "integer NULL", not in schema.prisma',
      'column messages.seq: database "integer NOT NULL", schema.prisma "bigint NOT NULL"',
      'column user_profiles.preferred_language: database "text NOT NULL DEFAULT en", schema.prisma "text NOT NULL DEFAULT de"',
      'foreign key message_citations message_citations_message_id_fkey: database "(message_id) REFERENCES messages (id) ON DELETE Cascade ON UPDATE NoAction", schema.prisma "(message_id) REFERENCES messages (id) ON DELETE Restrict ON UPDATE NoAction"',
      'index message_citations message_citations_document_id_idx: in the database "INDEX btree (document_id)", not in schema.prisma',
      'index messages messages_streaming_idx: database "INDEX btree (updated_at) WHERE status = \'streaming\'", schema.prisma "INDEX btree (updated_at)"',
      'index users users_email_lower_key: EXPRESSION UNIQUE index, not expressible: name it in a comment of schema.prisma',
      'table extras: a model maps it, not in the database',
    ]);
  });

  it('reports a migration schema.prisma does not follow, one line each', async () => {
    // As a new migration would: DDL in a transaction, read, rolled back.
    let migrated: SchemaShape | undefined;
    const rollback = new Error('rollback');
    await expect(
      scratch.db.transaction(async (tx: Queryable) => {
        await tx.exec(`
          ALTER TABLE messages ADD COLUMN pinned boolean NOT NULL DEFAULT false;
          CREATE INDEX messages_pinned_idx ON messages (session_id) WHERE pinned;
          ALTER TABLE message_citations DROP COLUMN excerpt;
          ALTER TABLE chat_sessions ALTER COLUMN title SET NOT NULL;
          CREATE TABLE notes (id bigint PRIMARY KEY);`);
        migrated = await databaseShape(tx);
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    expect(compareShapes(migrated as SchemaShape, await prismaShape(schema))).toEqual([
      'column chat_sessions.title: database "text NOT NULL", schema.prisma "text NULL"',
      'column message_citations.excerpt: in schema.prisma "text NULL", not in the database',
      'column messages.pinned: in the database "boolean NOT NULL DEFAULT false", not in schema.prisma',
      'index messages messages_pinned_idx: in the database "INDEX btree (session_id) WHERE pinned", not in schema.prisma',
      'table notes: in the database, no model maps it',
    ]);
    // Rolled back: the database is as the migrations left it.
    expect(compareShapes(await databaseShape(scratch.db), await prismaShape(schema))).toEqual([]);
  });
});

describe('the package ships the schema', () => {
  it('package.json "files" has prisma/, and npm pack takes schema.prisma and no generated client', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.files).toContain('prisma');
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(pack.status, pack.stderr).toBe(0);
    const files: string[] = JSON.parse(pack.stdout)[0].files.map((f: { path: string }) => f.path);
    expect(files).toContain('prisma/schema.prisma');
    expect(files.filter((f) => f.startsWith('prisma/') || f.startsWith('generated/'))).toEqual([
      'prisma/schema.prisma',
    ]);
  });
});
