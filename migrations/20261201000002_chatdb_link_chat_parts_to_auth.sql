-- chatdb baseline, scopes "auth" + "chat" together, after 20261201000001: the owner's user_id of
-- messages and citations becomes a uuid like chat_sessions.user_id (20250101000003), so the two
-- compare without casts and the per-user indexes hold 16-byte keys. No foreign key to users: the
-- session's already cascades, and a second one would cost a look-up per message written.
-- Written whenever both scopes are installed, in either order.
-- Lint exceptions (docs/safe-migrations.md): the text -> uuid change rewrites both tables under an
-- ACCESS EXCLUSIVE lock; it runs once, when the second scope is installed (usually on empty
-- tables). Large tables: maintenance window.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout, changing-column-type
-- migrate:up
ALTER TABLE messages DROP CONSTRAINT messages_user_id_check;
ALTER TABLE messages ALTER COLUMN user_id TYPE uuid USING user_id::uuid;
ALTER TABLE message_citations DROP CONSTRAINT message_citations_user_id_check;
ALTER TABLE message_citations ALTER COLUMN user_id TYPE uuid USING user_id::uuid;

-- migrate:down
ALTER TABLE message_citations ALTER COLUMN user_id TYPE text USING user_id::text;
ALTER TABLE message_citations ADD CONSTRAINT message_citations_user_id_check
  CHECK (char_length(user_id) BETWEEN 1 AND 255);
ALTER TABLE messages ALTER COLUMN user_id TYPE text USING user_id::text;
ALTER TABLE messages ADD CONSTRAINT messages_user_id_check
  CHECK (char_length(user_id) BETWEEN 1 AND 255);
