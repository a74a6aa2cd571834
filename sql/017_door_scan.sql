-- Door scans in one statement that never collides with other scans
-- (issue 17).
--
-- A scan was door_admit() in a SERIALIZABLE transaction, then a second
-- query describing the ticket: five round trips, and scans of *different*
-- tickets could fail serialization (3 in 9,368 in make bench answered
-- 500). The conflicts came from btree pages, where SIREAD locks are taken
-- per page:
--   * updating seats_admitted wrote a new version of the reservation row
--     on another page (the pages were full), so a new entry went into
--     every index of reservations, including the pages other scans had
--     read to find their tickets (and their foreign key checks had read);
--   * the first scan with a client id looked door_admissions up by that id
--     (not found) and then inserted it: other scans did the same on the
--     same index pages.
--   * the foreign key of checkins to reservations was checked through
--     reservations_pkey, whose pages the same new row versions went to.
-- Now reservations leave room on each page, so the row's new version stays
-- on it (a HOT update, which writes no index); a reservation lists the
-- client ids applied to it, so a first scan reads no index of
-- door_admissions; the foreign key is gone (reservations are never
-- deleted, as for the outbox in 006); and door_scan() decides and
-- describes in one statement, from the row it has locked.

-- Room for HOT updates on pages written from now on (VACUUM FULL would
-- repack older ones; they only matter for old reservations).
ALTER TABLE reservations SET (fillfactor = 80);

ALTER TABLE reservations
    ADD COLUMN door_clients text[] NOT NULL DEFAULT '{}';
UPDATE reservations r
   SET door_clients = (SELECT array_agg(client_id) FROM door_admissions d
                        WHERE d.reservation_id = r.id)
 WHERE EXISTS (SELECT 1 FROM door_admissions d WHERE d.reservation_id = r.id);

ALTER TABLE checkins DROP CONSTRAINT checkins_reservation_id_fkey;

-- door_admit() of 011, which door_scan() replaces.
DROP FUNCTION door_admit(bytea, bigint, text, integer, bigint, text, boolean);

-- Admit at the door (the rules of door_admit() in 011), then describe the
-- ticket as the door sees it. The worker's check-in is this one call (one
-- round trip with db_call).
-- o_result: checked_in | excess | unknown_ticket | unknown_code |
--           wrong_performance | performance_cancelled | cancelled |
--           not_confirmed | already_checked_in | too_many_seats |
--           client_id_reused
-- o_reservation, o_performance: JSON texts (NULL for unknown_*);
-- o_at, o_by: JSON texts of the check-in just made, or of the last one
--   (NULL when none).
CREATE FUNCTION door_scan(p_ticket_hash bytea, p_perf bigint, p_code text,
                          p_seats integer, p_user bigint, p_client text,
                          p_offline boolean,
                          OUT o_result text, OUT o_reservation_id bigint,
                          OUT o_checkin_id bigint, OUT o_admitted integer,
                          OUT o_remaining integer, OUT o_excess integer,
                          OUT o_replayed boolean, OUT o_reservation text,
                          OUT o_performance text, OUT o_at text,
                          OUT o_by text)
LANGUAGE plpgsql AS $$
DECLARE
    r reservations;
    d door_admissions;
    perf performances;
    want integer;
