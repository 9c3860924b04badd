-- chatdb baseline, scope "chat": messages as the AI SDK sees them (docs/design.md, "Parts, ids and
-- branches"). Each message gains its parts (jsonb, lossless), a status, the client's id (unique per
-- owner), its parent (branches) and updated_at; messages and citations carry the owner's user_id
-- (owner checks and per-user search on one index; distribution by user); a session knows its leaf
-- (the end of the active path) and an active stream id. Existing rows: content becomes one text
-- part, each message's parent is the one before it (by seq), the leaf is the last message.
-- user_id is text here, like chat_sessions.user_id in this scope; 20261201000002 makes both uuid
-- when the auth scope is installed too (in either order).
-- Down drops what up added: parts other than text, statuses and branch structure are lost.
-- Lint exceptions (docs/safe-migrations.md): the UPDATE that fills the new columns of existing
-- rows rewrites messages anyway, under the ACCESS EXCLUSIVE lock the new constraints take, so
-- CONCURRENTLY, NOT VALID or a later SET NOT NULL would save nothing, and a timeout would only
-- abort an upgrade that must finish once begun. It runs once, on upgrade (new installs: empty
-- tables); a large messages table: run it in a maintenance window. btree_gin gives the
-- (user_id, tsvector) GIN index; Postgres ships it in contrib, PGlite and Neon too.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout, require-concurrent-index-creation
-- squawk-ignore-file constraint-missing-not-valid, adding-foreign-key-constraint, adding-not-nullable-field
-- squawk-ignore-file disallowed-unique-constraint, require-concurrent-index-deletion
-- migrate:up
CREATE EXTENSION IF NOT EXISTS btree_gin;

ALTER TABLE chat_sessions
  ADD COLUMN leaf_message_id uuid,
  ADD COLUMN active_stream_id text
    CONSTRAINT chat_sessions_active_stream_id_check CHECK (char_length(active_stream_id) BETWEEN 1 AND 255);

ALTER TABLE messages
  ADD COLUMN user_id text,
  ADD COLUMN client_id text,
  ADD COLUMN parts jsonb,
  ADD COLUMN status text NOT NULL DEFAULT 'complete'
    CONSTRAINT messages_status_check CHECK (status IN ('streaming', 'complete', 'aborted', 'error')),
  ADD COLUMN parent_id uuid,
  ADD COLUMN updated_at timestamptz(3);

ALTER TABLE message_citations ADD COLUMN user_id text;

-- Existing rows: the owner from the session, the uuid as the client id, content as one text part,
-- the previous message (by seq) as the parent.
UPDATE messages m
SET user_id = s.user_id::text,
    client_id = m.id::text,
    parts = jsonb_build_array(jsonb_build_object('type', 'text', 'text', m.content)),
    parent_id = p.prev,
    updated_at = m.created_at
FROM chat_sessions s,
     (SELECT id, lag(id) OVER (PARTITION BY session_id ORDER BY seq) AS prev FROM messages) p
WHERE s.id = m.session_id AND p.id = m.id;

UPDATE message_citations c SET user_id = m.user_id FROM messages m WHERE m.id = c.message_id;

-- The leaf of each session is its last message. Not an activity: keep updated_at (it orders lists).
ALTER TABLE chat_sessions DISABLE TRIGGER chat_sessions_touch_updated_at;
UPDATE chat_sessions s SET leaf_message_id = l.id
FROM (SELECT DISTINCT ON (session_id) session_id, id FROM messages ORDER BY session_id, seq DESC) l
WHERE l.session_id = s.id;
ALTER TABLE chat_sessions ENABLE TRIGGER chat_sessions_touch_updated_at;

