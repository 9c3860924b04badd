-- chatdb baseline, scope "chat": chatdb_save_messages (20261203000008) writes the session's row once
-- per save instead of once per new message and again for the leaf. Every write of chat_sessions is a
-- new row version with an entry in each of its indexes (its updated_at, which the touch trigger
-- moves, is indexed), so a save of two new messages wrote it three times. The count, the token
-- totals and the leaf are now kept in variables under the same row lock and written by one UPDATE
-- after the loop (none when nothing changed: a save that changes nothing still writes nothing). The
-- new messages' seqs come from the count read with the lock, as before. Same arguments, same
-- result, same errors. `npm run bench save-path` measures it (README, Performance).
-- Lint exceptions (docs/safe-migrations.md): replacing a function takes no lock on any table.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- migrate:up
CREATE OR REPLACE FUNCTION chatdb_save_messages(
  p_session uuid, p_user text, p_messages jsonb, p_parent_given boolean, p_parent_client_id text,
  p_first text, p_lock_timeout_ms integer)
RETURNS TABLE (
  id uuid, session_id uuid, seq integer, role text, content text, selected_text text, metadata jsonb,
  created_at timestamptz, client_id text, parts jsonb, status text, updated_at timestamptz, model text,
  input_tokens integer, output_tokens integer, latency_ms integer, parent_client_id text, citations json,
  created boolean)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
#variable_conflict use_column
DECLARE
  v_lock_timeout text := current_setting('lock_timeout');
  v_session record;
  v_msg jsonb;
  v_stored jsonb;
  v_old jsonb;
  v_parent uuid;
  v_parent_known boolean;
  v_id uuid;
  v_usage boolean;
  v_ids uuid[] := '{}';
  v_created boolean[] := '{}';
  v_count integer;
  v_din bigint := 0;
  v_dout bigint := 0;
  v_added boolean := false;
