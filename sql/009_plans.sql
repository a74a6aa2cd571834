-- When plans change (issue 12): who cancelled a reservation, and the
-- messages the theatre's own changes send.
--
-- cancelled_by says whose decision a cancellation was: the visitor's own
-- (cancel_reservation), an admin's (admin_set_reservation_status), or the
-- theatre's, when the whole performance is cancelled. The door, the ticket
-- page and the visitor's answers tell these apart.
--
-- The messages of a cancellation or a move are queued, one per
-- reservation, by the statement that decides them, exactly like the
-- confirmation and the ticket. The worker cannot render them before the
-- transaction (it does not know which reservations the statement will
-- find, and holds none of their tokens), so they are queued with no body
-- and the outbox thread renders each one when it first claims it, stores
-- it in the same row, and sends those bytes on every attempt. They hold no
-- token: their links are the programme and the show page.

ALTER TABLE reservations
    ADD COLUMN cancelled_by text
        CHECK (cancelled_by IN ('visitor', 'theatre', 'admin')),
    ADD CONSTRAINT reservations_cancelled_by
        CHECK (status <> 'cancelled' OR cancelled_by IS NOT NULL) NOT VALID;

UPDATE reservations r
   SET cancelled_by = CASE WHEN p.status = 'cancelled' THEN 'theatre'
                           ELSE 'visitor' END
  FROM performances p
 WHERE p.id = r.performance_id AND r.status = 'cancelled';
ALTER TABLE reservations VALIDATE CONSTRAINT reservations_cancelled_by;

-- schedule_seq: the SEQUENCE of every calendar event of the performance,
-- raised by each move (and by the cancellation), so a calendar replaces
-- the event it already has (same UID) instead of adding one.
ALTER TABLE performances
    ADD COLUMN schedule_seq integer NOT NULL DEFAULT 0 CHECK (schedule_seq >= 0),
    ADD COLUMN cancel_message text NOT NULL DEFAULT ''
        CHECK (length(cancel_message) <= 2000 * 4);

-- A theatre message is rendered from its reservation and performance;
-- sequence is the schedule_seq it announces.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox
    ADD CONSTRAINT outbox_kind_check CHECK (kind IN
        ('confirm', 'ticket', 'cancelled', 'performance_cancelled',
         'performance_moved')),
    ADD COLUMN sequence integer;

