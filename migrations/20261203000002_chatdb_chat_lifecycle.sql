-- chatdb baseline, scope "chat": pinned, archived and trashed sessions (docs/design.md, "Pin,
-- archive, trash"). A trashed session (trashed_at set) is invisible to every route but the trash
-- and restore until `chatdb purge` deletes it after the retention period. The list index serves
-- "pinned first, then most recently active" for the list and the archive view (archived = false /
-- true) without a sort, and leaves trashed rows out; the trash has its own index per user (not
-- partial: it is also the index that finds all of a user's sessions, for the cascade of a user's
-- delete and the idle-guest purge), purge one by trashed_at, and the idle purge one by updated_at.
-- Lint exceptions (docs/safe-migrations.md): the three new columns are NOT NULL with a constant
-- default or nullable, so Postgres adds them without a rewrite; the indexes are built in the
-- migration's transaction (not CONCURRENTLY: a baseline runs in one transaction, new installs
-- have an empty table); replacing chat_sessions_user_recent_idx drops it in the same transaction.
-- A large chat_sessions: run it in a maintenance window, or build the indexes concurrently first.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- squawk-ignore-file require-concurrent-index-creation, require-concurrent-index-deletion
-- migrate:up
ALTER TABLE chat_sessions
  ADD COLUMN pinned boolean NOT NULL DEFAULT false,
  ADD COLUMN archived boolean NOT NULL DEFAULT false,
  ADD COLUMN trashed_at timestamptz(3);

-- A user's list (archived = false) and archive view (archived = true): pinned first, then most
-- recently active, keyset-paginated on (pinned, updated_at, id). Trashed rows are not in it.
CREATE INDEX chat_sessions_user_list_idx ON chat_sessions (user_id, archived, pinned DESC, updated_at DESC, id DESC)
  WHERE trashed_at IS NULL;
DROP INDEX chat_sessions_user_recent_idx;
-- A user's trash, newest trashed first; and all of a user's sessions (the sessions not in the
-- trash, trashed_at NULL, sort first in it): the foreign key's cascade, the idle-guest purge.
CREATE INDEX chat_sessions_user_trash_idx ON chat_sessions (user_id, trashed_at DESC, id DESC);
-- Purge of the trash past retention, oldest first, over every user.
CREATE INDEX chat_sessions_trashed_at_idx ON chat_sessions (trashed_at) WHERE trashed_at IS NOT NULL;
-- Purge of sessions idle (no change) for longer than a given age.
CREATE INDEX chat_sessions_updated_at_idx ON chat_sessions (updated_at);

-- migrate:down
DROP INDEX chat_sessions_updated_at_idx;
DROP INDEX chat_sessions_trashed_at_idx;
DROP INDEX chat_sessions_user_trash_idx;
CREATE INDEX chat_sessions_user_recent_idx ON chat_sessions (user_id, updated_at DESC, id DESC);
DROP INDEX chat_sessions_user_list_idx;
ALTER TABLE chat_sessions DROP COLUMN pinned, DROP COLUMN archived, DROP COLUMN trashed_at;
