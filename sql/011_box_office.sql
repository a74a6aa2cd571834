-- The box office and the door on a real night (issue 14): a short booking
-- code on every reservation, idempotent and offline admissions, walk-ins,
-- releasing no-shows, and the admin's own bookings.
--
-- No existing function is redefined: the door's admissions run
-- door_admit() (check_in() of 009 stays as it is), and the admin's
-- bookings run admin_book(), not book().

-- ---- the short code ------------------------------------------------------
--
-- Six characters (seven, eight once ids pass 31^6, 31^7) from an alphabet
-- without look-alikes: no 0/O, no 1/I/L. It is a bijection of the
-- reservation's id (an affine map modulo 31^n, the multiplier prime to
-- 31), so codes are unique over all performances by construction and a
-- booking never reads the table to find a free one: under SERIALIZABLE
-- such a read would take predicate locks that conflict with every
-- concurrent booking (006). The unique index backs it all the same.
--
-- The code is not a secret (consecutive bookings have related codes): it
-- names a booking only to signed-in staff, and only together with the
-- performance they are admitting (docs/ARCHITECTURE.md, "The short code").
CREATE FUNCTION box_code(p_id bigint) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    alphabet constant text := '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
    n integer := 6;
    m numeric := 887503681;            -- 31^6
    x numeric;
    out text := '';
BEGIN
    WHILE p_id >= m AND n < 8 LOOP
        n := n + 1;
        m := m * 31;
    END LOOP;
    x := (p_id::numeric * 279470273 + 559078001) % m;
    FOR i IN 1..n LOOP
        out := substr(alphabet, (x % 31)::integer + 1, 1) || out;
        x := floor(x / 31);
    END LOOP;
    RETURN out;
END
$$;

ALTER TABLE reservations
    ADD COLUMN code text CHECK (code ~ '^[2-9A-HJKMNP-Z]{6,8}$'),
    -- Who made it: the visitor on the site, an admin (phone, counter),
    -- or the door (a walk-in).
    ADD COLUMN source text NOT NULL DEFAULT 'online'
        CHECK (source IN ('online', 'admin', 'door')),
    -- Seats admitted offline beyond the ticket's (two phones that let the
    -- same party in): counted, never admitted.
    ADD COLUMN door_excess integer NOT NULL DEFAULT 0 CHECK (door_excess >= 0),
    -- Seats given up to walk-ins at curtain time (door_release()).
    ADD COLUMN released_seats integer NOT NULL DEFAULT 0
        CHECK (released_seats >= 0);

UPDATE reservations SET code = box_code(id);
ALTER TABLE reservations ALTER COLUMN code SET NOT NULL;
CREATE UNIQUE INDEX reservations_perf_code ON reservations (performance_id, code);

CREATE FUNCTION reservations_set_code() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.code := box_code(NEW.id);
    RETURN NEW;
END
$$;
CREATE TRIGGER reservations_set_code BEFORE INSERT ON reservations
    FOR EACH ROW EXECUTE FUNCTION reservations_set_code();

