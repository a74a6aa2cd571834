-- The admin's writes that touch seats or the door, one function each, and
-- the audit log they share with the other admin writes (app/audit.c).
--
-- Like the booking functions (003_booking.sql) each runs as the single
-- statement of a SERIALIZABLE transaction, under the performance's
-- advisory lock where seats are concerned, and answers with a result code.
-- Each records its own audit entry, so the change and the record of it
-- commit together or not at all.

-- One audit entry. Password hashes never enter the log, whoever passes
-- the row: the key is removed here as well as by the callers.
CREATE FUNCTION audit_record(p_user bigint, p_request text, p_action text,
                             p_entity text, p_entity_id bigint,
                             p_before jsonb, p_after jsonb) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO audit_log (user_id, request_id, action, entity, entity_id,
                           before, after)
    VALUES (p_user, p_request, p_action, p_entity, p_entity_id,
            p_before - 'password_hash', p_after - 'password_hash')
$$;

-- What the audit log keeps of a reservation: no name, email, phone or
-- notes (the purge empties those from reservations; a copy here would
-- outlive it) and no token hashes.
CREATE FUNCTION admin_reservation_audit(r reservations) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('id', r.id, 'performance_id', r.performance_id,
        'seats', r.seats, 'seats_admitted', r.seats_admitted,
        'status', r.status, 'expires_at', r.expires_at,
        'confirmed_at', r.confirmed_at, 'cancelled_at', r.cancelled_at)
$$;

-- Seats a performance can sell before reservations.
CREATE FUNCTION perf_seats_sellable(p performances) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT p.capacity - p.occupied_manual + p.extra_seats
$$;

-- A new performance. The booking window must open before it closes.
-- o_result: created | unknown_show | unknown_venue | bad_window
CREATE FUNCTION admin_create_performance(
        p_show bigint, p_venue bigint, p_starts timestamptz,
        p_capacity integer, p_occupied integer, p_extra integer,
        p_opens timestamptz, p_closes timestamptz, p_max integer,
        p_user bigint, p_request text,
        OUT o_result text, OUT o_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    n performances;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM shows WHERE id = p_show) THEN
        o_result := 'unknown_show';
        RETURN;
    ELSIF NOT EXISTS (SELECT 1 FROM venues WHERE id = p_venue) THEN
        o_result := 'unknown_venue';
        RETURN;
    ELSIF p_opens >= p_closes THEN
        o_result := 'bad_window';
        RETURN;
    END IF;
    INSERT INTO performances (show_id, venue_id, starts_at, capacity,
                              occupied_manual, extra_seats, booking_opens_at,
                              booking_closes_at, max_seats_per_reservation)
    VALUES (p_show, p_venue, p_starts, p_capacity, coalesce(p_occupied, 0),
            coalesce(p_extra, 0), p_opens, p_closes, coalesce(p_max, 6))
    RETURNING * INTO n;
    PERFORM audit_record(p_user, p_request, 'create', 'performance', n.id,
                         NULL, to_jsonb(n));
    o_id := n.id;
    o_result := 'created';
END
$$;

-- A partial update: NULL leaves a field as it is, except the booking
-- window, whose p_set_* flags say "set it, possibly to NULL".
--
-- A change that lowers the seats the performance can sell below the seats
-- already taken (confirmed, and pending holds not expired) is refused
-- unless p_force: the seats are sold, and someone must decide who loses
-- them. A change that raises them, or leaves them as they are, always
-- passes, even when they are below what is taken after an earlier force.
-- o_result: updated | not_found | unknown_show | unknown_venue |
--           bad_window | capacity_below_taken (o_seats_taken set)
CREATE FUNCTION admin_update_performance(
        p_id bigint, p_show bigint, p_venue bigint, p_starts timestamptz,
        p_capacity integer, p_occupied integer, p_extra integer,
        p_set_opens boolean, p_opens timestamptz,
        p_set_closes boolean, p_closes timestamptz,
        p_max integer, p_force boolean, p_user bigint, p_request text,
        OUT o_result text, OUT o_seats_taken integer)
LANGUAGE plpgsql AS $$
DECLARE
    o performances;
    n performances;
BEGIN
    SELECT * INTO o FROM performances WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'not_found';
        RETURN;
    END IF;
    IF p_show IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM shows WHERE id = p_show) THEN
        o_result := 'unknown_show';
        RETURN;
    ELSIF p_venue IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM venues WHERE id = p_venue) THEN
        o_result := 'unknown_venue';
        RETURN;
    END IF;

    n := o;
    n.show_id := coalesce(p_show, o.show_id);
    n.venue_id := coalesce(p_venue, o.venue_id);
    n.starts_at := coalesce(p_starts, o.starts_at);
    n.capacity := coalesce(p_capacity, o.capacity);
    n.occupied_manual := coalesce(p_occupied, o.occupied_manual);
    n.extra_seats := coalesce(p_extra, o.extra_seats);
    n.max_seats_per_reservation := coalesce(p_max, o.max_seats_per_reservation);
    IF p_set_opens THEN
        n.booking_opens_at := p_opens;
    END IF;
    IF p_set_closes THEN
        n.booking_closes_at := p_closes;
    END IF;
    IF n.booking_opens_at >= n.booking_closes_at THEN
        o_result := 'bad_window';
        RETURN;
    END IF;

    o_seats_taken := perf_seats_taken(p_id);
    IF NOT coalesce(p_force, false)
       AND perf_seats_sellable(n) < perf_seats_sellable(o)
       AND perf_seats_sellable(n) < o_seats_taken THEN
        o_result := 'capacity_below_taken';
        RETURN;
    END IF;

    n.updated_at := now();
    UPDATE performances
       SET show_id = n.show_id, venue_id = n.venue_id, starts_at = n.starts_at,
           capacity = n.capacity, occupied_manual = n.occupied_manual,
           extra_seats = n.extra_seats, booking_opens_at = n.booking_opens_at,
           booking_closes_at = n.booking_closes_at,
           max_seats_per_reservation = n.max_seats_per_reservation,
           updated_at = n.updated_at
     WHERE id = p_id;
    PERFORM audit_record(p_user, p_request, 'update', 'performance', p_id,
                         to_jsonb(o), to_jsonb(n));
    o_result := 'updated';
