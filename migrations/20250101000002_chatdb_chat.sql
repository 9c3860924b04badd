-- chatdb baseline, scope "chat": sessions, messages (with selected text), RAG citations.
-- On its own, chat_sessions.user_id is an opaque id from an external auth provider (text); the
-- migration 20250101000003 turns it into a uuid foreign key to users when the auth scope is there too.
-- Lint exceptions (docs/safe-migrations.md): only new tables and a function are created, so no
-- existing table is locked or scanned; and the integer columns count messages per session
-- (seq, message_count) and citations per message (citation_index), far below 2^31.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout, prefer-bigint-over-int
-- migrate:up
CREATE OR REPLACE FUNCTION chatdb_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

CREATE TABLE chat_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id text NOT NULL CONSTRAINT chat_sessions_user_id_check CHECK (char_length(user_id) BETWEEN 1 AND 255),
  title text CONSTRAINT chat_sessions_title_check CHECK (char_length(title) <= 500),
  metadata jsonb NOT NULL DEFAULT '{}' CONSTRAINT chat_sessions_metadata_check CHECK (jsonb_typeof(metadata) = 'object'),
  message_count integer NOT NULL DEFAULT 0 CONSTRAINT chat_sessions_message_count_check CHECK (message_count >= 0),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now(),
  last_message_at timestamptz(3)
);
-- "My recent sessions", keyset-paginated on (updated_at, id).
CREATE INDEX chat_sessions_user_recent_idx ON chat_sessions (user_id, updated_at DESC, id DESC);
CREATE TRIGGER chat_sessions_touch_updated_at BEFORE UPDATE ON chat_sessions
  FOR EACH ROW EXECUTE FUNCTION chatdb_touch_updated_at();

-- Ids are UUIDv7 made by the application, so the primary key index is appended to.
CREATE TABLE messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
  seq integer NOT NULL CONSTRAINT messages_seq_check CHECK (seq >= 1),
  role text NOT NULL CONSTRAINT messages_role_check CHECK (role IN ('system', 'user', 'assistant', 'tool')),
  content text NOT NULL,
  selected_text text,
  metadata jsonb NOT NULL DEFAULT '{}' CONSTRAINT messages_metadata_check CHECK (jsonb_typeof(metadata) = 'object'),
  idempotency_key text CONSTRAINT messages_idempotency_key_check CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
  request_hash text,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  CONSTRAINT messages_session_seq_key UNIQUE (session_id, seq)
);
CREATE UNIQUE INDEX messages_idempotency_key_idx ON messages (session_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_content_fts_idx ON messages USING gin (to_tsvector('english', content));

CREATE TABLE message_citations (
  message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  citation_index integer NOT NULL CONSTRAINT message_citations_citation_index_check CHECK (citation_index >= 1),
  document_id text NOT NULL CONSTRAINT message_citations_document_id_check CHECK (char_length(document_id) BETWEEN 1 AND 1000),
  chunk_id text,
  score double precision CONSTRAINT message_citations_score_check CHECK (score >= 0 AND score <= 1),
  excerpt text,
  metadata jsonb NOT NULL DEFAULT '{}' CONSTRAINT message_citations_metadata_check CHECK (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, citation_index)
);
CREATE INDEX message_citations_document_id_idx ON message_citations (document_id);

-- migrate:down
DROP TABLE message_citations;
DROP TABLE messages;
DROP TABLE chat_sessions;
-- The auth scope uses the same trigger function: drop it only when nothing else does.
DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'chatdb_touch_updated_at'
  ) THEN
    DROP FUNCTION chatdb_touch_updated_at();
  END IF;
END
$$;
