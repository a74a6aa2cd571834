-- Hostile visitors (issue 13): caps on unconfirmed seats, a daily cap on
-- the messages one address receives, login throttling per (account,
-- client network), and confirmation inside the booking window.
--
-- The client network is the address nginx trusts, as the worker derives
-- it (lib/net.c): an IPv4 address as it is, an IPv6 address as its /64.
-- It is personal data: confirming clears it, and the housekeeping sweep
-- clears it a day after the booking once the hold is over.

ALTER TABLE reservations
    ADD COLUMN client_net text CHECK (length(client_net) <= 64);

-- The caps count the pending holds of one performance by network and by
-- (lower-cased) email: index-only scans over these partial indexes.
CREATE INDEX reservations_pending_net ON reservations (performance_id, client_net)
    INCLUDE (seats, expires_at) WHERE status = 'pending';
CREATE INDEX reservations_pending_email ON reservations (performance_id, lower(email))
    INCLUDE (seats, expires_at) WHERE status = 'pending';

-- The bookings one network made in the last day and has not confirmed
-- (confirming clears client_net).
CREATE INDEX reservations_net_created ON reservations (client_net, created_at)
    WHERE client_net IS NOT NULL;

-- The confirmation messages one address received in the last day.
CREATE INDEX outbox_confirm_recipient ON outbox (lower(recipient), created_at)
    WHERE kind = 'confirm';

-- book() of 006 with the caps. Checked in the booking transaction itself,
-- so a rush cannot race past them; a booking over a cap holds nothing.
--   p_net_seats, p_net_percent: the pending seats of one client network on
--     one performance stay within min(p_net_seats, p_net_percent % of the
--     sellable seats), and never below two full reservations (a family
--     and its friends in a small house);
--   p_email_seats: the pending seats of one email on one performance;
--   p_mail_day: the confirmation messages to one address in 24 hours;
--   p_net_day: the bookings one network made in 24 hours and has not
--     confirmed, over all performances (each sends a message: without it
--     one address could mail a few victims per performance every hold).
--     A network that confirms what it books never meets it.
-- Confirmed reservations count against none of them.
-- o_result: ok | not_found | booking_closed | too_many_seats |
--           not_enough_seats | too_many_pending | too_many_messages
DROP FUNCTION book(bigint, integer, text, text, text, text, text, bytea, bytea,
                   integer, text);
