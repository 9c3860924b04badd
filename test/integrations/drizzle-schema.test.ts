/**
 * chatdb/drizzle describes exactly the database chatdb's migrations build (scope `all`): the DDL
 * drizzle-kit generates from the shipped schema, run on an empty database, gives the same tables,
 * columns, constraints and indexes as the migrations, compared in Postgres's own words
 * (format_type, pg_get_constraintdef, pg_get_indexdef). A migration that changes the schema without
 * a matching change to src/integrations/drizzle/ fails here, listing the lines that differ.
 *
 * Why not `drizzle-kit push` and "no statements": against the migrated database, drizzle-kit
 * 0.31.11's push proposes changes to a schema that is right. Its introspection reads the columns
 * of multi-column keys in table order (so it drops and re-adds chat_sessions_leaf_fkey,
 * messages_parent_fkey, session_shares_up_to_fkey, messages_session_id_id_key and
 * session_shares_pkey), takes the gin index's user_id for an expression (rebuilding
 * messages_user_content_fts_idx) and reads message_feedback.tags's default '{}' as '{""}'; its
 * API's pushSchema also drops query parameters, which fails on composite primary keys
 * (drizzle-orm#5557). Its DDL generator has none of these problems, and Postgres compares every
 * detail push skips (index predicates and expressions, operator classes, CHECK bodies).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/integrations/drizzle.js';
import { freshDatabase, type ScratchDatabase } from '../helpers/db.js';
import { drizzleComparableSchema, drizzleKitDdl, schemaDifference } from '../helpers/drizzle.js';
import { ALL_TABLES } from '../helpers/migrations.js';

let migrated: ScratchDatabase;
let built: ScratchDatabase;
let ddl: string[];

beforeAll(async () => {
  [migrated, built] = await Promise.all([freshDatabase('all'), freshDatabase('none')]);
  ddl = await drizzleKitDdl(schema);
  // Drizzle does not describe extensions: the migrations create btree_gin for the search index.
  await built.db.exec('CREATE EXTENSION IF NOT EXISTS btree_gin');
  for (const statement of ddl) await built.db.exec(statement);
});

afterAll(async () => {
  await Promise.all([migrated?.drop(), built?.drop()]);
});

describe('chatdb/drizzle and the migrated database', () => {
  it('drizzle-kit builds from the schema the same tables, columns, constraints and indexes', async () => {
    const fromMigrations = await drizzleComparableSchema(migrated.db);
    const fromDrizzle = await drizzleComparableSchema(built.db);
    expect(schemaDifference(fromMigrations, fromDrizzle), 'fix src/integrations/drizzle/ to match').toEqual({
      onlyInMigrations: [],
      onlyInDrizzle: [],
    });
    // Not two empty descriptions: every table, the composite keys and a partial index are there.
    const tables = fromMigrations.filter((l) => l.startsWith('column ')).map((l) => l.split(/[ .]/)[1]);
    expect([...new Set(tables)].sort()).toEqual(ALL_TABLES);
    expect(fromDrizzle).toContain(
      'constraint chat_sessions chat_sessions_leaf_fkey FOREIGN KEY (id, leaf_message_id) REFERENCES messages(session_id, id)',
    );
    expect(
      fromDrizzle.some(
        (l) => l.includes('messages_streaming_idx') && l.includes("WHERE (status = 'streaming'::text)"),
      ),
    ).toBe(true);
  });

  it('sees a migration the Drizzle schema does not follow: a changed type, a new column', async () => {
    await migrated.db.exec(`
      ALTER TABLE message_citations ALTER COLUMN score TYPE real;
      ALTER TABLE messages ADD COLUMN language text`);
    const diff = schemaDifference(
      await drizzleComparableSchema(migrated.db),
      await drizzleComparableSchema(built.db),
    );
    expect(diff).toEqual({
      onlyInMigrations: ['column message_citations.score real', 'column messages.language text'],
      onlyInDrizzle: ['column message_citations.score double precision'],
    });
  });
});