-- The code as typed at the door: spaces, dashes and case ignored.
CREATE FUNCTION box_code_normal(p text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT upper(regexp_replace(p, '[\s\-]', '', 'g'))
$$;

-- ---- the door's settings on a performance --------------------------------
ALTER TABLE performances
    -- The admin's decision: may seats confirmed but not admitted at
    -- release time go to walk-ins?
    ADD COLUMN release_absent boolean NOT NULL DEFAULT false,
    ADD COLUMN released_at timestamptz;

-- ---- admissions by client id --------------------------------------------
--
-- One row per admission a scanner sent with a client id: a retry of the
-- same id answers what the first did and admits nothing. No foreign keys,
-- like the outbox (006): their checks would take predicate locks on the
-- index pages every booking writes.
CREATE TABLE door_admissions (
    client_id      text PRIMARY KEY CHECK (client_id ~ '^[A-Za-z0-9_-]{8,64}$'),
    reservation_id bigint NOT NULL,
    checkin_id     bigint,
    result         text NOT NULL,
    seats          integer NOT NULL,    -- as the scanner asked
    seats_admitted integer NOT NULL,
    excess         integer NOT NULL,
    offline        boolean NOT NULL,
    by_user        bigint,
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX door_admissions_reservation ON door_admissions (reservation_id);

-- Admit at the door: check_in() of 009, found by the ticket's hash or by
-- (performance, code), with a client id and offline replays.
--
-- p_client: a retry with an id already applied answers as the first time
--   (o_replayed) and changes nothing.
-- p_offline: the admission already happened at the door while the phone
--   was offline; the server admits what is left of the ticket (never more
--   than its seats) and answers the rest as o_excess, counted on the
--   reservation (door_excess) so every scanner can see it. An offline
--   replay for a ticket with nothing left is 'excess', not an error.
-- o_result: checked_in | excess | unknown_ticket | unknown_code |
--           wrong_performance | performance_cancelled | cancelled |
--           not_confirmed | already_checked_in | too_many_seats |
--           client_id_reused
CREATE FUNCTION door_admit(p_ticket_hash bytea, p_perf bigint, p_code text,
                           p_seats integer, p_user bigint, p_client text,
                           p_offline boolean,
                           OUT o_result text, OUT o_reservation_id bigint,
                           OUT o_checkin_id bigint, OUT o_admitted integer,
                           OUT o_remaining integer, OUT o_excess integer,
                           OUT o_replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    r reservations;
    d door_admissions;
    perf_status text;
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

    -- After the row lock: two retries of one id take turns here, and the
    -- second sees the first's row.
    IF p_client IS NOT NULL THEN
        SELECT * INTO d FROM door_admissions WHERE client_id = p_client;
        IF FOUND THEN
            IF d.reservation_id <> r.id THEN
                o_result := 'client_id_reused';
                RETURN;
            END IF;
            o_result := d.result;
            o_checkin_id := d.checkin_id;
            o_admitted := d.seats_admitted;
            o_excess := d.excess;
            o_replayed := true;
            RETURN;
        END IF;
    END IF;

    SELECT status INTO perf_status FROM performances WHERE id = r.performance_id;
    want := coalesce(p_seats, o_remaining);
    IF perf_status = 'cancelled' THEN
        o_result := 'performance_cancelled';
        RETURN;
    ELSIF p_perf IS NOT NULL AND p_perf <> r.performance_id THEN
        o_result := 'wrong_performance';
        RETURN;
    ELSIF r.status = 'cancelled' THEN
        o_result := 'cancelled';
        RETURN;
    ELSIF r.status <> 'confirmed' THEN
        o_result := 'not_confirmed';
        RETURN;
    ELSIF NOT coalesce(p_offline, false) OR want = 0 THEN
        IF o_remaining = 0 THEN
            o_result := 'already_checked_in';
            RETURN;
        ELSIF want > o_remaining THEN
            o_result := 'too_many_seats';
            RETURN;
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
    UPDATE reservations
       SET seats_admitted = seats_admitted + o_admitted,
           door_excess = door_excess + o_excess, updated_at = now()
     WHERE id = r.id;
    o_remaining := o_remaining - o_admitted;
    IF p_client IS NOT NULL THEN
        INSERT INTO door_admissions (client_id, reservation_id, checkin_id,
                                     result, seats, seats_admitted, excess,
                                     offline, by_user)
        VALUES (p_client, r.id, o_checkin_id, o_result, want, o_admitted,
                o_excess, coalesce(p_offline, false), p_user);
    END IF;
END
$$;

-- ---- releasing seats at curtain time -------------------------------------
--
-- Pending holds end (expired), and, when the admin allowed it on the
-- performance, the seats of confirmed bookings nobody came for: a party
-- partly in keeps the seats admitted, a party nobody of came is
-- cancelled (cancelled_by admin); released_seats says how many each gave
-- up. Runs under the performance's lock, inside the caller's transaction.
CREATE FUNCTION door_release_seats(p_perf bigint, p_user bigint, p_request text,
                                   OUT o_holds integer, OUT o_absent integer)
LANGUAGE plpgsql AS $$
DECLARE
    p performances;
BEGIN
    SELECT * INTO p FROM performances WHERE id = p_perf;
    SELECT coalesce(sum(seats), 0) INTO o_holds FROM reservations
     WHERE performance_id = p_perf AND status = 'pending' AND expires_at > now();
    UPDATE reservations SET status = 'expired', updated_at = now()
     WHERE performance_id = p_perf AND status = 'pending';
    UPDATE performances SET next_hold_expiry = NULL, released_at = now()
     WHERE id = p_perf;
    o_absent := 0;
    IF p.release_absent THEN
        SELECT coalesce(sum(seats - seats_admitted), 0) INTO o_absent
          FROM reservations
         WHERE performance_id = p_perf AND status = 'confirmed'
           AND seats_admitted < seats;
        UPDATE reservations
           SET released_seats = released_seats + seats - seats_admitted,
               seats = CASE WHEN seats_admitted > 0 THEN seats_admitted
                            ELSE seats END,
               status = CASE WHEN seats_admitted > 0 THEN status
                             ELSE 'cancelled' END,
               cancelled_by = CASE WHEN seats_admitted > 0 THEN cancelled_by
                                   ELSE 'admin' END,
               cancelled_at = CASE WHEN seats_admitted > 0 THEN cancelled_at
                                   ELSE now() END,
               updated_at = now()
         WHERE performance_id = p_perf AND status = 'confirmed'
           AND seats_admitted < seats;
    END IF;
    PERFORM audit_record(p_user, p_request, 'release', 'performance', p_perf,
                         NULL, jsonb_build_object('holds', o_holds,
                                                  'absent', o_absent));
END
$$;

-- The button at the door. o_result: released | not_found |
-- performance_cancelled | not_started
CREATE FUNCTION door_release(p_perf bigint, p_user bigint, p_request text,
                             OUT o_result text, OUT o_holds integer,
                             OUT o_absent integer)
LANGUAGE plpgsql AS $$
DECLARE
    p performances;
BEGIN
    o_holds := 0;
    o_absent := 0;
    SELECT * INTO p FROM performances WHERE id = p_perf;
    IF NOT FOUND THEN
        o_result := 'not_found';
    ELSIF p.status = 'cancelled' THEN
        o_result := 'performance_cancelled';
    ELSIF now() < p.starts_at THEN
        o_result := 'not_started';
    ELSE
        SELECT s.o_holds, s.o_absent INTO o_holds, o_absent
          FROM door_release_seats(p_perf, p_user, p_request) s;
        o_result := 'released';
    END IF;
END
$$;

-- ---- walk-ins --------------------------------------------------------------
--
-- Seats sold at the door, admitted at once: a confirmed reservation with
-- no email, made by staff, through the same capacity rule as a booking
-- (perf_seats_available), under the performance's lock. At
-- p_release_minutes after curtain (NULL: never by itself) the first
-- walk-in releases the seats door_release_seats() would.
-- o_result: admitted | not_found | performance_cancelled | not_enough_seats
CREATE FUNCTION door_walk_in(p_perf bigint, p_seats integer, p_name text,
                             p_confirm_hash bytea, p_ticket_hash bytea,
                             p_release_minutes integer,
                             p_user bigint, p_request text,
                             OUT o_result text, OUT o_reservation_id bigint,
                             OUT o_checkin_id bigint, OUT o_code text,
                             OUT o_seats_available integer)
LANGUAGE plpgsql AS $$
DECLARE
    p performances;
    n reservations;
BEGIN
    SELECT * INTO p FROM performances WHERE id = p_perf;
    IF NOT FOUND THEN
        o_result := 'not_found';
        RETURN;
    ELSIF p.status = 'cancelled' THEN
        o_result := 'performance_cancelled';
        RETURN;
    END IF;
    IF p_release_minutes IS NOT NULL AND p.released_at IS NULL
       AND now() >= p.starts_at + make_interval(mins => p_release_minutes) THEN
        PERFORM door_release_seats(p_perf, p_user, p_request);
        SELECT * INTO p FROM performances WHERE id = p_perf;
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
    INSERT INTO reservations (performance_id, name, email, seats,
                              seats_admitted, status, expires_at, confirmed_at,
                              confirm_token_hash, ticket_token_hash, source)
    VALUES (p_perf, coalesce(p_name, ''), '', p_seats, p_seats, 'confirmed',
            now(), now(), p_confirm_hash, p_ticket_hash, 'door')
    RETURNING * INTO n;
    INSERT INTO checkins (reservation_id, seats, by_user)
    VALUES (n.id, p_seats, p_user) RETURNING id INTO o_checkin_id;
    PERFORM audit_record(p_user, p_request, 'walk_in', 'reservation', n.id,
                         NULL, admin_reservation_audit(n));
    o_reservation_id := n.id;
    o_code := n.code;
    o_seats_available := o_seats_available - p_seats;
    o_result := 'admitted';
END
$$;

-- ---- the admin's box office -------------------------------------------------
--
-- A booking taken by the admin (by phone, at the counter): confirmed at
-- once, or pending with a confirmation link; no email, no message. The
-- capacity rule is a visitor's (perf_seats_available); the booking window
-- and the per-reservation maximum are the visitor's limits and do not
-- bind the theatre. p_id is taken from the identity sequence beforehand,
-- because the ticket message (rendered before the transaction) carries
-- the reservation's id in its calendar event.
-- o_result: created | not_found | performance_cancelled | not_enough_seats
CREATE FUNCTION admin_book(p_id bigint, p_perf bigint, p_seats integer,
                           p_name text, p_email text, p_phone text,
                           p_notes text, p_locale text, p_confirmed boolean,
                           p_confirm_hash bytea, p_ticket_hash bytea,
                           p_hold_minutes integer, p_mail_kind text,
                           p_mail text, p_user bigint, p_request text,
                           OUT o_result text, OUT o_seats_available integer)
LANGUAGE plpgsql AS $$
DECLARE
    p performances;
    n reservations;
BEGIN
    SELECT * INTO p FROM performances WHERE id = p_perf;
    IF NOT FOUND THEN
        o_result := 'not_found';
        RETURN;
    ELSIF p.status = 'cancelled' THEN
        o_result := 'performance_cancelled';
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
    INSERT INTO reservations (id, performance_id, name, email, phone, notes,
                              locale, seats, status, expires_at, confirmed_at,
                              confirm_token_hash, ticket_token_hash, source)
    OVERRIDING SYSTEM VALUE
    VALUES (p_id, p_perf, p_name, coalesce(p_email, ''), coalesce(p_phone, ''),
            coalesce(p_notes, ''), coalesce(p_locale, 'it'), p_seats,
            CASE WHEN p_confirmed THEN 'confirmed' ELSE 'pending' END,
            now() + make_interval(mins => p_hold_minutes),
            CASE WHEN p_confirmed THEN now() END,
            p_confirm_hash, p_ticket_hash, 'admin')
    RETURNING * INTO n;
    IF p_mail IS NOT NULL THEN
        INSERT INTO outbox (reservation_id, kind, recipient, body)
        VALUES (n.id, p_mail_kind, n.email, p_mail);
    END IF;
    PERFORM audit_record(p_user, p_request, 'create', 'reservation', n.id,
                         NULL, admin_reservation_audit(n));
    o_seats_available := o_seats_available - p_seats;
    o_result := 'created';
END
$$;

-- The admin changes a booking: seats up (if available) or down (never
-- below those admitted), name, email, phone, notes; NULL leaves a field.
-- The audit entry names the fields changed, not their personal values.
-- o_result: updated | unchanged | not_found | not_active |
--           performance_cancelled | not_enough_seats (o_seats_available)
--           | below_admitted (o_seats_admitted)
CREATE FUNCTION admin_update_reservation(p_id bigint, p_seats integer,
                                         p_name text, p_email text,
                                         p_phone text, p_notes text,
                                         p_user bigint, p_request text,
                                         OUT o_result text,
                                         OUT o_seats_available integer,
                                         OUT o_seats_admitted integer)
LANGUAGE plpgsql AS $$
DECLARE
    r reservations;
    n reservations;
    p performances;
    changed text[] := '{}';
BEGIN
    SELECT * INTO r FROM reservations WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'not_found';
        RETURN;
    END IF;
    o_seats_admitted := r.seats_admitted;
    IF p_seats IS NOT NULL AND p_seats <> r.seats THEN
        SELECT * INTO p FROM performances WHERE id = r.performance_id;
        IF p.status = 'cancelled' THEN
            o_result := 'performance_cancelled';
            RETURN;
        ELSIF r.status NOT IN ('pending', 'confirmed')
              OR (r.status = 'pending' AND r.expires_at <= now()) THEN
            o_result := 'not_active';
            RETURN;
        ELSIF p_seats < r.seats_admitted THEN
            o_result := 'below_admitted';
            RETURN;
        ELSIF p_seats > r.seats THEN
            IF p.next_hold_expiry <= now() THEN
                PERFORM perf_expire_holds(p.id);
                SELECT * INTO p FROM performances WHERE id = p.id;
            END IF;
            o_seats_available := perf_seats_available(p);
            IF p_seats - r.seats > o_seats_available THEN
                o_result := 'not_enough_seats';
                o_seats_available := greatest(o_seats_available, 0);
                RETURN;
            END IF;
        END IF;
        changed := changed || 'seats'::text;
    END IF;
    IF p_name IS NOT NULL AND p_name <> r.name THEN
        changed := changed || 'name'::text;
    END IF;
    IF p_email IS NOT NULL AND p_email <> r.email THEN
        changed := changed || 'email'::text;
    END IF;
    IF p_phone IS NOT NULL AND p_phone <> r.phone THEN
        changed := changed || 'phone'::text;
    END IF;
    IF p_notes IS NOT NULL AND p_notes <> r.notes THEN
        changed := changed || 'notes'::text;
    END IF;
    IF cardinality(changed) = 0 THEN
        o_result := 'unchanged';
        RETURN;
    END IF;
    UPDATE reservations
       SET seats = coalesce(p_seats, seats), name = coalesce(p_name, name),
           email = coalesce(p_email, email), phone = coalesce(p_phone, phone),
           notes = coalesce(p_notes, notes), updated_at = now()
     WHERE id = r.id RETURNING * INTO n;
    PERFORM audit_record(p_user, p_request, 'update', 'reservation', r.id,
                         admin_reservation_audit(r),
                         admin_reservation_audit(n)
                             || jsonb_build_object('changed', to_jsonb(changed)));
    o_result := 'updated';
END
$$;

-- Send the ticket (confirmed) or the confirmation link (pending) again,
-- with new tokens: the old links and the old QR stop working, for a
-- visitor who lost them or whose email was wrong. p_kind is what the
-- worker rendered for the state it read.
-- o_result: queued | not_found | no_email | gone | changed
CREATE FUNCTION admin_resend(p_id bigint, p_kind text, p_confirm_hash bytea,
                             p_ticket_hash bytea, p_mail text,
                             p_user bigint, p_request text,
                             OUT o_result text)
LANGUAGE plpgsql AS $$
DECLARE
    r reservations;
    n reservations;
BEGIN
    SELECT * INTO r FROM reservations WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'not_found';
        RETURN;
    ELSIF r.email = '' THEN
        o_result := 'no_email';
        RETURN;
    ELSIF r.status = 'cancelled' OR r.status = 'expired'
          OR (r.status = 'pending' AND r.expires_at <= now()) THEN
        o_result := 'gone';
        RETURN;
    ELSIF (p_kind = 'ticket') <> (r.status = 'confirmed') THEN
        o_result := 'changed';
        RETURN;
    END IF;
    UPDATE reservations
       SET confirm_token_hash = p_confirm_hash,
           ticket_token_hash = p_ticket_hash, updated_at = now()
     WHERE id = r.id RETURNING * INTO n;
    INSERT INTO outbox (reservation_id, kind, recipient, body)
    VALUES (r.id, p_kind, r.email, p_mail);
    PERFORM audit_record(p_user, p_request, 'resend', 'reservation', r.id,
                         admin_reservation_audit(r),
                         admin_reservation_audit(n)
                             || jsonb_build_object('sent', p_kind));
    o_result := 'queued';
END
$$;

-- The door's per-performance setting, audited. o_result: updated | not_found
CREATE FUNCTION admin_set_release_absent(p_perf bigint, p_value boolean,
                                         p_user bigint, p_request text,
                                         OUT o_result text)
LANGUAGE plpgsql AS $$
DECLARE
    o performances;
BEGIN
    SELECT * INTO o FROM performances WHERE id = p_perf FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'not_found';
        RETURN;
    END IF;
    UPDATE performances SET release_absent = p_value, updated_at = now()
     WHERE id = p_perf;
    PERFORM audit_record(p_user, p_request, 'update', 'performance', p_perf,
                         jsonb_build_object('release_absent', o.release_absent),
                         jsonb_build_object('release_absent', p_value));
    o_result := 'updated';
END
$$;

-- ---- local times ---------------------------------------------------------

-- A time in the theatre's zone as ISO 8601 with its offset, to the second:
-- 2026-11-28T20:30:00+01:00 (the CSV, the door list).
CREATE FUNCTION box_local_iso(p_at timestamptz, p_zone text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT to_char(p_at AT TIME ZONE p_zone, 'YYYY-MM-DD"T"HH24:MI:SS')
           || CASE WHEN off < 0 THEN '-' ELSE '+' END
           || to_char(abs(off) / 3600, 'FM00') || ':'
           || to_char((abs(off) % 3600) / 60, 'FM00')
      FROM (SELECT extract(epoch FROM (p_at AT TIME ZONE p_zone)
                                      - (p_at AT TIME ZONE 'UTC'))::integer
                   AS off) o
     WHERE p_at IS NOT NULL
$$;