CREATE OR REPLACE FUNCTION cancel_reservation(p_confirm_hash bytea,
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
       SET status = 'cancelled', cancelled_by = 'visitor',
           cancelled_at = now(), updated_at = now()
     WHERE id = r.id;
    o_result := 'cancelled';
END
$$;
-- admin_set_reservation_status() of 005: an admin's cancellation says so
-- (cancelled_by admin), and confirming on a cancelled performance says
-- performance_cancelled even though its reservations are cancelled too.
CREATE OR REPLACE FUNCTION admin_set_reservation_status(p_id bigint, p_status text,
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
        -- The performance first: its cancellation cancelled the
        -- reservation too, and the performance is the reason.
        SELECT * INTO p FROM performances WHERE id = r.performance_id;
        IF p.status = 'cancelled' THEN
            o_result := 'performance_cancelled';
            RETURN;
        ELSIF r.status = 'cancelled' THEN
            o_result := 'reservation_cancelled';
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
       SET status = 'cancelled', cancelled_by = 'admin',
           cancelled_at = now(), updated_at = now()
     WHERE id = r.id RETURNING * INTO n;
    PERFORM audit_record(p_user, p_request, 'cancel', 'reservation', r.id,
                         admin_reservation_audit(r),
                         admin_reservation_audit(n));
    o_result := 'cancelled';
END
$$;
DROP FUNCTION admin_update_performance(bigint, bigint, bigint, timestamptz,
    integer, integer, integer, boolean, timestamptz, boolean, timestamptz,
    integer, boolean, bigint, text);
-- admin_update_performance() of 005, telling confirmed bookings of a move.
-- o_notified: how many messages were queued.
CREATE FUNCTION admin_update_performance(
        p_id bigint, p_show bigint, p_venue bigint, p_starts timestamptz,
        p_capacity integer, p_occupied integer, p_extra integer,
        p_set_opens boolean, p_opens timestamptz,
        p_set_closes boolean, p_closes timestamptz,
        p_max integer, p_force boolean, p_user bigint, p_request text,
        OUT o_result text, OUT o_seats_taken integer,
        OUT o_notified integer)
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
    -- A move: a new start or a new place. Every confirmed booking is told
    -- (pending ones see it on their page), in this transaction.
    o_notified := 0;
    IF o.status = 'scheduled'
       AND (n.starts_at <> o.starts_at OR n.venue_id <> o.venue_id) THEN
        n.schedule_seq := o.schedule_seq + 1;
        INSERT INTO outbox (reservation_id, kind, recipient, sequence)
        SELECT r.id, 'performance_moved', r.email, n.schedule_seq
          FROM reservations r
         WHERE r.performance_id = p_id AND r.status = 'confirmed';
        GET DIAGNOSTICS o_notified = ROW_COUNT;
    END IF;
    UPDATE performances
       SET show_id = n.show_id, venue_id = n.venue_id, starts_at = n.starts_at,
           capacity = n.capacity, occupied_manual = n.occupied_manual,
           extra_seats = n.extra_seats, booking_opens_at = n.booking_opens_at,
           booking_closes_at = n.booking_closes_at,
           max_seats_per_reservation = n.max_seats_per_reservation,
           schedule_seq = n.schedule_seq, updated_at = n.updated_at
     WHERE id = p_id;
    PERFORM audit_record(p_user, p_request, 'update', 'performance', p_id,
                         to_jsonb(o), to_jsonb(n));
    o_result := 'updated';
END
$$;

-- Cancel a performance: booking closes, and every active reservation is
-- cancelled by the theatre and told, one message each, queued here.
-- Pending holds that already lapsed are only marked expired: their seats
-- were free already and nobody is waiting for them.
-- o_result: cancelled | already_cancelled | not_found
-- o_notified, o_seats: the reservations told and their seats.
DROP FUNCTION admin_cancel_performance(bigint, bigint, text);
CREATE FUNCTION admin_cancel_performance(p_id bigint, p_message text,
                                         p_user bigint, p_request text,
                                         OUT o_result text,
                                         OUT o_notified integer,
                                         OUT o_seats integer)
LANGUAGE plpgsql AS $$
DECLARE
    o performances;
    n performances;
BEGIN
    o_notified := 0;
    o_seats := 0;
    SELECT * INTO o FROM performances WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'not_found';
        RETURN;
    ELSIF o.status = 'cancelled' THEN
        o_result := 'already_cancelled';
        RETURN;
    END IF;
    PERFORM perf_expire_holds(p_id);
    WITH c AS (
        UPDATE reservations
           SET status = 'cancelled', cancelled_by = 'theatre',
               cancelled_at = now(), updated_at = now()
         WHERE performance_id = p_id AND status IN ('pending', 'confirmed')
        RETURNING id, email, seats
    ), q AS (
        INSERT INTO outbox (reservation_id, kind, recipient, sequence)
        SELECT id, 'performance_cancelled', email, o.schedule_seq + 1 FROM c
        RETURNING 1
    )
    SELECT count(*), coalesce(sum(seats), 0) INTO o_notified, o_seats FROM c;
    UPDATE performances
       SET status = 'cancelled', cancel_message = coalesce(p_message, ''),
           schedule_seq = schedule_seq + 1, updated_at = now()
     WHERE id = p_id RETURNING * INTO n;
    PERFORM audit_record(p_user, p_request, 'cancel', 'performance', p_id,
                         to_jsonb(o), to_jsonb(n));
    o_result := 'cancelled';
END
$$;

-- check_in() of 004, telling a cancelled performance from a cancelled
-- booking: o_result adds performance_cancelled.
CREATE OR REPLACE FUNCTION check_in(p_ticket_hash bytea, p_perf bigint, p_seats integer,
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

    -- A cancelled performance first, even at another performance's door:
    -- "that performance was cancelled" is what the visitor needs to hear.
    IF perf_status = 'cancelled' THEN
        o_result := 'performance_cancelled';
    ELSIF p_perf IS NOT NULL AND p_perf <> r.performance_id THEN
        o_result := 'wrong_performance';
    ELSIF r.status = 'cancelled' THEN
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

-- Give back seats: a party of four becomes two. Run under the
-- performance's lock like every seat change; the trigger on reservations
-- moves the counter, so the seats are free at the commit.
-- o_result: reduced | invalid_token | cancelled | expired | not_lower |
--           below_admitted | performance_cancelled | performance_started
CREATE FUNCTION reduce_reservation(p_confirm_hash bytea, p_seats integer,
                                   OUT o_result text, OUT o_reservation_id bigint,
                                   OUT o_seats integer)
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
    o_seats := r.seats;
    SELECT * INTO p FROM performances WHERE id = r.performance_id;
    IF p.status = 'cancelled' THEN
        o_result := 'performance_cancelled';
    ELSIF r.status = 'cancelled' THEN
        o_result := 'cancelled';
    ELSIF r.status = 'expired' OR (r.status = 'pending' AND r.expires_at <= now()) THEN
        o_result := 'expired';
    ELSIF now() >= p.starts_at THEN
        o_result := 'performance_started';
    ELSIF p_seats >= r.seats THEN
        o_result := 'not_lower';
    ELSIF p_seats < r.seats_admitted THEN
        o_result := 'below_admitted';
        o_seats := r.seats_admitted;
    ELSE
        UPDATE reservations SET seats = p_seats, updated_at = now()
         WHERE id = r.id;
        o_seats := p_seats;
        o_result := 'reduced';
    END IF;
END
$$;

-- Send the confirmation link again (pending) or the ticket (confirmed),
-- rendered by the worker for the state it read (p_kind); at most
-- p_max messages of that kind per reservation, the first included.
-- o_result: queued | invalid_token | changed | gone | too_many
CREATE FUNCTION resend_reservation(p_confirm_hash bytea, p_kind text,
                                   p_mail text, p_max integer,
                                   OUT o_result text, OUT o_reservation_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    r reservations;
BEGIN
    SELECT * INTO r FROM reservations
     WHERE confirm_token_hash = p_confirm_hash FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'invalid_token';
        RETURN;
    END IF;
    o_reservation_id := r.id;
    IF r.status = 'cancelled' OR r.status = 'expired'
       OR (r.status = 'pending' AND r.expires_at <= now()) THEN
        o_result := 'gone';
    ELSIF (p_kind = 'confirm') <> (r.status = 'pending') THEN
        o_result := 'changed';
    ELSIF (SELECT count(*) FROM outbox
            WHERE reservation_id = r.id AND kind = p_kind) >= p_max THEN
        o_result := 'too_many';
    ELSE
        INSERT INTO outbox (reservation_id, kind, recipient, body)
        VALUES (r.id, p_kind, r.email, p_mail);
        o_result := 'queued';
    END IF;
END
$$;

-- resend_reservation() counts a reservation's messages.
CREATE INDEX outbox_reservation ON outbox (reservation_id, kind);
