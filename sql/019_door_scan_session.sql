-- The door scan checks its own staff session (issue 17).
--
-- A scan over HTTP was two round trips: the dispatcher's session query
-- (sessions JOIN users), then the door_scan() transaction. The session is
-- now resolved by the scan's own statement, so a scan is one round trip.
-- The rules are the dispatcher's (app/auth.c), in its order: no
-- live_session() (the guard asks the same function) is 'unauthorized'
-- (401), then a missing or wrong CSRF token is 'csrf_failed' (403);
-- nothing is admitted in either case. The tokens are compared as SHA-256 digests, so the time the
-- comparison takes says nothing about the stored token.
--
-- Nothing is written to sessions here: o_session_stale tells the worker
-- to refresh last_seen_at after the scan, outside its transaction (as the
-- dispatcher does, at most once a minute), so scans of one session never
-- collide on its row.

-- A live session: of an active user, not past its expiry, used within
-- p_idle (the dispatcher's IDLE, sent by the worker so it has one source).
-- stale: last_seen_at is worth refreshing (at most once a minute). The one
-- definition, for the dispatcher's guard (app/auth.c) and the door scan.
CREATE FUNCTION live_session(p_session bytea, p_idle interval)
RETURNS TABLE (user_id bigint, email text, name text, role text,
               csrf_token text, stale boolean)
LANGUAGE sql STABLE AS $$
    SELECT u.id, u.email, u.name, u.role, s.csrf_token,
           s.last_seen_at < now() - interval '1 minute'
      FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.id_hash = p_session AND s.expires_at > now()
       AND s.last_seen_at > now() - p_idle AND u.active
$$;

CREATE FUNCTION door_scan_session(p_session bytea, p_csrf text,
                                  p_idle interval, p_ticket_hash bytea,
                                  p_perf bigint, p_code text,
                                  p_seats integer, p_client text,
                                  p_offline boolean,
                                  OUT o_session_stale boolean,
                                  OUT o_result text,
                                  OUT o_reservation_id bigint,
                                  OUT o_checkin_id bigint,
                                  OUT o_admitted integer,
                                  OUT o_remaining integer,
                                  OUT o_excess integer,
                                  OUT o_replayed boolean,
                                  OUT o_reservation text,
                                  OUT o_performance text, OUT o_at text,
                                  OUT o_by text)
LANGUAGE plpgsql AS $$
DECLARE
    v_user bigint;
    v_csrf text;
BEGIN
    SELECT l.user_id, l.csrf_token, l.stale
      INTO v_user, v_csrf, o_session_stale
      FROM live_session(p_session, p_idle) l;
    IF NOT FOUND THEN
        o_session_stale := false;
        o_result := 'unauthorized';
        RETURN;
    END IF;
    IF p_csrf IS NULL OR sha256(convert_to(p_csrf, 'UTF8'))
                         <> sha256(convert_to(v_csrf, 'UTF8')) THEN
        o_result := 'csrf_failed';
        RETURN;
    END IF;
    SELECT d.o_result, d.o_reservation_id, d.o_checkin_id, d.o_admitted,
           d.o_remaining, d.o_excess, d.o_replayed, d.o_reservation,
           d.o_performance, d.o_at, d.o_by
      INTO o_result, o_reservation_id, o_checkin_id, o_admitted,
           o_remaining, o_excess, o_replayed, o_reservation,
           o_performance, o_at, o_by
      FROM door_scan(p_ticket_hash, p_perf, p_code, p_seats, v_user,
                     p_client, p_offline) d;
END
$$;

-- Several scans in one transaction (app/batch.c): the scans of one
-- performance that reach a worker process while another of its scans is
-- running are run here, in arrival order, as the one statement of one
-- SERIALIZABLE transaction: one snapshot, one WAL flush for the batch.
-- Each is exactly the door_scan_session() a lone scan runs, and sees the
-- batch's earlier scans (two phones on one ticket take turns as before).
--
-- p_perf: the performance the scans name (0: none named);
-- p_scans: a JSON array of objects {session, csrf, ticket_hash, code,
--   seats, client_id, offline}; hashes as the "\x..." text of a bytea.
-- One row per scan, in order: door_scan_session()'s answer.
CREATE FUNCTION door_scan_batch(p_perf bigint, p_idle interval,
                                p_scans jsonb)
RETURNS TABLE (o_session_stale boolean, o_result text,
               o_reservation_id bigint, o_checkin_id bigint,
               o_admitted integer, o_remaining integer, o_excess integer,
               o_replayed boolean, o_reservation text, o_performance text,
               o_at text, o_by text)
LANGUAGE plpgsql AS $$
DECLARE
    q jsonb;
BEGIN
    FOR q IN SELECT e FROM jsonb_array_elements(p_scans)
                          WITH ORDINALITY AS a(e, i) ORDER BY i LOOP
        RETURN QUERY
        SELECT * FROM door_scan_session((q->>'session')::bytea, q->>'csrf',
                                        p_idle, (q->>'ticket_hash')::bytea,
                                        nullif(p_perf, 0), q->>'code',
                                        (q->>'seats')::integer,
                                        q->>'client_id',
                                        (q->>'offline')::boolean);
    END LOOP;
END
$$;