BEGIN
    o_excess := 0;
    o_admitted := 0;
    o_replayed := false;
    IF p_ticket_hash IS NOT NULL THEN
        SELECT * INTO r FROM reservations
         WHERE ticket_token_hash = p_ticket_hash FOR UPDATE;
        IF NOT FOUND THEN
            o_result := 'unknown_ticket';
            RETURN;
        END IF;
    ELSE
        SELECT * INTO r FROM reservations
         WHERE performance_id = p_perf AND code = box_code_normal(p_code)
           FOR UPDATE;
        IF NOT FOUND THEN
            o_result := 'unknown_code';
            RETURN;
        END IF;
    END IF;
    o_reservation_id := r.id;
    o_remaining := r.seats - r.seats_admitted;
    SELECT * INTO perf FROM performances WHERE id = r.performance_id;

    <<decide>>
    BEGIN
        -- After the row lock: two retries of one id take turns here, and
        -- the second sees the first's row. The reservation lists the ids
        -- applied to it, so a first scan reads no index of
        -- door_admissions; only a retry looks its row up.
        IF p_client IS NOT NULL AND p_client = ANY (r.door_clients) THEN
            SELECT * INTO d FROM door_admissions WHERE client_id = p_client;
            IF FOUND THEN
                o_result := d.result;
                o_checkin_id := d.checkin_id;
                o_admitted := d.seats_admitted;
                o_excess := d.excess;
                o_replayed := true;
                EXIT decide;
            END IF;
        END IF;

        want := coalesce(p_seats, o_remaining);
        IF perf.status = 'cancelled' THEN
            o_result := 'performance_cancelled';
            EXIT decide;
        ELSIF p_perf IS NOT NULL AND p_perf <> r.performance_id THEN
            o_result := 'wrong_performance';
            EXIT decide;
        ELSIF r.status = 'cancelled' THEN
            o_result := 'cancelled';
            EXIT decide;
        ELSIF r.status <> 'confirmed' THEN
            o_result := 'not_confirmed';
            EXIT decide;
        ELSIF NOT coalesce(p_offline, false) OR want = 0 THEN
            IF o_remaining = 0 THEN
                o_result := 'already_checked_in';
                EXIT decide;
            ELSIF want > o_remaining THEN
                o_result := 'too_many_seats';
                EXIT decide;
            END IF;
            o_admitted := want;
        ELSE
            o_admitted := least(want, o_remaining);
            o_excess := want - o_admitted;
        END IF;

        IF o_admitted > 0 THEN
            INSERT INTO checkins (reservation_id, seats, by_user)
            VALUES (r.id, o_admitted, p_user)
            RETURNING id INTO o_checkin_id;
            o_result := 'checked_in';
        ELSE
            o_result := 'excess';
        END IF;
        IF p_client IS NOT NULL THEN
            -- An id already applied to another ticket: its primary key
            -- says so.
            BEGIN
                INSERT INTO door_admissions (client_id, reservation_id,
                                             checkin_id, result, seats,
                                             seats_admitted, excess, offline,
                                             by_user)
                VALUES (p_client, r.id, o_checkin_id, o_result, want,
                        o_admitted, o_excess, coalesce(p_offline, false),
                        p_user);
            EXCEPTION WHEN unique_violation THEN
                DELETE FROM checkins WHERE id = o_checkin_id;
                o_result := 'client_id_reused';
                o_checkin_id := NULL;
                o_admitted := 0;
                o_excess := 0;
                RETURN;
            END;
        END IF;
        UPDATE reservations
           SET seats_admitted = seats_admitted + o_admitted,
               door_excess = door_excess + o_excess, updated_at = now(),
               door_clients = CASE WHEN p_client IS NULL THEN door_clients
                                   ELSE door_clients || p_client END
         WHERE id = r.id
        RETURNING * INTO r;
        o_remaining := o_remaining - o_admitted;
    END;

    o_reservation := json_build_object('name', r.name, 'seats', r.seats,
        'seats_admitted', r.seats_admitted, 'status', r.status,
        'cancelled_by', r.cancelled_by, 'code', r.code, 'notes', r.notes,
        'source', r.source, 'door_excess', r.door_excess)::text;
    o_performance := json_build_object('id', perf.id,
        'starts_at', perf.starts_at, 'status', perf.status,
        'show', (SELECT json_build_object('slug', s.slug, 'title', s.title)
                   FROM shows s WHERE s.id = perf.show_id))::text;
    IF o_checkin_id IS NOT NULL AND NOT o_replayed THEN
        o_at := to_json(now())::text;
        SELECT to_json(coalesce(nullif(u.name, ''), u.email, ''))::text
          INTO o_by FROM users u WHERE u.id = p_user;
        o_by := coalesce(o_by, '""');
    ELSE
        SELECT to_json(c.at)::text,
               to_json(coalesce(nullif(u.name, ''), u.email, ''))::text
          INTO o_at, o_by
          FROM checkins c LEFT JOIN users u ON u.id = c.by_user
         WHERE c.reservation_id = o_reservation_id AND c.undone_at IS NULL
         ORDER BY c.at DESC LIMIT 1;
    END IF;
END
$$;
