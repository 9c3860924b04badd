-- chatdb baseline, scope "chat": the append as a function (docs/design.md, "The append and the
-- token look-up are functions"). The statement is the one chatdb sent before (lock the caller's session, look for an
-- earlier message with the same idempotency key, insert the message and its citations, move the
-- session's counters and leaf, return the row), unchanged; only where it runs changes. Sent as one
-- SQL statement, Postgres planned it on every append (an unnamed statement: chatdb uses no named
-- prepared statements, so it works through transaction-mode poolers such as Neon's), and planning
-- cost as much as running it. Inside a PL/pgSQL function the plan is made once per connection and
-- kept (generic: every look-up is by key, so no parameter value changes the best plan), through a
-- pooler too, since it is the server's connection that keeps it.
-- The owner's id arrives as text and is read as chat_sessions.user_id's own type (text with the
-- chat scope alone, uuid once linked to auth) by json_populate_record, so the one function serves
-- both and a uuid is accepted in every spelling Postgres accepts; a malformed one is 22P02 as before.
-- Plans depend on the tables, so a later migration that alters them makes Postgres plan again.
-- The last argument bounds the wait for the session's row lock (lock_timeout, ms; 0: none): the
-- caller's statement timeout, so that the call is one round trip, with no transaction around it.
-- Lint exceptions (docs/safe-migrations.md): creating a function takes no lock on any table.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- migrate:up
CREATE FUNCTION chatdb_append_message(
  p_session uuid, p_user text, p_id uuid, p_role text, p_content text, p_selected_text text,
  p_metadata jsonb, p_key text, p_hash text, p_citations jsonb, p_model text,
  p_input_tokens integer, p_output_tokens integer, p_latency_ms integer, p_lock_timeout_ms integer)
RETURNS TABLE (
  id uuid, session_id uuid, seq integer, role text, content text, selected_text text, metadata jsonb,
  request_hash text, created_at timestamptz, client_id text, parts jsonb, status text,
  updated_at timestamptz, model text, input_tokens integer, output_tokens integer, latency_ms integer,
  created boolean, parent_client_id text, citations json)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
#variable_conflict use_column
DECLARE
  v_lock_timeout text := current_setting('lock_timeout');
BEGIN
  -- The wait for the session's row lock is the one wait an append can have: bounded by the
  -- caller's statement timeout, set here so that the call needs no transaction around it (SET
  -- LOCAL statement_timeout would), and put back before returning.
  IF p_lock_timeout_ms > 0 THEN
    PERFORM set_config('lock_timeout', p_lock_timeout_ms || 'ms', true);
  END IF;
  RETURN QUERY
  WITH s AS (
    SELECT id, user_id, message_count, leaf_message_id FROM chat_sessions
    WHERE id = p_session AND trashed_at IS NULL
      AND user_id = (json_populate_record(NULL::chat_sessions, json_build_object('user_id', p_user))).user_id
    FOR UPDATE
  ), prior AS (
    SELECT m.id, m.session_id, m.seq, m.role, m.content, m.selected_text, m.metadata, m.request_hash, m.created_at,
           m.client_id, m.parts, m.status, m.updated_at, m.model, m.input_tokens, m.output_tokens, m.latency_ms,
           m.parent_id
    FROM messages m JOIN s ON m.session_id = s.id
    WHERE m.idempotency_key = p_key
  ), ins AS (
    INSERT INTO messages (id, session_id, seq, role, content, selected_text, metadata, idempotency_key, request_hash,
                          user_id, client_id, parts, parent_id, model, input_tokens, output_tokens, latency_ms)
    SELECT p_id, s.id, s.message_count + 1, p_role, p_content, p_selected_text, p_metadata, p_key, p_hash,
           s.user_id, p_id::text, jsonb_build_array(jsonb_build_object('type', 'text', 'text', p_content)),
           s.leaf_message_id, p_model, p_input_tokens, p_output_tokens, p_latency_ms
    FROM s WHERE NOT EXISTS (SELECT 1 FROM prior)
    RETURNING id, session_id, seq, role, content, selected_text, metadata, request_hash, created_at, client_id, parts,
              status, updated_at, model, input_tokens, output_tokens, latency_ms, parent_id, user_id
  ), cit AS (
    INSERT INTO message_citations (message_id, user_id, citation_index, document_id, chunk_id, score, excerpt, metadata)
    SELECT ins.id, ins.user_id, x.citation_index, x.document_id, x.chunk_id, x.score, x.excerpt, x.metadata
    FROM ins CROSS JOIN jsonb_to_recordset(p_citations)
      AS x(citation_index integer, document_id text, chunk_id text, score double precision, excerpt text, metadata jsonb)
    RETURNING citation_index, document_id, chunk_id, score, excerpt, metadata, created_at
  ), bump AS (
    UPDATE chat_sessions cs SET message_count = ins.seq, leaf_message_id = ins.id,
      last_message_at = GREATEST(cs.last_message_at, ins.created_at),
      input_tokens = cs.input_tokens + coalesce(ins.input_tokens, 0),
      output_tokens = cs.output_tokens + coalesce(ins.output_tokens, 0)
    FROM ins WHERE cs.id = ins.session_id
  )
  SELECT id, session_id, seq, role, content, selected_text, metadata, request_hash, created_at, client_id, parts, status,
    updated_at, model, input_tokens, output_tokens, latency_ms, true AS created,
    (SELECT client_id FROM messages p WHERE p.id = ins.parent_id) AS parent_client_id,
    (SELECT coalesce(json_agg(cit ORDER BY cit.citation_index), '[]'::json) FROM cit) AS citations
  FROM ins
  UNION ALL
  SELECT id, session_id, seq, role, content, selected_text, metadata, request_hash, created_at, client_id, parts, status,
    updated_at, model, input_tokens, output_tokens, latency_ms, false AS created,
    (SELECT client_id FROM messages p WHERE p.id = prior.parent_id) AS parent_client_id,
    (SELECT coalesce(json_agg(c ORDER BY c.citation_index), '[]'::json)
     FROM (SELECT citation_index, document_id, chunk_id, score, excerpt, metadata, created_at
           FROM message_citations WHERE message_id = prior.id) c) AS citations
  FROM prior;
  IF p_lock_timeout_ms > 0 THEN
    PERFORM set_config('lock_timeout', v_lock_timeout, true);
  END IF;
END
$fn$;

-- migrate:down
DROP FUNCTION chatdb_append_message(uuid, text, uuid, text, text, text, jsonb, text, text, jsonb, text,
  integer, integer, integer, integer);
