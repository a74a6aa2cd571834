-- Door check-in. One ticket admits its whole party, or part of it now and
-- the rest later. Runs as the single statement of a SERIALIZABLE
-- transaction; the row lock serializes two scanners on one ticket, and
-- the CHECK (seats_admitted <= seats) on reservations backs it up.
--
-- o_result: checked_in | unknown_ticket | wrong_performance | cancelled |
--           not_confirmed | already_checked_in | too_many_seats
CREATE FUNCTION check_in(p_ticket_hash bytea, p_perf bigint, p_seats integer,
                         p_user bigint,
                         OUT o_result text, OUT o_reservation_id bigint,
                         OUT o_checkin_id bigint, OUT o_admitted integer,
                         OUT o_remaining integer)
LANGUAGE plpgsql AS $$
DECLARE
    r reservations;
    perf_status text;
BEGIN
    SELECT * INTO r FROM reservations
     WHERE ticket_token_hash = p_ticket_hash FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'unknown_ticket';
        RETURN;
    END IF;
    o_reservation_id := r.id;
    o_remaining := r.seats - r.seats_admitted;
    SELECT status INTO perf_status FROM performances WHERE id = r.performance_id;

    IF p_perf IS NOT NULL AND p_perf <> r.performance_id THEN
        o_result := 'wrong_performance';
    ELSIF r.status = 'cancelled' OR perf_status = 'cancelled' THEN
        o_result := 'cancelled';
    ELSIF r.status <> 'confirmed' THEN
        o_result := 'not_confirmed';
    ELSIF o_remaining = 0 THEN
        o_result := 'already_checked_in';
    ELSIF coalesce(p_seats, o_remaining) > o_remaining THEN
        o_result := 'too_many_seats';
    ELSE
        o_admitted := coalesce(p_seats, o_remaining);
        UPDATE reservations
           SET seats_admitted = seats_admitted + o_admitted, updated_at = now()
         WHERE id = r.id;
        INSERT INTO checkins (reservation_id, seats, by_user)
        VALUES (r.id, o_admitted, p_user)
        RETURNING id INTO o_checkin_id;
        o_remaining := o_remaining - o_admitted;
        o_result := 'checked_in';
    END IF;
END
$$;

-- Undo a check-in (an admin's correction): its seats are no longer
-- admitted. o_result: undone | not_found | already_undone
CREATE FUNCTION undo_check_in(p_checkin bigint, p_user bigint,
                              OUT o_result text, OUT o_reservation_id bigint,
                              OUT o_seats integer)
LANGUAGE plpgsql AS $$
DECLARE
    c checkins;
BEGIN
    SELECT * INTO c FROM checkins WHERE id = p_checkin FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'not_found';
        RETURN;
    END IF;
    o_reservation_id := c.reservation_id;
    o_seats := c.seats;
    IF c.undone_at IS NOT NULL THEN
        o_result := 'already_undone';
        RETURN;
    END IF;
    UPDATE checkins SET undone_at = now(), undone_by = p_user WHERE id = c.id;
    UPDATE reservations
       SET seats_admitted = seats_admitted - c.seats, updated_at = now()
     WHERE id = c.reservation_id;
    o_result := 'undone';
END
$$;