ALTER TABLE messages
  ALTER COLUMN user_id SET NOT NULL,
  ALTER COLUMN client_id SET NOT NULL,
  ALTER COLUMN parts SET NOT NULL,
  ALTER COLUMN updated_at SET NOT NULL,
  ALTER COLUMN updated_at SET DEFAULT now(),
  ADD CONSTRAINT messages_user_id_check CHECK (char_length(user_id) BETWEEN 1 AND 255),
  ADD CONSTRAINT messages_client_id_check CHECK (char_length(client_id) BETWEEN 1 AND 255),
  ADD CONSTRAINT messages_parts_check CHECK (jsonb_typeof(parts) = 'array'),
  -- The target of the composite foreign keys below: a parent, a leaf is a message of the same session.
  ADD CONSTRAINT messages_session_id_id_key UNIQUE (session_id, id);

ALTER TABLE message_citations
  ALTER COLUMN user_id SET NOT NULL,
  ADD CONSTRAINT message_citations_user_id_check CHECK (char_length(user_id) BETWEEN 1 AND 255);

-- A parent is a message of the same session; deleting a message deletes the replies below it.
ALTER TABLE messages ADD CONSTRAINT messages_parent_fkey
  FOREIGN KEY (session_id, parent_id) REFERENCES messages (session_id, id) ON DELETE CASCADE;
-- The leaf is a message of this session; a message that is the leaf cannot be deleted alone.
ALTER TABLE chat_sessions ADD CONSTRAINT chat_sessions_leaf_fkey
  FOREIGN KEY (id, leaf_message_id) REFERENCES messages (session_id, id);

-- The client's id finds the message: unique per owner, so another user's ids never collide.
CREATE UNIQUE INDEX messages_user_client_id_key ON messages (user_id, client_id);
-- Children of a message (siblings, in seq order; roots have parent_id NULL); the parent key's index.
CREATE INDEX messages_session_parent_idx ON messages (session_id, parent_id, seq);
-- Replies left streaming (by a killed process): small, only the streaming rows.
CREATE INDEX messages_streaming_idx ON messages (updated_at) WHERE status = 'streaming';
-- Per-user full-text search on one index (btree_gin's opclass for user_id).
DROP INDEX messages_content_fts_idx;
CREATE INDEX messages_user_content_fts_idx ON messages USING gin (user_id, to_tsvector('english', content));
-- A user's citations (per-user reports: most cited documents, messages citing a document) on one
-- index, without going through messages and sessions. A chat-scope user id (up to 1,020 bytes) with
-- a 2,048-byte document id can exceed the btree entry limit: that write is invalid_input.
CREATE INDEX message_citations_user_document_idx ON message_citations (user_id, document_id);

CREATE TRIGGER messages_touch_updated_at BEFORE UPDATE ON messages
  FOR EACH ROW EXECUTE FUNCTION chatdb_touch_updated_at();

-- migrate:down
DROP TRIGGER messages_touch_updated_at ON messages;
DROP INDEX message_citations_user_document_idx;
DROP INDEX messages_user_content_fts_idx;
CREATE INDEX messages_content_fts_idx ON messages USING gin (to_tsvector('english', content));
DROP INDEX messages_streaming_idx;
DROP INDEX messages_session_parent_idx;
DROP INDEX messages_user_client_id_key;
ALTER TABLE chat_sessions DROP CONSTRAINT chat_sessions_leaf_fkey;
ALTER TABLE messages DROP CONSTRAINT messages_parent_fkey;
ALTER TABLE messages DROP CONSTRAINT messages_session_id_id_key;
ALTER TABLE message_citations DROP COLUMN user_id;
ALTER TABLE messages
  DROP COLUMN user_id,
  DROP COLUMN client_id,
  DROP COLUMN parts,
  DROP COLUMN status,
  DROP COLUMN parent_id,
  DROP COLUMN updated_at;
ALTER TABLE chat_sessions DROP COLUMN leaf_message_id, DROP COLUMN active_stream_id;
-- Only when nothing else uses it (it may have been there before).
DO $$
BEGIN
  DROP EXTENSION IF EXISTS btree_gin;
EXCEPTION WHEN dependent_objects_still_exist THEN
  NULL;
END
$$;
