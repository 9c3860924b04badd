-- chatdb baseline, scope "chat": usage of each reply (docs/design.md, "Usage"). A message may carry
-- the model that wrote it, its input and output tokens and its latency: plain nullable columns, so
-- the reports aggregate them without parsing JSON; null is "not recorded". A session keeps running
-- totals of its messages' tokens (bigint: a long session can pass 2^31 input tokens), moved by the
-- same statement that appends or replaces a message, so listing sessions reads no message.
-- Existing rows: messages have no usage recorded (null), sessions totals of 0 (which they are).
-- The new columns are nullable or have a constant default, so no table is rewritten.
-- Lint exceptions (docs/safe-migrations.md): a timeout would only abort an upgrade that must finish
-- once begun; the per-message counts are integer on purpose: 2^31 tokens or milliseconds (24 days)
-- is far above any one reply, and the library refuses more (invalid_input).
-- squawk-ignore-file require-lock-timeout, require-statement-timeout, prefer-bigint-over-int
-- migrate:up
ALTER TABLE messages
  ADD COLUMN model text CONSTRAINT messages_model_check CHECK (char_length(model) BETWEEN 1 AND 200),
  ADD COLUMN input_tokens integer CONSTRAINT messages_input_tokens_check CHECK (input_tokens >= 0),
  ADD COLUMN output_tokens integer CONSTRAINT messages_output_tokens_check CHECK (output_tokens >= 0),
  ADD COLUMN latency_ms integer CONSTRAINT messages_latency_ms_check CHECK (latency_ms >= 0);

ALTER TABLE chat_sessions
  ADD COLUMN input_tokens bigint NOT NULL DEFAULT 0
    CONSTRAINT chat_sessions_input_tokens_check CHECK (input_tokens >= 0),
  ADD COLUMN output_tokens bigint NOT NULL DEFAULT 0
    CONSTRAINT chat_sessions_output_tokens_check CHECK (output_tokens >= 0);

-- migrate:down
ALTER TABLE chat_sessions DROP COLUMN input_tokens, DROP COLUMN output_tokens;
ALTER TABLE messages DROP COLUMN model, DROP COLUMN input_tokens, DROP COLUMN output_tokens, DROP COLUMN latency_ms;