END
$$;

-- Cancel a performance: booking closes (perf_booking_open), reservations
-- are kept as they are. o_result: cancelled | already_cancelled | not_found
CREATE FUNCTION admin_cancel_performance(p_id bigint, p_user bigint,
                                         p_request text, OUT o_result text)
LANGUAGE plpgsql AS $$
DECLARE
    o performances;
    n performances;
BEGIN
    SELECT * INTO o FROM performances WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'not_found';
        RETURN;
    ELSIF o.status = 'cancelled' THEN
        o_result := 'already_cancelled';
        RETURN;
    END IF;
    UPDATE performances SET status = 'cancelled', updated_at = now()
     WHERE id = p_id RETURNING * INTO n;
    PERFORM audit_record(p_user, p_request, 'cancel', 'performance', p_id,
                         to_jsonb(o), to_jsonb(n));
    o_result := 'cancelled';
END
$$;

-- An admin confirms or cancels a reservation.
--
-- Confirming follows confirm_reservation(): a hold that has expired is
-- confirmed only if its seats are still available. Unlike a visitor, an
-- admin may confirm after the performance has begun (a latecomer at the
-- door) and cancel after it has begun (a no-show), but never cancel a
-- reservation someone has already been admitted on, nor confirm a
-- cancelled one or one of a cancelled performance.
-- o_result: confirmed | cancelled | unchanged | not_found |
--           not_enough_seats (o_seats_available set) | checked_in |
--           reservation_cancelled | performance_cancelled
CREATE FUNCTION admin_set_reservation_status(p_id bigint, p_status text,
                                             p_user bigint, p_request text,
                                             OUT o_result text,
                                             OUT o_seats_available integer)
LANGUAGE plpgsql AS $$
DECLARE
    r reservations;
    n reservations;
    p performances;
BEGIN
    IF p_status NOT IN ('confirmed', 'cancelled') THEN
        RAISE EXCEPTION 'admin_set_reservation_status: bad status %', p_status;
    END IF;
    SELECT * INTO r FROM reservations WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'not_found';
        RETURN;
    ELSIF r.status = p_status THEN
        o_result := 'unchanged';
        RETURN;
    END IF;

    IF p_status = 'confirmed' THEN
        IF r.status = 'cancelled' THEN
            o_result := 'reservation_cancelled';
            RETURN;
        END IF;
        SELECT * INTO p FROM performances WHERE id = r.performance_id;
        IF p.status = 'cancelled' THEN
            o_result := 'performance_cancelled';
            RETURN;
        END IF;
        -- As in confirm_reservation(): an expired hold no longer counts,
        -- so this is "would booking these seats now succeed".
        IF r.status = 'expired' OR r.expires_at <= now() THEN
            o_seats_available := perf_seats_available(p);
            IF r.seats > o_seats_available THEN
                o_result := 'not_enough_seats';
                o_seats_available := greatest(o_seats_available, 0);
                RETURN;
            END IF;
        END IF;
        UPDATE reservations
           SET status = 'confirmed', confirmed_at = now(), updated_at = now()
         WHERE id = r.id RETURNING * INTO n;
        PERFORM audit_record(p_user, p_request, 'confirm', 'reservation', r.id,
                             admin_reservation_audit(r),
                             admin_reservation_audit(n));
        o_result := 'confirmed';
        RETURN;
    END IF;

    IF r.seats_admitted > 0 THEN
        o_result := 'checked_in';
        RETURN;
    END IF;
    UPDATE reservations
       SET status = 'cancelled', cancelled_at = now(), updated_at = now()
     WHERE id = r.id RETURNING * INTO n;
    PERFORM audit_record(p_user, p_request, 'cancel', 'reservation', r.id,
                         admin_reservation_audit(r),
                         admin_reservation_audit(n));
    o_result := 'cancelled';
END
$$;

-- undo_check_in() (004_checkins.sql) with its audit entry.
-- o_result: undone | not_found | already_undone
CREATE FUNCTION admin_undo_check_in(p_checkin bigint, p_user bigint,
                                    p_request text, OUT o_result text,
                                    OUT o_reservation_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    o checkins;
    n checkins;
BEGIN
    -- No lock needed for the "before": in a SERIALIZABLE transaction a
    -- change made between this read and undo_check_in()'s FOR UPDATE
    -- fails the transaction (and the caller retries it).
    SELECT * INTO o FROM checkins WHERE id = p_checkin;
    SELECT u.o_result, u.o_reservation_id INTO o_result, o_reservation_id
      FROM undo_check_in(p_checkin, p_user) u;
    IF o_result <> 'undone' THEN
        RETURN;
    END IF;
    SELECT * INTO n FROM checkins WHERE id = p_checkin;
    PERFORM audit_record(p_user, p_request, 'undo', 'checkin', p_checkin,
                         to_jsonb(o), to_jsonb(n));
END
$$;
