import { describe, expect, it } from 'vitest';
import { isChatDbError } from '../../src/errors.js';
import { checkTransactionControl } from '../../src/migrate/apply.js';
import { parseMigration } from '../../src/migrate/index.js';
import { sql } from '../helpers/migrations.js';

/** The message checkTransactionControl refuses an up section with, or undefined. */
const control = (up: string, options = ''): string | undefined => {
  try {
    checkTransactionControl(parseMigration('20260101000001_x.sql', sql(up, 'SELECT 1;', options)), 'up');
  } catch (e) {
    expect(isChatDbError(e, 'migration_invalid')).toBe(true);
    return (e as Error).message;
  }
  return undefined;
};

// Refusing, and applying nothing, on a real database: failures.test.ts.
describe('transaction control in a transactional migration', () => {
  it.each([
    ['BEGIN;', 'BEGIN'],
    ['begin transaction isolation level serializable;', 'BEGIN'],
    ['START  TRANSACTION;', 'START TRANSACTION'],
    ['COMMIT;', 'COMMIT'],
    ['commit and chain;', 'COMMIT'],
    ['END;', 'END'],
    ['ROLLBACK;', 'ROLLBACK'],
    ['rollback work;', 'ROLLBACK'],
    ['ABORT;', 'ABORT'],
    ["PREPARE TRANSACTION 'x';", 'PREPARE TRANSACTION'],
  ])('refuses %s at the top level, naming file and line', (statement, name) => {
    expect(
      control(`CREATE TABLE a (id int);\n  /* a comment */ ${statement}\nCREATE TABLE b (id int);`),
    ).toBe(
      `20260101000001_x.sql (up) at line 3: ${name} is not allowed here: each migration already runs in its own transaction, and ending it early would leave the migration half applied when a later statement fails. Remove it, or write "-- migrate:up transaction:false" to manage transactions yourself`,
    );
  });

  it('is not fooled by strings, comments, dollar-quoted bodies, BEGIN ATOMIC or savepoints', () => {
    const body = [
      "SELECT 'COMMIT;', E'\\' ROLLBACK;', $q$ BEGIN; $q$;",
      '-- COMMIT;',
      '/* BEGIN; /* nested */ END; */',
      'DO $$ BEGIN PERFORM 1; END $$;',
      'CREATE PROCEDURE p() LANGUAGE plpgsql AS $body$ BEGIN COMMIT; END $body$;',
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;',
      'SAVEPOINT s;',
      'ROLLBACK TO SAVEPOINT s;',
      'rollback transaction to s;',
      'RELEASE s;',
      'CREATE TABLE "commit" (id int);',
    ].join('\n');
    expect(control(body)).toBeUndefined();
  });

  it('lets a transaction:false section use them', () => {
    expect(
      control('BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (x);\nCOMMIT;', 'transaction:false'),
    ).toBeUndefined();
  });
});