BEGIN
  IF p_lock_timeout_ms > 0 THEN
    PERFORM set_config('lock_timeout', p_lock_timeout_ms || 'ms', true);
  END IF;
  -- The caller's session, locked: concurrent saves and appends to it wait here.
  SELECT s.id, s.user_id, s.leaf_message_id, s.message_count INTO v_session FROM chat_sessions s
  WHERE s.id = p_session AND s.trashed_at IS NULL
    AND s.user_id = (json_populate_record(NULL::chat_sessions, json_build_object('user_id', p_user))).user_id
  FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'session' USING ERRCODE = 'CDB04';
  END IF;
  v_count := v_session.message_count;
  -- The stored messages among those being saved, by client id (messages_user_client_id_key), in
  -- one query after the lock (a fresh snapshot), and whether the save changes each (jsonb equality
  -- ignores key order, so a client that reorders keys changes nothing; usage counts only when given).
  SELECT coalesce(jsonb_object_agg(o.client_id, jsonb_build_object('id', o.id, 'session_id', o.session_id,
      'role', o.role, 'parent_id', o.parent_id,
      'input_tokens', coalesce(o.input_tokens, 0), 'output_tokens', coalesce(o.output_tokens, 0),
      'same_all', o.parts = x.m -> 'parts' AND o.metadata = x.m -> 'metadata'
        AND o.status = coalesce(x.m ->> 'status', o.status)
        AND (NOT (x.m ->> 'usage')::boolean OR (o.model IS NOT DISTINCT FROM x.m ->> 'model'
          AND o.input_tokens IS NOT DISTINCT FROM (x.m ->> 'input_tokens')::integer
          AND o.output_tokens IS NOT DISTINCT FROM (x.m ->> 'output_tokens')::integer
          AND o.latency_ms IS NOT DISTINCT FROM (x.m ->> 'latency_ms')::integer)),
      'same_parts', o.parts = x.m -> 'parts')), '{}'::jsonb)
  INTO v_stored
  FROM jsonb_array_elements(p_messages) AS x(m)
  JOIN messages o ON o.user_id = v_session.user_id AND o.client_id = x.m ->> 'client_id';
  FOR i IN 0 .. jsonb_array_length(p_messages) - 1 LOOP
    v_msg := p_messages -> i;
    v_usage := (v_msg ->> 'usage')::boolean;
    -- The parent this message must have; unknown: as stored (or the leaf, or none, when new).
    IF i > 0 THEN
      v_parent_known := true;
      v_parent := v_id;
    ELSIF NOT p_parent_given THEN
      v_parent_known := false;
      v_parent := NULL;
    ELSIF p_parent_client_id IS NULL THEN
      v_parent_known := true;
      v_parent := NULL;
    ELSE
      SELECT p.id INTO v_parent FROM messages p
      WHERE p.user_id = v_session.user_id AND p.client_id = p_parent_client_id AND p.session_id = p_session;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'parent message' USING ERRCODE = 'CDB04';
      END IF;
      v_parent_known := true;
    END IF;
    v_old := v_stored -> (v_msg ->> 'client_id');
    IF v_old IS NOT NULL THEN
      IF (v_old ->> 'session_id')::uuid <> p_session THEN
        RAISE EXCEPTION 'message id % is used in another session', v_msg ->> 'client_id' USING ERRCODE = 'CDB09';
      END IF;
      IF v_old ->> 'role' <> v_msg ->> 'role' THEN
        RAISE EXCEPTION 'message % is a % message; its role cannot change', v_msg ->> 'client_id', v_old ->> 'role'
          USING ERRCODE = 'CDB09';
      END IF;
      IF v_parent_known AND v_parent IS DISTINCT FROM (v_old ->> 'parent_id')::uuid THEN
        RAISE EXCEPTION 'message % has another parent; a parent cannot change', v_msg ->> 'client_id'
          USING ERRCODE = 'CDB09';
      END IF;
      v_id := (v_old ->> 'id')::uuid;
      IF NOT (v_old -> 'same_all')::boolean THEN
        -- Replaced: its columns; with a usage, the session's token totals move by the difference
        -- (after the loop); its citations dropped when the parts changed (inserted again below).
        UPDATE messages u SET parts = v_msg -> 'parts', metadata = v_msg -> 'metadata',
          status = coalesce(v_msg ->> 'status', u.status), content = v_msg ->> 'content',
          model = CASE WHEN v_usage THEN v_msg ->> 'model' ELSE u.model END,
          input_tokens = CASE WHEN v_usage THEN (v_msg ->> 'input_tokens')::integer ELSE u.input_tokens END,
          output_tokens = CASE WHEN v_usage THEN (v_msg ->> 'output_tokens')::integer ELSE u.output_tokens END,
          latency_ms = CASE WHEN v_usage THEN (v_msg ->> 'latency_ms')::integer ELSE u.latency_ms END
        WHERE u.id = v_id;
        IF v_usage THEN
          v_din := v_din + coalesce((v_msg ->> 'input_tokens')::integer, 0) - (v_old ->> 'input_tokens')::integer;
          v_dout := v_dout + coalesce((v_msg ->> 'output_tokens')::integer, 0) - (v_old ->> 'output_tokens')::integer;
        END IF;
        IF NOT (v_old -> 'same_parts')::boolean THEN
          DELETE FROM message_citations c WHERE c.message_id = v_id;
        END IF;
      END IF;
    ELSE
      -- New: the next seq of the locked session; its counters move once, after the loop.
      v_id := (v_msg ->> 'new_id')::uuid;
      v_count := v_count + 1;
      v_added := true;
      INSERT INTO messages (id, session_id, seq, role, content, metadata, user_id, client_id, parts, status, parent_id,
                            model, input_tokens, output_tokens, latency_ms)
      VALUES (v_id, p_session, v_count, v_msg ->> 'role', v_msg ->> 'content', v_msg -> 'metadata', v_session.user_id,
             v_msg ->> 'client_id', v_msg -> 'parts', coalesce(v_msg ->> 'status', 'complete'),
             CASE WHEN v_parent_known THEN v_parent WHEN p_first = 'leaf' THEN v_session.leaf_message_id END,
             v_msg ->> 'model', (v_msg ->> 'input_tokens')::integer, (v_msg ->> 'output_tokens')::integer,
             (v_msg ->> 'latency_ms')::integer);
      v_din := v_din + coalesce((v_msg ->> 'input_tokens')::integer, 0);
      v_dout := v_dout + coalesce((v_msg ->> 'output_tokens')::integer, 0);
    END IF;
    -- The citations of a new message, or of a replaced one whose parts changed.
    IF (v_old IS NULL OR NOT (v_old -> 'same_parts')::boolean) AND jsonb_array_length(v_msg -> 'citations') > 0 THEN
      INSERT INTO message_citations (message_id, user_id, citation_index, document_id, chunk_id, score, excerpt, metadata)
      SELECT v_id, v_session.user_id, x.citation_index, x.document_id, x.chunk_id, x.score, x.excerpt, x.metadata
      FROM jsonb_to_recordset(v_msg -> 'citations') AS x(citation_index integer, document_id text, chunk_id text,
        score double precision, excerpt text, metadata jsonb);
    END IF;
    v_ids := v_ids || v_id;
    v_created := v_created || (v_old IS NULL);
  END LOOP;
  -- One write of the session for the whole save: its count, its token totals, and the last message
  -- as the leaf; none (so no updated_at bump) when nothing of it changes.
  UPDATE chat_sessions cs SET message_count = v_count,
    leaf_message_id = CASE WHEN cardinality(v_ids) > 0 THEN v_id ELSE cs.leaf_message_id END,
    last_message_at = CASE WHEN v_added THEN GREATEST(cs.last_message_at, now()) ELSE cs.last_message_at END,
    input_tokens = cs.input_tokens + v_din, output_tokens = cs.output_tokens + v_dout
  WHERE cs.id = p_session
    AND (v_added OR v_din <> 0 OR v_dout <> 0 OR (cardinality(v_ids) > 0 AND cs.leaf_message_id IS DISTINCT FROM v_id));
  RETURN QUERY
  SELECT m.id, m.session_id, m.seq, m.role, m.content, m.selected_text, m.metadata, m.created_at, m.client_id,
    m.parts, m.status, m.updated_at, m.model, m.input_tokens, m.output_tokens, m.latency_ms,
    (SELECT p.client_id FROM messages p WHERE p.id = m.parent_id),
    coalesce((SELECT json_agg(json_build_object('citation_index', c.citation_index, 'document_id', c.document_id,
      'chunk_id', c.chunk_id, 'score', c.score, 'excerpt', c.excerpt, 'metadata', c.metadata,
      'created_at', c.created_at) ORDER BY c.citation_index)
      FROM message_citations c WHERE c.message_id = m.id), '[]'::json),
    x.created
  FROM unnest(v_ids, v_created) WITH ORDINALITY AS x(mid, created, ord)
  JOIN messages m ON m.id = x.mid
  ORDER BY x.ord;
  IF p_lock_timeout_ms > 0 THEN
    PERFORM set_config('lock_timeout', v_lock_timeout, true);
  END IF;
