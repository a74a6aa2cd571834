-- The seat-changing transactions of the booking flow, one function each.
--
-- Each runs as the single statement of a SERIALIZABLE transaction that the
-- worker opens after taking pg_advisory_lock(performance id) (see
-- docs/ARCHITECTURE.md): one round trip while the lock is held, and a
-- snapshot taken after the wait, so a rush on one performance queues
-- instead of failing with serialization errors. Correctness never depends
-- on the lock: SERIALIZABLE alone forbids overbooking; the lock only makes
-- retries rare. pgbench runs these same functions as the baseline of
-- `make bench`.
--
-- Results are codes, not exceptions, so the caller can answer precisely
-- without parsing error messages.

-- Book p_seats on a performance, holding them for p_hold_minutes, with the
-- confirmation message (rendered by the worker, holding the raw confirm
-- token) queued in the outbox in the same transaction.
-- o_result: ok | not_found | booking_closed | too_many_seats | not_enough_seats
CREATE FUNCTION book(p_perf bigint, p_seats integer, p_name text, p_email text,
                     p_phone text, p_notes text, p_locale text,
                     p_confirm_hash bytea, p_ticket_hash bytea,
                     p_hold_minutes integer, p_mail text,
                     OUT o_result text, OUT o_reservation_id bigint,
                     OUT o_seats_available integer, OUT o_expires_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    p performances;
BEGIN
    SELECT perf.* INTO p
      FROM performances perf JOIN shows s ON s.id = perf.show_id
     WHERE perf.id = p_perf AND s.published;
    IF NOT FOUND THEN
        o_result := 'not_found';
        RETURN;
    END IF;
    IF NOT perf_booking_open(p) THEN
        o_result := 'booking_closed';
        RETURN;
    END IF;
    IF p_seats > p.max_seats_per_reservation THEN
        o_result := 'too_many_seats';
        o_seats_available := p.max_seats_per_reservation;
        RETURN;
    END IF;
    o_seats_available := perf_seats_available(p);
    IF p_seats > o_seats_available THEN
        o_result := 'not_enough_seats';
        o_seats_available := greatest(o_seats_available, 0);
        RETURN;
    END IF;

    INSERT INTO reservations (performance_id, name, email, phone, notes, locale,
                              seats, expires_at, confirm_token_hash, ticket_token_hash)
    VALUES (p_perf, p_name, p_email, p_phone, p_notes, p_locale, p_seats,
            now() + make_interval(mins => p_hold_minutes),
            p_confirm_hash, p_ticket_hash)
    RETURNING id, expires_at INTO o_reservation_id, o_expires_at;

    INSERT INTO outbox (reservation_id, kind, recipient, body)
    VALUES (o_reservation_id, 'confirm', p_email, p_mail);

    o_seats_available := o_seats_available - p_seats;
    o_result := 'ok';
END
$$;

-- Confirm a reservation by the hash of its confirm token, queueing the
-- ticket message. A hold that expired is confirmed only if its seats are
-- still free.
-- o_result: confirmed | already_confirmed | invalid_token | cancelled |
--           performance_cancelled | performance_started | not_enough_seats
CREATE FUNCTION confirm_reservation(p_confirm_hash bytea, p_mail text,
                                    OUT o_result text, OUT o_reservation_id bigint,
                                    OUT o_seats_available integer)
LANGUAGE plpgsql AS $$
DECLARE
    r reservations;
    p performances;
BEGIN
    SELECT * INTO r FROM reservations
     WHERE confirm_token_hash = p_confirm_hash FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'invalid_token';
        RETURN;
    END IF;
    o_reservation_id := r.id;
    IF r.status = 'confirmed' THEN
        o_result := 'already_confirmed';
        RETURN;
    ELSIF r.status = 'cancelled' THEN
        o_result := 'cancelled';
        RETURN;
    END IF;

    SELECT * INTO p FROM performances WHERE id = r.performance_id;
    IF p.status = 'cancelled' THEN
        o_result := 'performance_cancelled';
        RETURN;
    ELSIF now() >= p.starts_at THEN
        o_result := 'performance_started';
        RETURN;
    END IF;

    -- An expired hold no longer counts in perf_seats_available(), so the
    -- check below is exactly "would booking these seats now succeed".
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
     WHERE id = r.id;
    INSERT INTO outbox (reservation_id, kind, recipient, body)
    VALUES (r.id, 'ticket', r.email, p_mail);
    o_result := 'confirmed';
END
$$;

-- Cancel by the hash of the confirm token; frees the seats at once.
-- o_result: cancelled | already_cancelled | invalid_token | checked_in |
--           performance_started
CREATE FUNCTION cancel_reservation(p_confirm_hash bytea,
                                   OUT o_result text, OUT o_reservation_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    r reservations;
    p performances;
BEGIN
    SELECT * INTO r FROM reservations
     WHERE confirm_token_hash = p_confirm_hash FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'invalid_token';
        RETURN;
    END IF;
    o_reservation_id := r.id;
    IF r.status = 'cancelled' THEN
        o_result := 'already_cancelled';
        RETURN;
    ELSIF r.seats_admitted > 0 THEN
        o_result := 'checked_in';
        RETURN;
    END IF;
    SELECT * INTO p FROM performances WHERE id = r.performance_id;
    IF now() >= p.starts_at THEN
        o_result := 'performance_started';
        RETURN;
    END IF;
    UPDATE reservations
       SET status = 'cancelled', cancelled_at = now(), updated_at = now()
     WHERE id = r.id;
    o_result := 'cancelled';
END
$$;
