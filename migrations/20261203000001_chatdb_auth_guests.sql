-- chatdb baseline, scope "auth": guest accounts (docs/design.md, "Guests"). A guest has no email
-- and no password, only bearer tokens; upgrading it sets both and clears is_guest in one UPDATE of
-- the same row, so its id (and every session, message and rating keyed by it) stays. The CHECK
-- ties the three together: a guest has neither email nor password, a registered user has both, so
-- no statement can give a guest a password without upgrading it, and a registered user cannot
-- lose either. NULL emails do not collide in users_email_lower_key. Idle guests are found through
-- the partial index on created_at: only guest rows are in it, so the purge never reads the
-- registered users.
-- Down: a guest cannot satisfy NOT NULL email/password, so down DELETES EVERY GUEST, and with
-- them (ON DELETE CASCADE) their profiles, tokens and, with the chat scope, sessions and messages.
-- Lint exceptions (docs/safe-migrations.md): the CHECK scans users once and the index build reads
-- it once, under the lock ALTER TABLE takes anyway; NOT VALID + VALIDATE in the same transaction
-- would save nothing, and the index is empty (no guest exists before this file), so CONCURRENTLY
-- would only split the file in two. users is one row per account, read on every request (tokens
-- join it): lock_timeout makes the migration fail fast instead of queueing every request behind it.
-- No statement_timeout: the scan and the build take as long as users is large, and stopping them
-- halfway would only make the upgrade fail; both run once.
-- Dropping NOT NULL on email and hashed_password is the feature: code that reads users must expect
-- NULL for a guest (chatdb's own does; a query of yours over users.email should filter is_guest).
-- squawk-ignore-file require-statement-timeout, constraint-missing-not-valid, require-concurrent-index-creation
-- squawk-ignore-file ban-drop-not-null
-- migrate:up
SET LOCAL lock_timeout = '5s';
ALTER TABLE users
  ALTER COLUMN email DROP NOT NULL,
  ALTER COLUMN hashed_password DROP NOT NULL,
  ADD COLUMN is_guest boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT users_guest_check
    CHECK (is_guest = (email IS NULL) AND is_guest = (hashed_password IS NULL));
-- The purge's candidates: guests, oldest first (a guest created since the cutoff is never idle).
CREATE INDEX users_guest_created_at_idx ON users (created_at) WHERE is_guest;

-- migrate:down
SET LOCAL lock_timeout = '5s';
DELETE FROM users WHERE is_guest;
DROP INDEX users_guest_created_at_idx;
ALTER TABLE users
  DROP CONSTRAINT users_guest_check,
  DROP COLUMN is_guest,
  ALTER COLUMN email SET NOT NULL,
  ALTER COLUMN hashed_password SET NOT NULL;