END
$fn$;

-- migrate:down
-- The function as 20261203000008 created it.
CREATE OR REPLACE FUNCTION chatdb_save_messages(
  p_session uuid, p_user text, p_messages jsonb, p_parent_given boolean, p_parent_client_id text,
  p_first text, p_lock_timeout_ms integer)
RETURNS TABLE (
  id uuid, session_id uuid, seq integer, role text, content text, selected_text text, metadata jsonb,
  created_at timestamptz, client_id text, parts jsonb, status text, updated_at timestamptz, model text,
  input_tokens integer, output_tokens integer, latency_ms integer, parent_client_id text, citations json,
  created boolean)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
#variable_conflict use_column
DECLARE
  v_lock_timeout text := current_setting('lock_timeout');
  v_session record;
  v_msg jsonb;
  v_stored jsonb;
  v_old jsonb;
  v_parent uuid;
  v_parent_known boolean;
  v_id uuid;
  v_usage boolean;
  v_ids uuid[] := '{}';
  v_created boolean[] := '{}';
BEGIN
  IF p_lock_timeout_ms > 0 THEN
    PERFORM set_config('lock_timeout', p_lock_timeout_ms || 'ms', true);
  END IF;
  -- The caller's session, locked: concurrent saves and appends to it wait here.
  SELECT s.id, s.user_id, s.leaf_message_id INTO v_session FROM chat_sessions s
  WHERE s.id = p_session AND s.trashed_at IS NULL
    AND s.user_id = (json_populate_record(NULL::chat_sessions, json_build_object('user_id', p_user))).user_id
  FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'session' USING ERRCODE = 'CDB04';
  END IF;
  -- The stored messages among those being saved, by client id (messages_user_client_id_key), in
  -- one query after the lock (a fresh snapshot), and whether the save changes each (jsonb equality
  -- ignores key order, so a client that reorders keys changes nothing; usage counts only when given).
  SELECT coalesce(jsonb_object_agg(o.client_id, jsonb_build_object('id', o.id, 'session_id', o.session_id,
      'role', o.role, 'parent_id', o.parent_id,
      'same_all', o.parts = x.m -> 'parts' AND o.metadata = x.m -> 'metadata'
        AND o.status = coalesce(x.m ->> 'status', o.status)
        AND (NOT (x.m ->> 'usage')::boolean OR (o.model IS NOT DISTINCT FROM x.m ->> 'model'
          AND o.input_tokens IS NOT DISTINCT FROM (x.m ->> 'input_tokens')::integer
          AND o.output_tokens IS NOT DISTINCT FROM (x.m ->> 'output_tokens')::integer
          AND o.latency_ms IS NOT DISTINCT FROM (x.m ->> 'latency_ms')::integer)),
      'same_parts', o.parts = x.m -> 'parts')), '{}'::jsonb)
  INTO v_stored
  FROM jsonb_array_elements(p_messages) AS x(m)
  JOIN messages o ON o.user_id = v_session.user_id AND o.client_id = x.m ->> 'client_id';
  FOR i IN 0 .. jsonb_array_length(p_messages) - 1 LOOP
    v_msg := p_messages -> i;
    v_usage := (v_msg ->> 'usage')::boolean;
    -- The parent this message must have; unknown: as stored (or the leaf, or none, when new).
    IF i > 0 THEN
      v_parent_known := true;
      v_parent := v_id;
    ELSIF NOT p_parent_given THEN
      v_parent_known := false;
      v_parent := NULL;
    ELSIF p_parent_client_id IS NULL THEN
      v_parent_known := true;
      v_parent := NULL;
    ELSE
      SELECT p.id INTO v_parent FROM messages p
      WHERE p.user_id = v_session.user_id AND p.client_id = p_parent_client_id AND p.session_id = p_session;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'parent message' USING ERRCODE = 'CDB04';
      END IF;
      v_parent_known := true;
    END IF;
    v_old := v_stored -> (v_msg ->> 'client_id');
    IF v_old IS NOT NULL THEN
      IF (v_old ->> 'session_id')::uuid <> p_session THEN
        RAISE EXCEPTION 'message id % is used in another session', v_msg ->> 'client_id' USING ERRCODE = 'CDB09';
      END IF;
      IF v_old ->> 'role' <> v_msg ->> 'role' THEN
        RAISE EXCEPTION 'message % is a % message; its role cannot change', v_msg ->> 'client_id', v_old ->> 'role'
          USING ERRCODE = 'CDB09';
      END IF;
      IF v_parent_known AND v_parent IS DISTINCT FROM (v_old ->> 'parent_id')::uuid THEN
        RAISE EXCEPTION 'message % has another parent; a parent cannot change', v_msg ->> 'client_id'
          USING ERRCODE = 'CDB09';
      END IF;
      v_id := (v_old ->> 'id')::uuid;
      IF NOT (v_old -> 'same_all')::boolean THEN
        -- Replaced: its columns; with a usage, the session's token totals moved by the difference
        -- (`before` is the row as it was); its citations dropped when the parts changed (inserted
        -- again below).
        WITH before AS (
          SELECT coalesce(b.input_tokens, 0) AS input_tokens, coalesce(b.output_tokens, 0) AS output_tokens
          FROM messages b WHERE b.id = v_id
        ), upd AS (
          UPDATE messages u SET parts = v_msg -> 'parts', metadata = v_msg -> 'metadata',
            status = coalesce(v_msg ->> 'status', u.status), content = v_msg ->> 'content',
            model = CASE WHEN v_usage THEN v_msg ->> 'model' ELSE u.model END,
            input_tokens = CASE WHEN v_usage THEN (v_msg ->> 'input_tokens')::integer ELSE u.input_tokens END,
            output_tokens = CASE WHEN v_usage THEN (v_msg ->> 'output_tokens')::integer ELSE u.output_tokens END,
            latency_ms = CASE WHEN v_usage THEN (v_msg ->> 'latency_ms')::integer ELSE u.latency_ms END
          WHERE u.id = v_id RETURNING u.id
        ), totals AS (
          UPDATE chat_sessions cs
          SET input_tokens = cs.input_tokens + coalesce((v_msg ->> 'input_tokens')::integer, 0) - before.input_tokens,
              output_tokens = cs.output_tokens + coalesce((v_msg ->> 'output_tokens')::integer, 0) - before.output_tokens
          FROM before
          WHERE v_usage AND cs.id = p_session
            AND (before.input_tokens <> coalesce((v_msg ->> 'input_tokens')::integer, 0)
              OR before.output_tokens <> coalesce((v_msg ->> 'output_tokens')::integer, 0))
        )
        DELETE FROM message_citations c WHERE NOT (v_old -> 'same_parts')::boolean AND c.message_id = v_id;
      END IF;
    ELSE
      -- New: the next seq of the locked session, the session's counters.
      v_id := (v_msg ->> 'new_id')::uuid;
      WITH ins AS (
        INSERT INTO messages (id, session_id, seq, role, content, metadata, user_id, client_id, parts, status, parent_id,
                              model, input_tokens, output_tokens, latency_ms)
        SELECT v_id, s.id, s.message_count + 1, v_msg ->> 'role', v_msg ->> 'content', v_msg -> 'metadata', s.user_id,
               v_msg ->> 'client_id', v_msg -> 'parts', coalesce(v_msg ->> 'status', 'complete'),
               CASE WHEN v_parent_known THEN v_parent WHEN p_first = 'leaf' THEN v_session.leaf_message_id END,
               v_msg ->> 'model', (v_msg ->> 'input_tokens')::integer, (v_msg ->> 'output_tokens')::integer,
               (v_msg ->> 'latency_ms')::integer
        FROM chat_sessions s WHERE s.id = p_session
        RETURNING id, session_id, seq, created_at, input_tokens, output_tokens
      )
      UPDATE chat_sessions cs SET message_count = ins.seq,
        last_message_at = GREATEST(cs.last_message_at, ins.created_at),
        input_tokens = cs.input_tokens + coalesce(ins.input_tokens, 0),
        output_tokens = cs.output_tokens + coalesce(ins.output_tokens, 0)
      FROM ins WHERE cs.id = ins.session_id;
    END IF;
    -- The citations of a new message, or of a replaced one whose parts changed.
    IF (v_old IS NULL OR NOT (v_old -> 'same_parts')::boolean) AND jsonb_array_length(v_msg -> 'citations') > 0 THEN
      INSERT INTO message_citations (message_id, user_id, citation_index, document_id, chunk_id, score, excerpt, metadata)
      SELECT v_id, v_session.user_id, x.citation_index, x.document_id, x.chunk_id, x.score, x.excerpt, x.metadata
      FROM jsonb_to_recordset(v_msg -> 'citations') AS x(citation_index integer, document_id text, chunk_id text,
        score double precision, excerpt text, metadata jsonb);
    END IF;
    v_ids := v_ids || v_id;
    v_created := v_created || (v_old IS NULL);
  END LOOP;
  -- The last becomes the leaf (no write, so no updated_at bump, when it is there already).
  IF cardinality(v_ids) > 0 THEN
    UPDATE chat_sessions cs SET leaf_message_id = v_id
    WHERE cs.id = p_session AND cs.leaf_message_id IS DISTINCT FROM v_id;
  END IF;
  RETURN QUERY
  SELECT m.id, m.session_id, m.seq, m.role, m.content, m.selected_text, m.metadata, m.created_at, m.client_id,
    m.parts, m.status, m.updated_at, m.model, m.input_tokens, m.output_tokens, m.latency_ms,
    (SELECT p.client_id FROM messages p WHERE p.id = m.parent_id),
    coalesce((SELECT json_agg(json_build_object('citation_index', c.citation_index, 'document_id', c.document_id,
      'chunk_id', c.chunk_id, 'score', c.score, 'excerpt', c.excerpt, 'metadata', c.metadata,
      'created_at', c.created_at) ORDER BY c.citation_index)
      FROM message_citations c WHERE c.message_id = m.id), '[]'::json),
    x.created
  FROM unnest(v_ids, v_created) WITH ORDINALITY AS x(mid, created, ord)
  JOIN messages m ON m.id = x.mid
  ORDER BY x.ord;
  IF p_lock_timeout_ms > 0 THEN
    PERFORM set_config('lock_timeout', v_lock_timeout, true);
  END IF;
END
$fn$;
