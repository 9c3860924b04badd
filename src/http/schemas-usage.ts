import { Type } from 'typebox';
import type { ChatSession, Message, UsageInput } from '../store/types.js';

/** Usage's request and response schemas, and its JSON mapping (snake_case, as API.md). */

const Count = (description: string) =>
  Type.Union([Type.Integer({ minimum: 0, maximum: 2_147_483_647 }), Type.Null()], { description });

/** `usage` of a message body (POST and PUT of a message). */
export const UsageBody = Type.Union(
  [
    Type.Object(
      {
        model: Type.Optional(
          Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], {
            description: "the model's id as the provider answered it, 1..200 characters",
          }),
        ),
        input_tokens: Type.Optional(Count('input (prompt) tokens, 0..2,147,483,647')),
        output_tokens: Type.Optional(Count('output (completion) tokens, 0..2,147,483,647')),
        latency_ms: Type.Optional(Count('from the request to the last token, in milliseconds')),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  {
    description:
      'the model, tokens and latency of the call that wrote the message; an omitted field is not recorded. ' +
      "On PUT: given, it replaces the stored usage; null clears it; omitted keeps it. The session's usage " +
      'totals move with it.',
  },
);

/** A message's usage in a response: null when none was recorded. */
export const MessageUsageSchema = Type.Union(
  [
    Type.Object({
      model: Type.Union([Type.String(), Type.Null()]),
      input_tokens: Type.Union([Type.Integer(), Type.Null()]),
      output_tokens: Type.Union([Type.Integer(), Type.Null()]),
      latency_ms: Type.Union([Type.Integer(), Type.Null()]),
    }),
    Type.Null(),
  ],
  { description: 'the model, tokens and latency of the call that wrote it; null when none were recorded' },
);

/** A session's totals. */
export const SessionUsageSchema = Type.Object(
  { input_tokens: Type.Integer(), output_tokens: Type.Integer() },
  { description: "the tokens of all the session's messages (every branch)" },
);

interface UsageJson {
  readonly model?: string | null;
  readonly input_tokens?: number | null;
  readonly output_tokens?: number | null;
  readonly latency_ms?: number | null;
}

/** A body's `usage` for the library (undefined when absent). */
export function usageInput(u: UsageJson | null | undefined): { usage?: UsageInput | null } {
  if (u === undefined) return {};
  if (u === null) return { usage: null };
  return {
    usage: {
      ...(u.model === undefined ? {} : { model: u.model }),
      ...(u.input_tokens === undefined ? {} : { inputTokens: u.input_tokens }),
      ...(u.output_tokens === undefined ? {} : { outputTokens: u.output_tokens }),
      ...(u.latency_ms === undefined ? {} : { latencyMs: u.latency_ms }),
    },
  };
}

export const messageUsageJson = (m: Message) =>
  m.usage === null
    ? null
    : {
        model: m.usage.model,
        input_tokens: m.usage.inputTokens,
        output_tokens: m.usage.outputTokens,
        latency_ms: m.usage.latencyMs,
      };

export const sessionUsageJson = (s: ChatSession) => ({
  input_tokens: s.usage.inputTokens,
  output_tokens: s.usage.outputTokens,
});
