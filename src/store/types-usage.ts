/**
 * Usage of a reply: the model that wrote it, its tokens and latency (docs/design.md, "Usage").
 * Re-exported by types.ts and src/index.ts.
 */

/** What a message records of the call that produced it; each field null when not recorded. */
export interface MessageUsage {
  /** The model's id as the provider answered it (the AI SDK's `response.modelId`), 1..200 characters. */
  readonly model: string | null;
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
  /** From the request to the last token, in milliseconds. */
  readonly latencyMs: number | null;
}

/**
 * The usage given with a message (`append`, `upsert`, `saveMany`): each count a non-negative
 * integer up to 2,147,483,647, the model 1..200 characters without NUL; an omitted field is not
 * recorded (null). On `upsert`, a given `usage` replaces the stored one whole, `null` clears it, an
 * omitted one keeps it (a history saved again does not lose its replies' usage).
 */
export interface UsageInput {
  readonly model?: string | null;
  readonly inputTokens?: number | null;
  readonly outputTokens?: number | null;
  readonly latencyMs?: number | null;
}

/** A session's totals over all its messages (every branch), kept as the messages are saved. */
export interface SessionUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}
