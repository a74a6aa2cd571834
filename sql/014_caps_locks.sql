-- The abuse caps of 008 decided under locks of their own, outside the seat
-- transaction.
--
-- Why: book() of 008 counted, inside its SERIALIZABLE transaction, the
-- pending seats of a network and of an email on the performance and, over
-- all performances, the day's bookings of the network and the day's
-- confirmation messages to the address. Those reads go through btree
-- indexes, which take SIREAD locks on whole pages, and the pages are the
-- ones every other booking inserts into: bookings of different
-- performances conflicted again (the very thing 006 removed). Measured
-- with `make bench` over 100 performances: 1192 bookings/s and no failure
-- before 008, 205/s with 290 answers 500 after it; pgbench 1472 -> 17 tps.
--
-- Now book_caps() runs first, in READ COMMITTED, as its own statement:
--   1. it takes session advisory locks on the client network and on the
--      lower-cased email (the two-integer key space, apart from the
--      performance locks' bigint keys), in that order, always before the
--      performance lock: one order everywhere, so no deadlock;
--   2. then it counts. In a VOLATILE function each statement takes a new
--      snapshot, so the counts see every booking committed before the
--      locks were granted.
-- Every write that adds to a count (a booking: a pending hold with its
-- client network, and a confirmation message) holds both locks until it
-- has committed, so a count cannot miss a concurrent booking of the same
-- network or address: the caps are exact, as they were. Writes that
-- lower a count (confirm, cancel, expiry) take no such lock; a count read
-- just before one of them commits is one too high, which can only refuse,
-- never let a booking past a cap. A resend (009) adds a message without
-- the address lock; it is capped per reservation on its own.
-- The caller releases the locks after the seat transaction
-- (pg_advisory_unlock_all, which also releases the performance lock).
--
-- The seat transaction, book(), now reads only its performance's row, as
-- in 006.

-- p_*: the caps of 008 (see its book()), less the pending seats of one
--   email: an address now holds at most one pending booking per
--   performance (already_pending, below), which is at most
--   max_seats_per_reservation seats.
-- o_result: ok | already_pending | too_many_pending | too_many_messages;
--   "ok" also when the booking will fail for another reason (no such
--   performance, closed, no seats): book() gives that answer, which tells
--   the visitor more.
-- o_pending: with already_pending, {"expires_at", "seats"} of the hold the
--   address has: booking again while it waits for its link holds nothing
--   more and sends nothing; the visitor is pointed at the first message
--   (and its resend).
-- Either way it returns holding its locks (one without a network).
CREATE FUNCTION book_caps(p_perf bigint, p_seats integer, p_email text,
                          p_client_net text, p_net_seats integer,
                          p_net_percent integer,
                          p_mail_day integer, p_net_day integer,
                          OUT o_result text, OUT o_pending text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    p performances;
    net_cap integer;
    held integer;
BEGIN
    o_result := 'ok';
    IF p_client_net IS NOT NULL THEN
        PERFORM pg_advisory_lock(1, hashtext(p_client_net));
    END IF;
    PERFORM pg_advisory_lock(2, hashtext(lower(p_email)));

    SELECT * INTO p FROM performances WHERE id = p_perf;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT json_build_object('expires_at', r.expires_at, 'seats', r.seats)::text
      INTO o_pending FROM reservations r
     WHERE r.performance_id = p_perf AND lower(r.email) = lower(p_email)
       AND r.status = 'pending' AND r.expires_at > now()
     ORDER BY r.expires_at DESC LIMIT 1;
    IF o_pending IS NOT NULL THEN
        o_result := 'already_pending';
        RETURN;
    END IF;
    IF p_seats > p.max_seats_per_reservation
       OR p_seats > perf_seats_available(p) THEN
        RETURN;
    END IF;

    IF p_client_net IS NOT NULL THEN
        net_cap := greatest(2 * p.max_seats_per_reservation,
                            least(p_net_seats,
                                  (p.capacity - p.occupied_manual + p.extra_seats)
                                  * p_net_percent / 100));
        SELECT coalesce(sum(seats), 0) INTO held FROM reservations
         WHERE performance_id = p_perf AND client_net = p_client_net
           AND status = 'pending' AND expires_at > now();
        IF held + p_seats > net_cap THEN
            o_result := 'too_many_pending';
            RETURN;
        END IF;
        -- Counted up to the cap only: the cost stays bounded.
        IF (SELECT count(*) FROM (SELECT 1 FROM reservations
             WHERE client_net = p_client_net
               AND created_at > now() - interval '1 day'
             LIMIT p_net_day) n) >= p_net_day THEN
            o_result := 'too_many_pending';
            RETURN;
        END IF;
    END IF;
    IF (SELECT count(*) FROM (SELECT 1 FROM outbox
         WHERE lower(recipient) = lower(p_email) AND kind = 'confirm'
           AND created_at > now() - interval '1 day'
         LIMIT p_mail_day) m) >= p_mail_day THEN
        o_result := 'too_many_messages';
    END IF;
END
$$;

-- book() of 008 without the caps (book_caps decides them first), still
-- recording the client network for them, and keeping the sealed confirm
-- token (p_box, sql/010; NULL without a key).
-- o_result: ok | not_found | booking_closed | too_many_seats |
--           not_enough_seats
DROP FUNCTION book(bigint, integer, text, text, text, text, text, bytea, bytea,
                   integer, text, text, integer, integer, integer, integer,
                   integer);
CREATE FUNCTION book(p_perf bigint, p_seats integer, p_name text, p_email text,
                     p_phone text, p_notes text, p_locale text,
                     p_confirm_hash bytea, p_ticket_hash bytea,
                     p_hold_minutes integer, p_mail text, p_client_net text,
                     p_box bytea,
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
    IF p.next_hold_expiry <= now() THEN
        PERFORM perf_expire_holds(p_perf);
        SELECT * INTO p FROM performances WHERE id = p_perf;
    END IF;
    o_seats_available := perf_seats_available(p);
    IF p_seats > o_seats_available THEN
        o_result := 'not_enough_seats';
        o_seats_available := greatest(o_seats_available, 0);
        RETURN;
    END IF;

    INSERT INTO reservations (performance_id, name, email, phone, notes, locale,
                              seats, expires_at, confirm_token_hash, ticket_token_hash,
                              client_net, confirm_token_box)
    VALUES (p_perf, p_name, p_email, p_phone, p_notes, p_locale, p_seats,
            now() + make_interval(mins => p_hold_minutes),
            p_confirm_hash, p_ticket_hash, p_client_net, p_box)
    RETURNING id, expires_at INTO o_reservation_id, o_expires_at;

    INSERT INTO outbox (reservation_id, kind, recipient, body)
    VALUES (o_reservation_id, 'confirm', p_email, p_mail);

    o_seats_available := o_seats_available - p_seats;
    o_result := 'ok';
END
$$;
