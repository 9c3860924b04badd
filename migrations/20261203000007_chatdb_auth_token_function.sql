-- chatdb baseline, scope "auth": resolving a bearer token as a function, for the reason the append is
-- one (20261203000006; docs/design.md, "The append and the token look-up are functions"): the HTTP
-- API resolves the token of every request, and Postgres planned that statement on every request
-- (chatdb sends no named prepared statements). Inside PL/pgSQL the plan is kept per server
-- connection. The statement is the one chatdb sent before, unchanged: the active user of an
-- unrevoked, unexpired token, and last_used_at written at most once a minute per token, in the same
-- statement.
-- Lint exceptions (docs/safe-migrations.md): creating a function takes no lock on any table.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- migrate:up
CREATE FUNCTION chatdb_resolve_token(p_hash bytea)
RETURNS TABLE (id uuid, email text, is_guest boolean, is_active boolean, created_at timestamptz,
  updated_at timestamptz)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH t AS (
    SELECT a.token_hash, a.last_used_at, u.id, u.email, u.is_guest, u.is_active, u.created_at, u.updated_at
    FROM auth_tokens a JOIN users u ON u.id = a.user_id
    WHERE a.token_hash = p_hash AND a.revoked_at IS NULL AND a.expires_at > now() AND u.is_active
  ), touch AS (
    UPDATE auth_tokens a SET last_used_at = now() FROM t
    WHERE a.token_hash = t.token_hash
      AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')
  )
  SELECT id, email, is_guest, is_active, created_at, updated_at FROM t;
END
$fn$;

-- migrate:down
DROP FUNCTION chatdb_resolve_token(bytea);
