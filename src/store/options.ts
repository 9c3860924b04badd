/**
 * The shape checks of input and options objects at the modules' boundary: `null` options are
 * omitted ones, and only known keys are accepted (an unknown one would be dropped silently).
 */
import { invalidInput } from '../errors.js';

/**
 * An optional options (or input) argument: null and undefined both mean "no options" (`{}`);
 * anything else must be an object with only the `allowed` keys (see `knownKeys`). Fields inside
 * are validated by their own rules (null only where typed so).
 */
export function options<T extends object>(
  value: T | null | undefined,
  allowed: readonly string[],
  path = 'options',
): T {
  if (value === undefined || value === null) return {} as T;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidInput(path, 'must be an object');
  knownKeys(value, allowed);
  return value;
}

/**
 * The report functions (each taking one options object) with that argument checked by
 * `options()` first: `null` works like an omitted argument, and only the keys `keys[name]`
 * (none when absent) are accepted.
 */
export function withCheckedOptions<T extends object>(
  reports: T,
  keys: { readonly [K in keyof T]?: readonly string[] },
): T {
  const out: Record<string, unknown> = {};
  const allowed = keys as Record<string, readonly string[] | undefined>;
  for (const [name, fn] of Object.entries(reports) as [string, (o?: object) => Promise<unknown>][])
    out[name] = async (o?: object | null) =>
      fn(o === undefined || o === null ? undefined : options(o, allowed[name] ?? []));
  return out as T;
}

const camel = (key: string): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Rejects an input object's keys outside `allowed` (keys whose value is undefined are ignored):
 * a misspelt or snake_case key (`experience_level`) would otherwise be dropped without a word.
 * `prefix` is the object's own path (`citations[0]`), empty at the top level.
 */
export function knownKeys(value: object, allowed: readonly string[], prefix = ''): void {
  for (const [key, x] of Object.entries(value)) {
    if (x === undefined || allowed.includes(key)) continue;
    const hint = allowed.includes(camel(key)) ? ` (did you mean ${camel(key)}?)` : '';
    const expected = allowed.length ? `expected one of ${allowed.join(', ')}` : 'none are accepted';
    throw invalidInput(prefix ? `${prefix}.${key}` : key, `unknown field${hint}; ${expected}`);
  }
}
