-- chatdb baseline, scopes "auth" + "chat" together, after 20261203000004: the owner's user_id of
-- session_shares becomes a uuid like chat_sessions.user_id (20250101000003), so the two compare
-- without casts and the primary key holds 16-byte user ids. No foreign key to users: the session's
-- already cascades, and a second one would cost a look-up per link.
-- Written whenever both scopes are installed, in either order.
-- Lint exceptions (docs/safe-migrations.md): the text -> uuid change rewrites session_shares under
-- an ACCESS EXCLUSIVE lock; it runs once, when the second scope is installed (usually on an empty
-- table). A large table: maintenance window.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout, changing-column-type
-- migrate:up
ALTER TABLE session_shares DROP CONSTRAINT session_shares_user_id_check;
ALTER TABLE session_shares ALTER COLUMN user_id TYPE uuid USING user_id::uuid;

-- migrate:down
ALTER TABLE session_shares ALTER COLUMN user_id TYPE text USING user_id::text;
ALTER TABLE session_shares ADD CONSTRAINT session_shares_user_id_check
  CHECK (char_length(user_id) BETWEEN 1 AND 255);
