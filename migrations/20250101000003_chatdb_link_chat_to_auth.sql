-- chatdb baseline, scopes "auth" + "chat" together: sessions belong to users. user_id becomes a
-- uuid foreign key with ON DELETE CASCADE, so deleting a user deletes their sessions, messages and
-- citations. Written whenever both scopes are installed, in either order.
-- Lint exceptions (docs/safe-migrations.md): the text -> uuid change rewrites chat_sessions under
-- an ACCESS EXCLUSIVE lock, so NOT VALID + VALIDATE would save nothing; it runs once, when the
-- second scope is installed (usually on empty tables). A large chat_sessions: maintenance window.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout, changing-column-type
-- squawk-ignore-file constraint-missing-not-valid, adding-foreign-key-constraint
-- migrate:up
ALTER TABLE chat_sessions DROP CONSTRAINT chat_sessions_user_id_check;
ALTER TABLE chat_sessions ALTER COLUMN user_id TYPE uuid USING user_id::uuid;
ALTER TABLE chat_sessions ADD CONSTRAINT chat_sessions_user_id_fkey
  FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;

-- migrate:down
ALTER TABLE chat_sessions DROP CONSTRAINT chat_sessions_user_id_fkey;
ALTER TABLE chat_sessions ALTER COLUMN user_id TYPE text USING user_id::text;
ALTER TABLE chat_sessions ADD CONSTRAINT chat_sessions_user_id_check
  CHECK (char_length(user_id) BETWEEN 1 AND 255);
