-- The waiting list (issue 15): parties waiting for a sold-out
-- performance, offered the seats that come back in the very transaction
-- that frees them.
--
-- One place offers: waitlist_offer(perf). It is not called by the
-- functions that free seats (cancel, expiry, give back, admin changes and
-- whatever other branches add) but by triggers, so every one of them,
-- present and future, offers in its own transaction and under its own
-- lock:
--   * a statement trigger on reservations (UPDATE) finds the performances
--     where a row stopped holding seats (cancelled, expired, fewer seats,
--     moved) and calls waitlist_offer() for each, after the whole
--     statement, so a sweep that expires many holds at once offers the
--     seats they free together, not row by row;
--   * a row trigger on performances when capacity − occupied + extra
--     rises.
-- Both skip at once a performance with nobody waiting
-- (performances.waitlist_waiting, a counter kept by a trigger on the
-- entries), so a booking reads nothing new.
--
-- An offer is a hold: a pending reservation of the entry's party
-- (reservations.waitlist_entry_id) with its own expiry (the setting
-- BOXOFFICE_OFFER_MINUTES, which each worker writes into
-- waitlist_settings at start), counted by seats_held and availability
-- like any hold. Accepting confirms it; its expiry frees its seats, and
-- the statement that marks it expired offers them to the next entry.
--
-- The rule (docs/ARCHITECTURE.md, "Waiting list"): entries in the order
-- their email was confirmed; each in turn gets as many of the free seats
-- as it asked for, or fewer down to its minimum; an entry whose minimum
-- does not fit is skipped and keeps its place for the next seats.
--
-- The offer's link needs a token, and a trigger cannot mint one in C:
-- the offer's secret is 32 random bytes made here (two gen_random_uuid(),
-- built into PostgreSQL 13+, 244 random bits; no extension needed), kept
-- only in the offer's outbox row. The outbox renders the message at its
-- first claim (app/waitlist.c): the secret becomes the reservation's
-- confirm token, its BLAKE2b hashes replace the placeholders, the secret
-- is erased and the rendered body (which then holds the token, like every
-- confirmation) is erased once sent. A crash before that COMMIT renders
-- the same token again: the mail already sent stays valid.

CREATE TABLE waitlist_settings (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    offer_minutes integer NOT NULL DEFAULT 30
                  CHECK (offer_minutes BETWEEN 1 AND 7 * 24 * 60)
);
INSERT INTO waitlist_settings DEFAULT VALUES;

CREATE TABLE waitlist_entries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    performance_id bigint NOT NULL REFERENCES performances ON DELETE RESTRICT,
    -- Personal data: emptied by the purge with the reservations'.
    name           text NOT NULL CHECK (length(name) <= 120 * 4),
    email          text NOT NULL CHECK (length(email) <= 254),
    locale         text NOT NULL DEFAULT 'it' CHECK (locale IN ('it', 'en')),
    seats          integer NOT NULL CHECK (seats > 0),
    min_seats      integer NOT NULL CHECK (min_seats > 0 AND min_seats <= seats),
    -- unconfirmed: email not confirmed yet (does not count);
    -- waiting: in line; offered: an offer is open (offer_reservation_id);
    -- accepted, expired (the offer lapsed), left, closed: over.
    state          text NOT NULL DEFAULT 'unconfirmed'
                   CHECK (state IN ('unconfirmed', 'waiting', 'offered',
                                    'accepted', 'expired', 'left', 'closed')),
    closed_reason  text CHECK (closed_reason IN ('cancelled', 'closed')),
    token_hash     bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    client_net     text CHECK (length(client_net) <= 64),
    -- An unconfirmed entry lapses then (the booking hold time).
    expires_at     timestamptz NOT NULL,
    offer_reservation_id bigint,
    offers         integer NOT NULL DEFAULT 0 CHECK (offers >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    confirmed_at   timestamptz,
    offered_at     timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    purged_at      timestamptz,
    CHECK (state = 'unconfirmed' OR confirmed_at IS NOT NULL),
    CHECK (state <> 'offered' OR offer_reservation_id IS NOT NULL)
);
CREATE INDEX waitlist_line ON waitlist_entries (performance_id, confirmed_at, id)
    WHERE state = 'waiting';