CREATE FUNCTION book(p_perf bigint, p_seats integer, p_name text, p_email text,
                     p_phone text, p_notes text, p_locale text,
                     p_confirm_hash bytea, p_ticket_hash bytea,
                     p_hold_minutes integer, p_mail text,
                     p_client_net text, p_net_seats integer, p_net_percent integer,
                     p_email_seats integer, p_mail_day integer, p_net_day integer,
                     OUT o_result text, OUT o_reservation_id bigint,
                     OUT o_seats_available integer, OUT o_expires_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    p performances;
    net_cap integer;
    held integer;
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
    -- Sold out first: "no seats" tells the visitor more than a cap does.
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
        IF (SELECT count(*) FROM reservations
             WHERE client_net = p_client_net
               AND created_at > now() - interval '1 day') >= p_net_day THEN
            o_result := 'too_many_pending';
            RETURN;
        END IF;
    END IF;
    SELECT coalesce(sum(seats), 0) INTO held FROM reservations
     WHERE performance_id = p_perf AND lower(email) = lower(p_email)
       AND status = 'pending' AND expires_at > now();
    IF held + p_seats > greatest(p_email_seats, p.max_seats_per_reservation) THEN
        o_result := 'too_many_pending';
        RETURN;
    END IF;
    IF (SELECT count(*) FROM outbox
         WHERE lower(recipient) = lower(p_email) AND kind = 'confirm'
           AND created_at > now() - interval '1 day') >= p_mail_day THEN
        o_result := 'too_many_messages';
        RETURN;
    END IF;

    INSERT INTO reservations (performance_id, name, email, phone, notes, locale,
                              seats, expires_at, confirm_token_hash, ticket_token_hash,
                              client_net)
    VALUES (p_perf, p_name, p_email, p_phone, p_notes, p_locale, p_seats,
            now() + make_interval(mins => p_hold_minutes),
            p_confirm_hash, p_ticket_hash, p_client_net)
    RETURNING id, expires_at INTO o_reservation_id, o_expires_at;

    INSERT INTO outbox (reservation_id, kind, recipient, body)
    VALUES (o_reservation_id, 'confirm', p_email, p_mail);

    o_seats_available := o_seats_available - p_seats;
    o_result := 'ok';
END
$$;

-- confirm_reservation() of 003, with the booking window: an expired hold
-- is a new claim on seats, so it is confirmed only when booking it now
-- would succeed: booking open, show published, seats free. A hold
-- confirmed in time is the visitor's already.
-- o_result: confirmed | already_confirmed | invalid_token | cancelled |
--           performance_cancelled | performance_started | booking_closed |
--           not_enough_seats
CREATE OR REPLACE FUNCTION confirm_reservation(p_confirm_hash bytea, p_mail text,
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

    IF r.status = 'expired' OR r.expires_at <= now() THEN
        IF NOT perf_booking_open(p)
           OR NOT (SELECT published FROM shows WHERE id = p.show_id) THEN
            o_result := 'booking_closed';
            RETURN;
        END IF;
        o_seats_available := perf_seats_available(p);
        IF r.seats > o_seats_available THEN
            o_result := 'not_enough_seats';
            o_seats_available := greatest(o_seats_available, 0);
            RETURN;
        END IF;
    END IF;

    UPDATE reservations
       SET status = 'confirmed', confirmed_at = now(), updated_at = now(),
           client_net = NULL
     WHERE id = r.id;
    INSERT INTO outbox (reservation_id, kind, recipient, body)
    VALUES (r.id, 'ticket', r.email, p_mail);
    o_result := 'confirmed';
END
$$;

-- Login throttling (docs/ARCHITECTURE.md, "Login throttling").
-- One row per (account, client network) that failed or signed in: after
-- p_free failures the pair is locked for p_delay_s seconds, doubling with
-- each further lock up to 15 minutes. While a lock is active nothing is
-- counted and the lock is never extended; it expires on its own. An hour
-- without failures forgets the failures. last_ok_at marks a network the
-- account signed in from: for 30 days the account-wide lock does not
-- apply to it (the venue's network keeps working while many others
-- guess). Rows idle for 30 days are deleted by the housekeeping sweep.
CREATE TABLE login_throttle (
    user_id        bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    client_net     text NOT NULL CHECK (length(client_net) <= 64),
    failures       integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_failed_at timestamptz,
    locked_until   timestamptz,
    last_ok_at     timestamptz,
    PRIMARY KEY (user_id, client_net)
);

-- The account-wide counter: failures counted (outside any pair lock) in a
-- window of one hour from failures_since.
ALTER TABLE users ADD COLUMN failures_since timestamptz;

-- Count one wrong password for p_user from p_net.
-- p_free: failures of one pair before its first lock; p_delay_s: the first
-- lock; p_account: counted failures of the account within an hour that
-- lock the account itself for 15 minutes (a lock that is not extended
-- either).
CREATE FUNCTION login_failure(p_user bigint, p_net text, p_free integer,
                              p_delay_s integer, p_account integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t login_throttle;
BEGIN
    INSERT INTO login_throttle (user_id, client_net, failures)
    VALUES (p_user, p_net, 0) ON CONFLICT DO NOTHING;
    SELECT * INTO t FROM login_throttle
     WHERE user_id = p_user AND client_net = p_net FOR UPDATE;
    IF t.locked_until > now() THEN
        RETURN;
    END IF;
    IF t.last_failed_at IS NULL OR t.last_failed_at < now() - interval '1 hour' THEN
        t.failures := 0;
    END IF;
    t.failures := t.failures + 1;
    UPDATE login_throttle
       SET failures = t.failures, last_failed_at = now(),
           locked_until = CASE WHEN t.failures >= p_free THEN
               now() + make_interval(secs => least(900,
                   p_delay_s * power(2, least(t.failures - p_free, 20))))
               ELSE NULL END
     WHERE user_id = p_user AND client_net = p_net;

    UPDATE users
       SET failed_logins = CASE WHEN failures_since > now() - interval '1 hour'
                                THEN failed_logins + 1 ELSE 1 END,
           failures_since = CASE WHEN failures_since > now() - interval '1 hour'
                                 THEN failures_since ELSE now() END,
           updated_at = now()
     WHERE id = p_user AND NOT coalesce(locked_until > now(), false);
    UPDATE users
       SET locked_until = now() + interval '15 minutes', failed_logins = 0,
           failures_since = NULL
     WHERE id = p_user AND failed_logins >= p_account
       AND NOT coalesce(locked_until > now(), false);
END
$$;
