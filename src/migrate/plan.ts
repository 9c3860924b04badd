import { ChatDbError } from '../errors.js';
import { checkTransactionControl } from './apply.js';
import type { Migration } from './files.js';
import type { AppliedMigration } from './history.js';
import type { DownOptions, UpOptions } from './runner.js';

/**
 * The checks of a run, made before it touches anything: `up`, `down` and `redo` plan first, then
 * run, so a refusal never comes after a migration was applied or rolled back.
 */

const quiet = (_line: string): void => undefined;

function refuseEdited(migrations: readonly Migration[], applied: readonly AppliedMigration[]): void {
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  for (const h of applied) {
    const m = byVersion.get(h.version);
    // No checksum: applied by another tool (dbmate), nothing to compare.
    if (m && h.checksum && h.checksum !== m.checksum) {
      throw new ChatDbError(
        'migration_edited',
        `${m.file} was edited after it was applied (its checksum differs): restore it and put the change in ` +
          'a new migration (chatdb new), or roll it back (chatdb down) before editing it',
      );
    }
  }
}

/**
 * Every check `up` makes before it runs anything (edited applied files, --to, empty or irreversible
 * sections, transaction control, out-of-order with --strict); returns what to apply, oldest first,
 * and the warnings, already reported on `warn`.
 */
export function planUp(
  migrations: readonly Migration[],
  history: readonly AppliedMigration[],
  options: UpOptions,
): { pending: Migration[]; warnings: string[] } {
  const warn = options.warn ?? options.log ?? quiet;
  const warnings: string[] = [];
  const warning = (message: string) => {
    warnings.push(message);
    warn(`warning: ${message}`);
  };
  refuseEdited(migrations, history);
  if (options.to !== undefined && !migrations.some((m) => m.version === options.to)) {
    throw new ChatDbError('migration_missing', `--to ${options.to}: no migration file has that version`);
  }
  const files = new Set(migrations.map((m) => m.version));
  const gone = history.filter((h) => !files.has(h.version)).map((h) => h.version);
  if (gone.length > 0 && options.only === undefined) {
    warning(`applied but missing from ${options.dir}: ${gone.join(', ')} (chatdb status lists them)`);
  }
  const applied = new Set(history.map((h) => h.version));
  const newest = history.at(-1)?.version ?? '';
  const pending = migrations.filter(
    (m) =>
      !applied.has(m.version) &&
      (options.to === undefined || m.version <= options.to) &&
      (options.only === undefined || options.only.has(m.version)),
  );
  for (const m of pending) {
    if (!m.up)
      throw new ChatDbError('migration_invalid', `${m.file}: the up section is empty: write its SQL first`);
    if (!m.down && !options.allowIrreversible) {
      throw new ChatDbError(
        'migration_irreversible',
        `${m.file} has no down section: add SQL after "-- migrate:down" that undoes it, or pass --allow-irreversible`,
      );
    }
    checkTransactionControl(m, 'up');
  }
  for (const m of pending) {
    if (m.version >= newest || options.only !== undefined) continue;
    const msg = `${m.file} is older than the newest applied migration (${newest}), e.g. from a merged branch`;
    if (options.strict) throw new ChatDbError('migration_out_of_order', `${msg}: refused (--strict)`);
    warning(`${msg}: applying it anyway`);
  }
  return { pending, warnings };
}

/**
 * Every check `down` makes before it runs anything: the targets (newest first) exist, are not
 * edited, have a down section without transaction control. Returns their files, newest first.
 */
export function planDown(
  migrations: readonly Migration[],
  history: readonly AppliedMigration[],
  options: DownOptions,
): Migration[] {
  const newestFirst = [...history].reverse();
  let targets: AppliedMigration[];
  if (options.to !== undefined) {
    if (options.to !== '0' && !history.some((h) => h.version === options.to)) {
      throw new ChatDbError(
        'migration_missing',
        `--to ${options.to}: that version is not applied (use --to 0 to roll back all)`,
      );
    }
    targets = newestFirst.filter((h) => h.version > (options.to as string));
  } else {
    const steps = options.steps ?? 1;
    if (!Number.isInteger(steps) || steps < 1)
      throw new ChatDbError('invalid_input', `--steps must be a whole number >= 1, got ${steps}`);
    targets = newestFirst.slice(0, steps);
  }
  // Rolling back an edited file would run a down section that does not match what was applied.
  refuseEdited(migrations, targets);
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  return targets.map((h) => {
    const m = byVersion.get(h.version);
    if (!m)
      throw new ChatDbError(
        'migration_missing',
        `cannot roll back ${h.version}${h.name ? ` (${h.name})` : ''}: its file is missing from ${options.dir}`,
      );
    if (!m.down)
      throw new ChatDbError('migration_irreversible', `cannot roll back ${m.file}: it has no down section`);
    checkTransactionControl(m, 'down');
    return m;
  });
}
