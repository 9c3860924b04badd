-- chatdb baseline, scope "auth": users, onboarding profiles, bearer tokens (stored as SHA-256).
-- Lint exception (docs/safe-migrations.md): only new tables and a function are created, so no
-- existing table is locked or scanned and lock/statement timeouts would guard nothing.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- migrate:up
CREATE OR REPLACE FUNCTION chatdb_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL CONSTRAINT users_email_check CHECK (char_length(email) BETWEEN 3 AND 320 AND email LIKE '_%@_%'),
  hashed_password text NOT NULL,
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
-- Unique case-insensitively; the address is stored as the user typed it.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
CREATE TRIGGER users_touch_updated_at BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION chatdb_touch_updated_at();

CREATE TABLE user_profiles (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  software_background text CONSTRAINT user_profiles_software_background_check CHECK (char_length(software_background) <= 2000),
  hardware_background text CONSTRAINT user_profiles_hardware_background_check CHECK (char_length(hardware_background) <= 2000),
  experience_level text CONSTRAINT user_profiles_experience_level_check
    CHECK (experience_level IN ('beginner', 'intermediate', 'advanced')),
  preferred_language text NOT NULL DEFAULT 'en' CONSTRAINT user_profiles_preferred_language_check
    CHECK (preferred_language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$'),
  metadata jsonb NOT NULL DEFAULT '{}' CONSTRAINT user_profiles_metadata_check CHECK (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE TRIGGER user_profiles_touch_updated_at BEFORE UPDATE ON user_profiles
  FOR EACH ROW EXECUTE FUNCTION chatdb_touch_updated_at();

-- Only the SHA-256 of a bearer token is stored: a leaked table does not leak usable tokens.
CREATE TABLE auth_tokens (
  token_hash bytea PRIMARY KEY CONSTRAINT auth_tokens_token_hash_check CHECK (octet_length(token_hash) = 32),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  expires_at timestamptz(3) NOT NULL,
  last_used_at timestamptz(3),
  revoked_at timestamptz(3)
);
CREATE INDEX auth_tokens_user_id_idx ON auth_tokens (user_id);

-- migrate:down
DROP TABLE auth_tokens;
DROP TABLE user_profiles;
DROP TABLE users;
-- The chat scope uses the same trigger function: drop it only when nothing else does.
DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'chatdb_touch_updated_at'
  ) THEN
    DROP FUNCTION chatdb_touch_updated_at();
  END IF;
END
$$;