CREATE INDEX waitlist_performance ON waitlist_entries (performance_id, id);
CREATE INDEX waitlist_unconfirmed_net ON waitlist_entries (performance_id, client_net)
    INCLUDE (seats, expires_at) WHERE state = 'unconfirmed';
CREATE INDEX waitlist_active_email ON waitlist_entries (performance_id, lower(email))
    WHERE state IN ('unconfirmed', 'waiting', 'offered');

-- The entry an offer was made to (NULL for every ordinary booking).
ALTER TABLE reservations ADD COLUMN waitlist_entry_id bigint;

-- Entries in line (state waiting): zero for nearly every performance, so
-- the triggers below stop at the row they already hold.
ALTER TABLE performances
    ADD COLUMN waitlist_waiting integer NOT NULL DEFAULT 0
        CHECK (waitlist_waiting >= 0);

-- The entry a waiting-list message is about, and an offer's secret until
-- its message is rendered.
ALTER TABLE outbox
    ADD COLUMN waitlist_entry_id bigint,
    ADD COLUMN secret bytea CHECK (length(secret) = 32);

-- The outbox kinds so far, whatever earlier migrations (of any branch)
-- added, and ours.
DO $$
DECLARE
    kinds text[];
BEGIN
    SELECT array_agg(DISTINCT m[1]) INTO kinds
      FROM pg_constraint c,
           regexp_matches(pg_get_constraintdef(c.oid), '''([a-z_]+)''', 'g') AS m
     WHERE c.conname = 'outbox_kind_check' AND c.conrelid = 'outbox'::regclass;
    kinds := coalesce(kinds, ARRAY[]::text[])
             || ARRAY['waitlist_confirm', 'waitlist_offer', 'waitlist_closed'];
    ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_kind_check;
    EXECUTE format('ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check'
                   ' CHECK (kind = ANY (%L::text[]))', kinds);
END
$$;

