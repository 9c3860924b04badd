import { statSync } from 'node:fs';
import { ChatDbError } from '../errors.js';
import { loadMigrations, type Migration } from '../migrate/index.js';

/**
 * Throws `invalid_input` when the migrations directory does not exist: lint and verify would
 * otherwise report "0 files linted" or "nothing pending" and pass, on a typo in --dir.
 */
export function requireMigrationsDir(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir)
    throw new ChatDbError(
      'invalid_input',
      `migrations directory ${dir} does not exist (check --dir or CHATDB_MIGRATIONS_DIR)`,
    );
}

/** `loadMigrations`, refusing a missing directory (see `requireMigrationsDir`). */
export function loadMigrationsDir(dir: string): Migration[] {
  requireMigrationsDir(dir);
  return loadMigrations(dir);
}
