-- chatdb baseline, scope "chat": feedback on answers (docs/design.md, "Feedback"). One rating per
-- user per message, up or down, with an optional comment and tags; changeable and removable. The
-- primary key leads with user_id, so the table distributes by user like the others, and a user's
-- export reads one key range. Deleting a message (its session, its user) deletes its feedback.
-- user_id is text here, like chat_sessions.user_id in this scope; 20261202000002 makes it uuid
-- when the auth scope is installed too (in either order). Each tag's length (1..50 characters) is
-- checked by the library: a CHECK over array elements would need a function of our own.
-- Lint exceptions (docs/safe-migrations.md): only a new table, its indexes and a trigger are
-- created, so no existing table is scanned or rewritten; the foreign key to messages takes a
-- brief SHARE ROW EXCLUSIVE lock on messages and validates nothing (the new table is empty).
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- migrate:up
CREATE TABLE message_feedback (
  user_id text NOT NULL CONSTRAINT message_feedback_user_id_check CHECK (char_length(user_id) BETWEEN 1 AND 255),
  message_id uuid NOT NULL CONSTRAINT message_feedback_message_id_fkey REFERENCES messages (id) ON DELETE CASCADE,
  rating text NOT NULL CONSTRAINT message_feedback_rating_check CHECK (rating IN ('up', 'down')),
  comment text CONSTRAINT message_feedback_comment_check CHECK (char_length(comment) <= 2000),
  tags text[] NOT NULL DEFAULT '{}'
    CONSTRAINT message_feedback_tags_check CHECK (cardinality(tags) <= 10 AND array_position(tags, NULL) IS NULL),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now(),
  CONSTRAINT message_feedback_pkey PRIMARY KEY (user_id, message_id)
);
-- The foreign key's index: deleting a message finds its feedback without a scan.
CREATE INDEX message_feedback_message_id_idx ON message_feedback (message_id);
-- Feedback per day (a window of updated_at).
CREATE INDEX message_feedback_updated_at_idx ON message_feedback (updated_at);
-- The down-rated answers, newest first, and the documents they cite: only the down rows.
CREATE INDEX message_feedback_down_idx ON message_feedback (updated_at DESC) WHERE rating = 'down';
CREATE TRIGGER message_feedback_touch_updated_at BEFORE UPDATE ON message_feedback
  FOR EACH ROW EXECUTE FUNCTION chatdb_touch_updated_at();

-- migrate:down
DROP TABLE message_feedback;
