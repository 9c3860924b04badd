-- chatdb baseline, scope "chat": chatdb_save_messages (20261204000001) returns the messages from
-- what it read and wrote instead of reading all of them again at the end. The read-back looked
-- each message up by id, its parent's client id and its citations: three index probes a message,
-- for the whole history the AI SDK sends every turn. Now the one look-up by client id after the
-- lock also brings what an unchanged message returns (its columns, its citations, the first
-- one's parent); a new or replaced message returns its row as INSERT or UPDATE ... RETURNING
-- wrote it, and its citations as their INSERT ... RETURNING wrote them; each parent's client id
-- is the message before it (or the given parent, the stored one's, the leaf's for a new first
-- message). Same arguments, same result, same errors. `npm run bench save-path` measures it
-- (README, Performance).
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
  r record;
  v_msg jsonb;
  v_parent uuid;
  v_parent_known boolean;
  v_id uuid;
  v_prev_client text;
  v_usage boolean;
  v_any boolean := false;
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
  -- Each message being saved with the stored one of its client id (messages_user_client_id_key),
  -- read once, after the lock (a fresh snapshot): whether the save changes it (jsonb equality
  -- ignores key order, so a client that reorders keys changes nothing; usage counts only when
  -- given), and what the result returns for it unchanged (its citations; the first one's parent).
  FOR r IN
    SELECT x.m, x.ord, o.id AS o_id, o.session_id AS o_session_id, o.seq AS o_seq, o.role AS o_role,
      o.content AS o_content, o.selected_text AS o_selected_text, o.metadata AS o_metadata,
      o.created_at AS o_created_at, o.parts AS o_parts, o.status AS o_status, o.updated_at AS o_updated_at,
      o.model AS o_model, o.input_tokens AS o_input_tokens, o.output_tokens AS o_output_tokens,
      o.latency_ms AS o_latency_ms, o.parent_id AS o_parent_id,
      o.parts = x.m -> 'parts' AND o.metadata = x.m -> 'metadata'
        AND o.status = coalesce(x.m ->> 'status', o.status)
        AND (NOT (x.m ->> 'usage')::boolean OR (o.model IS NOT DISTINCT FROM x.m ->> 'model'
          AND o.input_tokens IS NOT DISTINCT FROM (x.m ->> 'input_tokens')::integer
          AND o.output_tokens IS NOT DISTINCT FROM (x.m ->> 'output_tokens')::integer
          AND o.latency_ms IS NOT DISTINCT FROM (x.m ->> 'latency_ms')::integer)) AS same_all,
      o.parts = x.m -> 'parts' AS same_parts,
      CASE WHEN o.id IS NOT NULL THEN coalesce((SELECT json_agg(json_build_object('citation_index', c.citation_index,
        'document_id', c.document_id, 'chunk_id', c.chunk_id, 'score', c.score, 'excerpt', c.excerpt,
        'metadata', c.metadata, 'created_at', c.created_at) ORDER BY c.citation_index)
        FROM message_citations c WHERE c.message_id = o.id), '[]'::json) END AS o_citations,
      CASE WHEN x.ord = 1 AND o.parent_id IS NOT NULL THEN
        (SELECT p.client_id FROM messages p WHERE p.id = o.parent_id) END AS o_parent_client_id
    FROM jsonb_array_elements(p_messages) WITH ORDINALITY AS x(m, ord)
    LEFT JOIN messages o ON o.user_id = v_session.user_id AND o.client_id = x.m ->> 'client_id'
    ORDER BY x.ord
  LOOP
    v_msg := r.m;
    v_usage := (v_msg ->> 'usage')::boolean;
    -- The parent this message must have; unknown: as stored (or the leaf, or none, when new).
    IF r.ord > 1 THEN
      v_parent_known := true;
      v_parent := v_id;
      parent_client_id := v_prev_client;
    ELSIF NOT p_parent_given THEN
      v_parent_known := false;
      v_parent := NULL;
      IF r.o_id IS NOT NULL THEN
        parent_client_id := r.o_parent_client_id;
      ELSIF p_first = 'leaf' AND v_session.leaf_message_id IS NOT NULL THEN
        SELECT p.client_id INTO parent_client_id FROM messages p WHERE p.id = v_session.leaf_message_id;
      ELSE
        parent_client_id := NULL;
      END IF;
    ELSIF p_parent_client_id IS NULL THEN
      v_parent_known := true;
      v_parent := NULL;
      parent_client_id := NULL;
    ELSE
      SELECT p.id INTO v_parent FROM messages p
      WHERE p.user_id = v_session.user_id AND p.client_id = p_parent_client_id AND p.session_id = p_session;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'parent message' USING ERRCODE = 'CDB04';
      END IF;
      v_parent_known := true;
      parent_client_id := p_parent_client_id;
    END IF;
    IF r.o_id IS NOT NULL THEN
      IF r.o_session_id <> p_session THEN
        RAISE EXCEPTION 'message id % is used in another session', v_msg ->> 'client_id' USING ERRCODE = 'CDB09';
      END IF;
      IF r.o_role <> v_msg ->> 'role' THEN
        RAISE EXCEPTION 'message % is a % message; its role cannot change', v_msg ->> 'client_id', r.o_role
          USING ERRCODE = 'CDB09';
      END IF;
      IF v_parent_known AND v_parent IS DISTINCT FROM r.o_parent_id THEN
        RAISE EXCEPTION 'message % has another parent; a parent cannot change', v_msg ->> 'client_id'
          USING ERRCODE = 'CDB09';
      END IF;
      v_id := r.o_id;
      created := false;
      IF r.same_all THEN
        -- Unchanged: not written; returned as read.
        id := r.o_id; session_id := r.o_session_id; seq := r.o_seq; role := r.o_role; content := r.o_content;
        selected_text := r.o_selected_text; metadata := r.o_metadata; created_at := r.o_created_at;
        client_id := v_msg ->> 'client_id'; parts := r.o_parts; status := r.o_status; updated_at := r.o_updated_at;
        model := r.o_model; input_tokens := r.o_input_tokens; output_tokens := r.o_output_tokens;
        latency_ms := r.o_latency_ms; citations := r.o_citations;
      ELSE
        -- Replaced: its columns; with a usage, the session's token totals move by the difference
        -- (after the loop); its citations dropped when the parts changed (inserted again below).
        UPDATE messages u SET parts = v_msg -> 'parts', metadata = v_msg -> 'metadata',
          status = coalesce(v_msg ->> 'status', u.status), content = v_msg ->> 'content',
          model = CASE WHEN v_usage THEN v_msg ->> 'model' ELSE u.model END,
          input_tokens = CASE WHEN v_usage THEN (v_msg ->> 'input_tokens')::integer ELSE u.input_tokens END,
          output_tokens = CASE WHEN v_usage THEN (v_msg ->> 'output_tokens')::integer ELSE u.output_tokens END,
          latency_ms = CASE WHEN v_usage THEN (v_msg ->> 'latency_ms')::integer ELSE u.latency_ms END
        WHERE u.id = v_id
        RETURNING u.id, u.session_id, u.seq, u.role, u.content, u.selected_text, u.metadata, u.created_at,
          u.client_id, u.parts, u.status, u.updated_at, u.model, u.input_tokens, u.output_tokens, u.latency_ms
        INTO id, session_id, seq, role, content, selected_text, metadata, created_at, client_id, parts, status,
          updated_at, model, input_tokens, output_tokens, latency_ms;
        IF v_usage THEN
          v_din := v_din + coalesce((v_msg ->> 'input_tokens')::integer, 0) - coalesce(r.o_input_tokens, 0);
          v_dout := v_dout + coalesce((v_msg ->> 'output_tokens')::integer, 0) - coalesce(r.o_output_tokens, 0);
        END IF;
        IF r.same_parts THEN
          citations := r.o_citations;
        ELSE
          DELETE FROM message_citations c WHERE c.message_id = v_id;
        END IF;
      END IF;
    ELSE
      -- New: the next seq of the locked session; its counters move once, after the loop.
      v_id := (v_msg ->> 'new_id')::uuid;
      v_count := v_count + 1;
      v_added := true;
      created := true;
      INSERT INTO messages AS n (id, session_id, seq, role, content, metadata, user_id, client_id, parts, status,
                                 parent_id, model, input_tokens, output_tokens, latency_ms)
      VALUES (v_id, p_session, v_count, v_msg ->> 'role', v_msg ->> 'content', v_msg -> 'metadata', v_session.user_id,
             v_msg ->> 'client_id', v_msg -> 'parts', coalesce(v_msg ->> 'status', 'complete'),
             CASE WHEN v_parent_known THEN v_parent WHEN p_first = 'leaf' THEN v_session.leaf_message_id END,
             v_msg ->> 'model', (v_msg ->> 'input_tokens')::integer, (v_msg ->> 'output_tokens')::integer,
             (v_msg ->> 'latency_ms')::integer)
      RETURNING n.id, n.session_id, n.seq, n.role, n.content, n.selected_text, n.metadata, n.created_at,
        n.client_id, n.parts, n.status, n.updated_at, n.model, n.input_tokens, n.output_tokens, n.latency_ms
      INTO id, session_id, seq, role, content, selected_text, metadata, created_at, client_id, parts, status,
        updated_at, model, input_tokens, output_tokens, latency_ms;
      v_din := v_din + coalesce((v_msg ->> 'input_tokens')::integer, 0);
      v_dout := v_dout + coalesce((v_msg ->> 'output_tokens')::integer, 0);
    END IF;
    -- The citations of a new message, or of a replaced one whose parts changed, as stored.
    IF r.o_id IS NULL OR NOT r.same_parts THEN
      IF jsonb_array_length(v_msg -> 'citations') > 0 THEN
        WITH c AS (
          INSERT INTO message_citations (message_id, user_id, citation_index, document_id, chunk_id, score, excerpt,
                                         metadata)
          SELECT v_id, v_session.user_id, x.citation_index, x.document_id, x.chunk_id, x.score, x.excerpt, x.metadata
          FROM jsonb_to_recordset(v_msg -> 'citations') AS x(citation_index integer, document_id text, chunk_id text,
            score double precision, excerpt text, metadata jsonb)
          RETURNING citation_index, document_id, chunk_id, score, excerpt, metadata, created_at
        )
        SELECT json_agg(json_build_object('citation_index', c.citation_index, 'document_id', c.document_id,
          'chunk_id', c.chunk_id, 'score', c.score, 'excerpt', c.excerpt, 'metadata', c.metadata,
          'created_at', c.created_at) ORDER BY c.citation_index)
        INTO citations FROM c;
      ELSE
        citations := '[]'::json;
      END IF;
    END IF;
    RETURN NEXT;
    v_prev_client := v_msg ->> 'client_id';
    v_any := true;
  END LOOP;
  -- One write of the session for the whole save: its count, its token totals, and the last message
  -- as the leaf; none (so no updated_at bump) when nothing of it changes.
  UPDATE chat_sessions cs SET message_count = v_count,
    leaf_message_id = CASE WHEN v_any THEN v_id ELSE cs.leaf_message_id END,
    last_message_at = CASE WHEN v_added THEN GREATEST(cs.last_message_at, now()) ELSE cs.last_message_at END,
    input_tokens = cs.input_tokens + v_din, output_tokens = cs.output_tokens + v_dout
  WHERE cs.id = p_session
    AND (v_added OR v_din <> 0 OR v_dout <> 0 OR (v_any AND cs.leaf_message_id IS DISTINCT FROM v_id));
  IF p_lock_timeout_ms > 0 THEN
    PERFORM set_config('lock_timeout', v_lock_timeout, true);
  END IF;
END
$fn$;

-- migrate:down
-- The function as 20261204000001 created it.
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
