-- chatdb baseline, scope "chat": share links (docs/design.md, "Share links"). The owner of a
-- session makes a read-only link to it: a random token, of which only the SHA-256 is stored (as
-- auth_tokens stores bearer tokens), revocable (revoked_at) and optionally expiring (expires_at).
-- With up_to_message_id the link shows the path from the root to that message, fixed when the link
-- is made; without, the session's active path as it is when the link is read. The primary key leads
-- with user_id, so the table distributes by user like the others. Deleting the session (its user)
-- deletes its links; deleting the message a link ends at deletes that link too, rather than widen it
-- to the whole session. user_id is text here, like chat_sessions.user_id in this scope;
-- 20261203000005 makes it uuid when the auth scope is installed too (in either order).
-- Lint exceptions (docs/safe-migrations.md): only a new table and its indexes are created, so no
-- existing table is scanned or rewritten; the foreign keys take a brief SHARE ROW EXCLUSIVE lock on
-- chat_sessions and messages and validate nothing (the new table is empty).
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- migrate:up
CREATE TABLE session_shares (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id text NOT NULL CONSTRAINT session_shares_user_id_check CHECK (char_length(user_id) BETWEEN 1 AND 255),
  session_id uuid NOT NULL
    CONSTRAINT session_shares_session_id_fkey REFERENCES chat_sessions (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL CONSTRAINT session_shares_token_hash_check CHECK (octet_length(token_hash) = 32),
  up_to_message_id uuid,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  expires_at timestamptz(3),
  revoked_at timestamptz(3),
  CONSTRAINT session_shares_pkey PRIMARY KEY (user_id, id),
  CONSTRAINT session_shares_token_hash_key UNIQUE (token_hash),
  -- The message is one of this session's; deleting it (or an ancestor: the parent key cascades)
  -- deletes the link.
  CONSTRAINT session_shares_up_to_fkey FOREIGN KEY (session_id, up_to_message_id)
    REFERENCES messages (session_id, id) ON DELETE CASCADE
);
-- A session's links (the owner's list), and the index of both foreign keys: deleting a session or
-- a message finds its links without a scan.
CREATE INDEX session_shares_session_idx ON session_shares (session_id, up_to_message_id);

-- migrate:down
DROP TABLE session_shares;
