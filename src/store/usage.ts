/**
 * Usage of a message (types-usage.ts): its check, and its mapping from a row. The columns are
 * messages.model, input_tokens, output_tokens, latency_ms; chat_sessions.input_tokens and
 * output_tokens are the session's totals, moved by the statements that write messages.
 */
import { invalidInput } from '../errors.js';
import type { MessageUsage, SessionUsage, UsageInput } from './types-usage.js';
import * as v from './validate.js';

type Row = Record<string, unknown>;

/** The upper bound of each count: the integer columns' (2^31 - 1). */
export const MAX_USAGE_COUNT = 2_147_483_647;
/** The longest model id, in characters. */
export const MAX_MODEL_LENGTH = 200;

const USAGE_KEYS = ['model', 'inputTokens', 'outputTokens', 'latencyMs'];

/** A checked usage: what is stored (null: not recorded). */
export interface CheckedUsage {
  readonly model: string | null;
  readonly input_tokens: number | null;
  readonly output_tokens: number | null;
  readonly latency_ms: number | null;
}

/** Every field null: what `usage: null` stores (no usage recorded). */
export const NO_USAGE: CheckedUsage = {
  model: null,
  input_tokens: null,
  output_tokens: null,
  latency_ms: null,
};

function count(path: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_USAGE_COUNT)
    throw invalidInput(path, `must be an integer from 0 to ${MAX_USAGE_COUNT}, or null`);
  return value;
}

/**
 * Checks a message's `usage` (at `path`): undefined when not given, NO_USAGE for null, else each
 * count an integer 0..2^31-1 or null, the model 1..200 characters (no NUL, well-formed) or null.
 */
export function checkUsage(raw: unknown, path = 'usage'): CheckedUsage | undefined {
  if (raw === undefined) return undefined;
  if (raw === null) return NO_USAGE;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidInput(path, 'must be an object or null');
  v.knownKeys(raw, USAGE_KEYS, path);
  const u = raw as UsageInput;
  return {
    model:
      u.model === undefined || u.model === null
        ? null
        : v.text(`${path}.model`, u.model, MAX_MODEL_LENGTH, 1),
    input_tokens: count(`${path}.input_tokens`, u.inputTokens),
    output_tokens: count(`${path}.output_tokens`, u.outputTokens),
    latency_ms: count(`${path}.latency_ms`, u.latencyMs),
  };
}

/** The usage if it records anything, else undefined. */
export const recorded = (u: CheckedUsage | undefined): CheckedUsage | undefined =>
  u && Object.values(u).some((x) => x !== null) ? u : undefined;

/** The statement parameters of a usage: model, input, output, latency (null when not given). */
export const usageParams = (u: CheckedUsage | undefined): (string | number | null)[] => {
  const x = u ?? NO_USAGE;
  return [x.model, x.input_tokens, x.output_tokens, x.latency_ms];
};

const numOrNull = (x: unknown): number | null => (x === null || x === undefined ? null : Number(x));

/** A message row's usage; null when nothing is recorded. */
export function usageOfRow(r: Row): MessageUsage | null {
  const usage = {
    model: r.model === null || r.model === undefined ? null : String(r.model),
    inputTokens: numOrNull(r.input_tokens),
    outputTokens: numOrNull(r.output_tokens),
    latencyMs: numOrNull(r.latency_ms),
  };
  return Object.values(usage).every((x) => x === null) ? null : usage;
}

/** A session row's totals (bigint columns: strings from node-postgres). */
export const sessionUsageOfRow = (r: Row): SessionUsage => ({
  inputTokens: Number(r.input_tokens ?? 0),
  outputTokens: Number(r.output_tokens ?? 0),
});
