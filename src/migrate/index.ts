/**
 * The migration engine: plain functions over a `Database` (src/db). The CLI (src/cli) is a thin
 * shell over these; see docs/migrations.md for the file format and the rules.
 */
export {
  BASELINE_FILES,
  filesOfScope,
  type InitOptions,
  type InitResult,
  init,
  isUpToDate,
  missingBaselineFiles,
  PACKAGE_MIGRATIONS_DIR,
  parseScope,
  SCOPES,
  type Scope,
} from './baseline.js';
export {
  checksumOf,
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  MIGRATION_FILE,
  type Migration,
  migrationFileNames,
  parseMigration,
  readMigrationFile,
} from './files.js';
export { type AppliedMigration, ensureHistoryTable, MIGRATION_LOCK_KEY, readHistory } from './history.js';
export { newMigration, slugify, versionOf } from './new.js';
export {
  type DownOptions,
  down,
  formatMs,
  type MigrateOptions,
  type MigrationLog,
  type RunResult,
  redo,
  type StepResult,
  type UpOptions,
  up,
  withMigrationLock,
} from './runner.js';
export { type Statement, splitStatements } from './split.js';
export {
  compare,
  type MigrationState,
  type StatusEntry,
  type StatusOptions,
  type StatusReport,
  status,
} from './status.js';