-- The confirmation messages of the waiting list one address received in
-- a day (read before the join's transaction, see waitlist_join()).
CREATE INDEX outbox_waitlist_recipient ON outbox (lower(recipient), created_at)
    WHERE kind = 'waitlist_confirm';

-- ---- the counter ------------------------------------------------------

CREATE FUNCTION waitlist_count_waiting() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d integer := 0;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.state = 'waiting' THEN
        d := d - 1;
    END IF;
    IF NEW.state = 'waiting' THEN
        d := d + 1;
    END IF;
    IF d <> 0 THEN
        UPDATE performances SET waitlist_waiting = waitlist_waiting + d
         WHERE id = NEW.performance_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER waitlist_count_waiting
    AFTER INSERT OR UPDATE OF state ON waitlist_entries
    FOR EACH ROW EXECUTE FUNCTION waitlist_count_waiting();

-- ---- offering ---------------------------------------------------------

-- Offer n seats to entry e now: a pending reservation of the party, its
-- message queued (rendered at the first claim, see the top), the entry
-- offered. Returns the reservation.
CREATE FUNCTION waitlist_make_offer(e waitlist_entries, n integer)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    secret bytea := decode(replace(gen_random_uuid()::text
                                   || gen_random_uuid()::text, '-', ''), 'hex');
    mins integer := coalesce((SELECT offer_minutes FROM waitlist_settings), 30);
    starts timestamptz := (SELECT starts_at FROM performances WHERE id = e.performance_id);
    rid bigint;
BEGIN
    -- Placeholders until the message is rendered: unique, and no token
    -- hashes to them.
    INSERT INTO reservations (performance_id, name, email, locale, seats,
                              expires_at, confirm_token_hash, ticket_token_hash,
                              waitlist_entry_id)
    VALUES (e.performance_id, e.name, e.email, e.locale, n,
            least(now() + make_interval(mins => mins), starts),
            sha256(secret || '\x01'::bytea), sha256(secret || '\x02'::bytea), e.id)
    RETURNING id INTO rid;
    UPDATE waitlist_entries
       SET state = 'offered', offer_reservation_id = rid, offered_at = now(),
           offers = offers + 1, updated_at = now()
     WHERE id = e.id;
    INSERT INTO outbox (reservation_id, waitlist_entry_id, kind, recipient, secret)
    VALUES (rid, e.id, 'waitlist_offer', e.email, secret);
    RETURN rid;
END
$$;

-- Offer the free seats of a performance to its waiting entries, in
-- order (the rule at the top). Returns the offers made. Safe to call at
-- any time: with nobody waiting, or nothing free, it does nothing.
CREATE FUNCTION waitlist_offer(p_perf bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    p performances;
    e waitlist_entries;
    free integer;
    n integer;
    made integer := 0;
BEGIN
    SELECT * INTO p FROM performances WHERE id = p_perf;
    IF NOT FOUND OR p.waitlist_waiting = 0 OR NOT perf_booking_open(p) THEN
        RETURN 0;
    END IF;
    free := perf_seats_available(p);
    FOR e IN SELECT * FROM waitlist_entries
              WHERE performance_id = p_perf AND state = 'waiting'
              ORDER BY confirmed_at, id
    LOOP
        EXIT WHEN free <= 0;
        CONTINUE WHEN e.min_seats > free;
        n := least(e.seats, free);
        PERFORM waitlist_make_offer(e, n);
        free := free - n;
        made := made + 1;
    END LOOP;
    RETURN made;
END
$$;

-- After every UPDATE statement on reservations: the entries whose offer
-- ended learn how, and the performances where seats came back offer them.
CREATE FUNCTION reservations_waitlist() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    perf bigint;
BEGIN
    FOR r IN SELECT n.id, n.waitlist_entry_id, n.status, n.cancelled_by
               FROM new_rows n JOIN old_rows o ON o.id = n.id
              WHERE n.waitlist_entry_id IS NOT NULL AND o.status = 'pending'
                AND n.status <> 'pending'
    LOOP
        UPDATE waitlist_entries
           SET state = CASE r.status WHEN 'confirmed' THEN 'accepted'
                                     WHEN 'expired' THEN 'expired'
                                     ELSE CASE WHEN r.cancelled_by = 'visitor'
                                               THEN 'left' ELSE 'closed' END
                       END,
               closed_reason = CASE WHEN r.status = 'cancelled'
                                     AND r.cancelled_by = 'theatre'
                                    THEN 'cancelled' ELSE closed_reason END,
               updated_at = now()
         WHERE id = r.waitlist_entry_id AND offer_reservation_id = r.id
           AND state = 'offered';
    END LOOP;
    FOR perf IN SELECT DISTINCT o.performance_id
                  FROM old_rows o JOIN new_rows n ON n.id = o.id
                 WHERE o.status IN ('pending', 'confirmed')
                   AND (n.status NOT IN ('pending', 'confirmed')
                        OR n.seats < o.seats
                        OR n.performance_id <> o.performance_id)
    LOOP
        PERFORM waitlist_offer(perf);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER reservations_waitlist
    AFTER UPDATE ON reservations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reservations_waitlist();

CREATE FUNCTION performances_waitlist_offer() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM waitlist_offer(NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER performances_waitlist_offer
    AFTER UPDATE OF capacity, occupied_manual, extra_seats ON performances
    FOR EACH ROW
    WHEN (NEW.waitlist_waiting > 0
          AND NEW.capacity - NEW.occupied_manual + NEW.extra_seats
              > OLD.capacity - OLD.occupied_manual + OLD.extra_seats)
    EXECUTE FUNCTION performances_waitlist_offer();

-- ---- closing ----------------------------------------------------------

-- Close the list of a performance: every entry in line (and, when the
-- performance is cancelled, every open offer) is told once, queued here
-- and rendered by the outbox. Unconfirmed entries close silently (their
-- address was never confirmed). An offer still open when booking closes
-- stays open until it expires: its party has been told already.
-- p_reason: cancelled | closed. Returns the entries told.
CREATE FUNCTION waitlist_close(p_perf bigint, p_reason text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    told integer;
BEGIN
    INSERT INTO outbox (waitlist_entry_id, kind, recipient)
    SELECT id, 'waitlist_closed', email FROM waitlist_entries
     WHERE performance_id = p_perf
       AND (state = 'waiting' OR (p_reason = 'cancelled' AND state = 'offered'));
    GET DIAGNOSTICS told = ROW_COUNT;
    UPDATE waitlist_entries
       SET state = 'closed', closed_reason = p_reason, updated_at = now()
     WHERE performance_id = p_perf
       AND (state IN ('unconfirmed', 'waiting')
            OR (p_reason = 'cancelled' AND state = 'offered'));
    IF p_reason = 'cancelled' THEN
        UPDATE reservations
           SET status = 'cancelled', cancelled_by = 'theatre',
               cancelled_at = now(), updated_at = now()
         WHERE performance_id = p_perf AND status = 'pending'
           AND waitlist_entry_id IS NOT NULL;
    END IF;
    RETURN told;
END
$$;

CREATE FUNCTION performances_waitlist_close() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM waitlist_close(NEW.id, 'cancelled');
    RETURN NULL;
END
$$;

CREATE TRIGGER performances_waitlist_close
    AFTER UPDATE OF status ON performances FOR EACH ROW
    WHEN (NEW.status = 'cancelled' AND OLD.status <> 'cancelled')
    EXECUTE FUNCTION performances_waitlist_close();

-- The housekeeping sweep: lists of performances that began or whose
-- booking closed. Returns the entries told.
CREATE FUNCTION waitlist_close_due() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    perf bigint;
    told integer := 0;
BEGIN
    FOR perf IN SELECT id FROM performances p
                 WHERE waitlist_waiting > 0 AND NOT perf_booking_open(p)
    LOOP
        told := told + waitlist_close(perf, 'closed');
    END LOOP;
    RETURN told;
END
$$;

-- ---- the visitor's calls ----------------------------------------------

-- Position in line of a waiting entry (1 = next), NULL otherwise.
CREATE FUNCTION waitlist_position(e waitlist_entries) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN e.state = 'waiting' THEN
        (SELECT count(*)::integer + 1 FROM waitlist_entries w
          WHERE w.performance_id = e.performance_id AND w.state = 'waiting'
            AND (w.confirmed_at, w.id) < (e.confirmed_at, e.id))
    END
$$;

-- Join the list. Runs like book(): under the performance's lock, in
-- SERIALIZABLE. The caps are those of bookings, per performance, counted
-- here (so concurrent joins cannot race past them): the unconfirmed
-- entries of one client network hold at most the booking cap's seats
-- (p_net_seats, p_net_percent % of the house, never below two full
-- parties), and one address is in line at most once per performance.
-- The daily cap on confirmation messages per address is read by the
-- worker before the transaction (a read over all performances here would
-- make unrelated joins conflict; sql/006_seat_counter.sql).
-- o_result: ok | not_found | booking_closed | too_many_seats |
--           seats_available | already_waiting | too_many_pending
CREATE FUNCTION waitlist_join(p_perf bigint, p_seats integer, p_min integer,
                              p_name text, p_email text, p_locale text,
                              p_token_hash bytea, p_hold_minutes integer,
                              p_mail text, p_client_net text,
                              p_net_seats integer, p_net_percent integer,
                              OUT o_result text, OUT o_entry_id bigint,
                              OUT o_seats_available integer,
                              OUT o_expires_at timestamptz)
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
    IF p.next_hold_expiry <= now() THEN
        PERFORM perf_expire_holds(p_perf);
        SELECT * INTO p FROM performances WHERE id = p_perf;
    END IF;
    o_seats_available := greatest(perf_seats_available(p), 0);
    -- Nobody in line and the party fits: it should book, not wait.
    IF p.waitlist_waiting = 0 AND o_seats_available >= p_min THEN
        o_result := 'seats_available';
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM waitlist_entries
                WHERE performance_id = p_perf AND lower(email) = lower(p_email)
                  AND (state IN ('waiting', 'offered')
                       OR (state = 'unconfirmed' AND expires_at > now()))) THEN
        o_result := 'already_waiting';
        RETURN;
    END IF;
    IF p_client_net IS NOT NULL THEN
        net_cap := greatest(2 * p.max_seats_per_reservation,
                            least(p_net_seats,
                                  perf_seats_sellable(p) * p_net_percent / 100));
        SELECT coalesce(sum(seats), 0) INTO held FROM waitlist_entries
         WHERE performance_id = p_perf AND client_net = p_client_net
           AND state = 'unconfirmed' AND expires_at > now();
        IF held + p_seats > net_cap THEN
            o_result := 'too_many_pending';
            RETURN;
        END IF;
    END IF;
    INSERT INTO waitlist_entries (performance_id, name, email, locale, seats,
                                  min_seats, token_hash, client_net, expires_at)
    VALUES (p_perf, p_name, p_email, p_locale, p_seats, p_min, p_token_hash,
            p_client_net, now() + make_interval(mins => p_hold_minutes))
    RETURNING id, expires_at INTO o_entry_id, o_expires_at;
    INSERT INTO outbox (waitlist_entry_id, kind, recipient, body)
    VALUES (o_entry_id, 'waitlist_confirm', p_email, p_mail);
    o_result := 'ok';
END
$$;

-- Confirm the email of an entry: it joins the line now (and is offered
-- at once if seats that fit are free). Under the performance's lock.
-- o_result: confirmed | already_confirmed | invalid_token | expired |
--           booking_closed | over
CREATE FUNCTION waitlist_confirm(p_token_hash bytea,
                                 OUT o_result text, OUT o_entry_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    e waitlist_entries;
    p performances;
BEGIN
    SELECT * INTO e FROM waitlist_entries WHERE token_hash = p_token_hash FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'invalid_token';
        RETURN;
    END IF;
    o_entry_id := e.id;
    IF e.state <> 'unconfirmed' THEN
        o_result := CASE WHEN e.state IN ('waiting', 'offered', 'accepted')
                         THEN 'already_confirmed' ELSE 'over' END;
        RETURN;
    END IF;
    SELECT * INTO p FROM performances WHERE id = e.performance_id;
    IF NOT perf_booking_open(p) THEN
        o_result := 'booking_closed';
        RETURN;
    ELSIF e.expires_at <= now() THEN
        o_result := 'expired';
        RETURN;
    END IF;
    UPDATE waitlist_entries
       SET state = 'waiting', confirmed_at = now(), client_net = NULL,
           updated_at = now()
     WHERE id = e.id;
    PERFORM waitlist_offer(e.performance_id);
    o_result := 'confirmed';
END
$$;

-- Leave the list: an open offer is given back (its seats go to the next
-- entry in this transaction). Under the performance's lock.
-- o_result: left | already_left | invalid_token | over
CREATE FUNCTION waitlist_leave(p_token_hash bytea,
                               OUT o_result text, OUT o_entry_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    e waitlist_entries;
BEGIN
    SELECT * INTO e FROM waitlist_entries WHERE token_hash = p_token_hash FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'invalid_token';
        RETURN;
    END IF;
    o_entry_id := e.id;
    IF e.state = 'left' THEN
        o_result := 'already_left';
        RETURN;
    ELSIF e.state NOT IN ('unconfirmed', 'waiting', 'offered') THEN
        o_result := 'over';
        RETURN;
    END IF;
    UPDATE waitlist_entries SET state = 'left', updated_at = now() WHERE id = e.id;
    IF e.state = 'offered' THEN
        UPDATE reservations
           SET status = 'cancelled', cancelled_by = 'visitor',
               cancelled_at = now(), updated_at = now()
         WHERE id = e.offer_reservation_id AND status = 'pending';
    END IF;
    o_result := 'left';
END
$$;

-- Accept an offer (the token of its message): the hold becomes a
-- confirmed booking and the ticket is queued. Under the lock.
-- o_result: accepted | already_accepted | invalid_token | offer_expired |
--           cancelled | performance_cancelled | performance_started
CREATE FUNCTION waitlist_accept(p_confirm_hash bytea, p_mail text,
                                OUT o_result text, OUT o_reservation_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    r reservations;
    p performances;
BEGIN
    SELECT * INTO r FROM reservations
     WHERE confirm_token_hash = p_confirm_hash AND waitlist_entry_id IS NOT NULL
       FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'invalid_token';
        RETURN;
    END IF;
    o_reservation_id := r.id;
    SELECT * INTO p FROM performances WHERE id = r.performance_id;
    IF r.status = 'confirmed' THEN
        o_result := 'already_accepted';
    ELSIF p.status = 'cancelled' THEN
        o_result := 'performance_cancelled';
    ELSIF r.status = 'cancelled' THEN
        o_result := 'cancelled';
    ELSIF now() >= p.starts_at THEN
        o_result := 'performance_started';
    ELSIF r.status = 'expired' OR r.expires_at <= now() THEN
        o_result := 'offer_expired';
    ELSE
        UPDATE reservations
           SET status = 'confirmed', confirmed_at = now(), updated_at = now()
         WHERE id = r.id;
        INSERT INTO outbox (reservation_id, kind, recipient, body)
        VALUES (r.id, 'ticket', r.email, p_mail);
        o_result := 'accepted';
    END IF;
END
$$;

-- An admin offers to one entry, out of turn (audited). Entries waiting,
-- or whose offer expired. p_seats NULL: as many as it asked for that are
-- free. Under the performance's lock.
-- o_result: offered | not_found | not_waiting | booking_closed |
--           not_enough_seats
CREATE FUNCTION waitlist_admin_offer(p_entry bigint, p_seats integer,
                                     p_user bigint, p_request text,
                                     OUT o_result text,
                                     OUT o_reservation_id bigint,
                                     OUT o_seats_available integer)
LANGUAGE plpgsql AS $$
DECLARE
    e waitlist_entries;
    n waitlist_entries;
    p performances;
    k integer;
BEGIN
    SELECT * INTO e FROM waitlist_entries WHERE id = p_entry FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'not_found';
        RETURN;
    ELSIF e.state NOT IN ('waiting', 'expired') THEN
        o_result := 'not_waiting';
        RETURN;
    END IF;
    SELECT * INTO p FROM performances WHERE id = e.performance_id;
    IF NOT perf_booking_open(p) THEN
        o_result := 'booking_closed';
        RETURN;
    END IF;
    IF p.next_hold_expiry <= now() THEN
        PERFORM perf_expire_holds(p.id);
        SELECT * INTO p FROM performances WHERE id = e.performance_id;
        SELECT * INTO e FROM waitlist_entries WHERE id = p_entry;
        IF e.state NOT IN ('waiting', 'expired') THEN
            o_result := 'not_waiting';
            RETURN;
        END IF;
    END IF;
    o_seats_available := greatest(perf_seats_available(p), 0);
    k := coalesce(p_seats, least(e.seats, o_seats_available));
    IF k < 1 OR k > o_seats_available THEN
        o_result := 'not_enough_seats';
        RETURN;
    END IF;
    o_reservation_id := waitlist_make_offer(e, k);
    SELECT * INTO n FROM waitlist_entries WHERE id = p_entry;
    PERFORM audit_record(p_user, p_request, 'offer', 'waitlist_entry', e.id,
                         to_jsonb(e) - 'token_hash' - 'client_net',
                         to_jsonb(n) - 'token_hash' - 'client_net');
    o_result := 'offered';
END
$$;

-- The counts of a performance's list, for the admin's performance
-- summary: entries by state, the seats in line, offers made.
CREATE FUNCTION waitlist_counts(p_perf bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'waiting', count(*) FILTER (WHERE state = 'waiting'),
        'waiting_seats', coalesce(sum(seats) FILTER (WHERE state = 'waiting'), 0),
        'offered', count(*) FILTER (WHERE state = 'offered'),
        'accepted', count(*) FILTER (WHERE state = 'accepted'),
        'expired', count(*) FILTER (WHERE state = 'expired'),
        'left', count(*) FILTER (WHERE state = 'left'),
        'closed', count(*) FILTER (WHERE state = 'closed'),
        'unconfirmed', count(*) FILTER (WHERE state = 'unconfirmed'),
        'entries', count(*) FILTER (WHERE state <> 'unconfirmed'),
        'offers_made', coalesce(sum(offers), 0))
      FROM waitlist_entries WHERE performance_id = p_perf
$$;

-- What the door sees of the list (GET /api/performances/{id}/checkins):
-- the counts, and the parties still in line or with an open offer, in
-- order, with no email.
CREATE FUNCTION waitlist_door(p_perf bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'counts', waitlist_counts(p_perf),
        'entries', coalesce((SELECT json_agg(json_build_object(
                'position', waitlist_position(e), 'name', e.name,
                'seats', e.seats, 'min_seats', e.min_seats, 'state', e.state,
                'offer_expires_at', (SELECT r.expires_at FROM reservations r
                                      WHERE r.id = e.offer_reservation_id
                                        AND e.state = 'offered'))
                ORDER BY e.state <> 'waiting', e.confirmed_at, e.id)
              FROM waitlist_entries e
             WHERE e.performance_id = p_perf AND e.state IN ('waiting', 'offered')),
            '[]'))
$$;
