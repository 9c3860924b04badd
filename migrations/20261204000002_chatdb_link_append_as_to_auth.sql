-- chatdb baseline, scopes "auth" + "chat" together: the append behind a bearer token as one
-- function (docs/design.md, "The append and the token look-up are functions"). POST
-- /chat/sessions/{id}/messages checked its token in the append's own statement by joining
-- chatdb_resolve_token to chatdb_append_message; Postgres planned that join on every request and the
-- token's touch ran as a writable CTE on every call. Here the token's active user is found by one
-- kept plan, last_used_at is written (at most once a minute per token, as before) only when it is
-- due, and the append is chatdb_append_message, unchanged. The result: the token's user
-- (token_user_*) and the append's row; no row when the token is not valid (nothing written), a row
-- whose `created` is null when the session is not the user's.
-- Written whenever both scopes are installed, in either order.
-- Lint exceptions (docs/safe-migrations.md): creating a function takes no lock on any table.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- migrate:up
CREATE FUNCTION chatdb_append_message_as(
  p_token_hash bytea, p_session uuid, p_id uuid, p_role text, p_content text, p_selected_text text,
  p_metadata jsonb, p_key text, p_hash text, p_citations jsonb, p_model text,
  p_input_tokens integer, p_output_tokens integer, p_latency_ms integer, p_lock_timeout_ms integer)
RETURNS TABLE (
  token_user_id uuid, token_user_email text, token_user_is_guest boolean, token_user_is_active boolean,
  token_user_created_at timestamptz, token_user_updated_at timestamptz,
  id uuid, session_id uuid, seq integer, role text, content text, selected_text text, metadata jsonb,
  request_hash text, created_at timestamptz, client_id text, parts jsonb, status text,
  updated_at timestamptz, model text, input_tokens integer, output_tokens integer, latency_ms integer,
  created boolean, parent_client_id text, citations json)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
#variable_conflict use_column
DECLARE
  u record;
BEGIN
  -- The active user of an unrevoked, unexpired token (as chatdb_resolve_token finds it).
  SELECT a.last_used_at, t.id, t.email, t.is_guest, t.is_active, t.created_at, t.updated_at INTO u
  FROM auth_tokens a JOIN users t ON t.id = a.user_id
  WHERE a.token_hash = p_token_hash AND a.revoked_at IS NULL AND a.expires_at > now() AND t.is_active;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF u.last_used_at IS NULL OR u.last_used_at < now() - interval '1 minute' THEN
    UPDATE auth_tokens a SET last_used_at = now() WHERE a.token_hash = p_token_hash;
  END IF;
  RETURN QUERY
  SELECT u.id, u.email, u.is_guest, u.is_active, u.created_at, u.updated_at, m.*
  FROM chatdb_append_message(p_session, u.id::text, p_id, p_role, p_content, p_selected_text, p_metadata, p_key,
    p_hash, p_citations, p_model, p_input_tokens, p_output_tokens, p_latency_ms, p_lock_timeout_ms) m;
  IF NOT FOUND THEN
    -- Not the user's session: the user, and no append.
    RETURN QUERY
    SELECT u.id, u.email, u.is_guest, u.is_active, u.created_at, u.updated_at, NULL::uuid, NULL::uuid, NULL::integer,
      NULL::text, NULL::text, NULL::text, NULL::jsonb, NULL::text, NULL::timestamptz, NULL::text, NULL::jsonb,
      NULL::text, NULL::timestamptz, NULL::text, NULL::integer, NULL::integer, NULL::integer, NULL::boolean,
      NULL::text, NULL::json;
  END IF;
END
$fn$;

-- migrate:down
DROP FUNCTION chatdb_append_message_as(bytea, uuid, uuid, text, text, text, jsonb, text, text, jsonb, text,
  integer, integer, integer, integer);
