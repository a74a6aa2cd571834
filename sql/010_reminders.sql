-- Reminders and "send me my bookings" (issue 12).
--
-- A reminder and the list of one's bookings need the links of a
-- reservation, and the database holds only the hashes of its tokens. So
-- the confirm token is also kept sealed (libsodium secretbox: a fresh
-- nonce, then the ciphertext) under a key that lives outside the database
-- (BOXOFFICE_TOKEN_KEY_FILE, docs/ARCHITECTURE.md "Tokens"): a dump of the
-- database alone still yields no usable token. The ticket token is derived
-- from the confirm token, so one sealed value gives every link and the QR.
-- NULL when the process had no key, and for reservations made before this
-- migration: their reminder and list carry no link.
ALTER TABLE reservations
    ADD COLUMN confirm_token_box bytea
        CHECK (length(confirm_token_box) = 24 + 16 + 32),
    -- The reminder went out (was queued): set in the statement that
    -- queues it, so each reservation gets exactly one.
    ADD COLUMN reminded_at timestamptz;

-- The reminder sweep looks at confirmed reservations not yet reminded.
CREATE INDEX reservations_to_remind ON reservations (performance_id)
    WHERE status = 'confirmed' AND reminded_at IS NULL;

-- reminder: rendered at the first claim from its reservation, like the
-- theatre's messages (app/notices.c). bookings: "send me my bookings",
-- rendered by the worker and queued with its body; client_net is the
-- requester's network, for the per-network cap, forgotten after a day.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox
    ADD CONSTRAINT outbox_kind_check CHECK (kind IN
        ('confirm', 'ticket', 'cancelled', 'performance_cancelled',
         'performance_moved', 'reminder', 'bookings')),
    ADD COLUMN client_net text CHECK (length(client_net) <= 64);
CREATE INDEX outbox_bookings_recipient ON outbox (lower(recipient), created_at)
    WHERE kind = 'bookings';
CREATE INDEX outbox_bookings_net ON outbox (client_net, created_at)
    WHERE kind = 'bookings';

-- confirm_reservation() of 008, keeping the sealed token of a reservation
-- that has none yet (one made before the key existed), in the same
-- transaction. A new function, so confirm_reservation() stays as it is.
CREATE FUNCTION confirm_reservation_sealed(p_confirm_hash bytea, p_mail text,
                                           p_box bytea,
                                           OUT o_result text,
                                           OUT o_reservation_id bigint,
                                           OUT o_seats_available integer)
LANGUAGE plpgsql AS $$
BEGIN
    SELECT c.o_result, c.o_reservation_id, c.o_seats_available
      INTO o_result, o_reservation_id, o_seats_available
      FROM confirm_reservation(p_confirm_hash, p_mail) c;
    IF p_box IS NOT NULL AND o_result IN ('confirmed', 'already_confirmed') THEN
        UPDATE reservations SET confirm_token_box = p_box
         WHERE id = o_reservation_id AND confirm_token_box IS NULL;
    END IF;
END
$$;

-- Queue the reminders that are due: every confirmed reservation of a
-- scheduled performance starting within p_hours, not yet reminded. One
-- statement marks them and queues their messages, so a reservation is
-- reminded exactly once however many workers sweep at once: a row another
-- sweep holds is skipped, one it has marked no longer qualifies (READ
-- COMMITTED re-checks the condition on the locked row). Returns how many.
CREATE FUNCTION queue_reminders(p_hours integer, p_limit integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    WITH due AS (
        SELECT r.id FROM reservations r
          JOIN performances p ON p.id = r.performance_id
         WHERE r.status = 'confirmed' AND r.reminded_at IS NULL
           AND p.status = 'scheduled' AND p.starts_at > now()
           AND p.starts_at <= now() + make_interval(hours => p_hours)
         ORDER BY p.starts_at, r.id
         LIMIT p_limit
         FOR UPDATE OF r SKIP LOCKED
    ), m AS (
        UPDATE reservations r SET reminded_at = now()
          FROM due WHERE r.id = due.id AND r.reminded_at IS NULL
        RETURNING r.id, r.email
    ), q AS (
        INSERT INTO outbox (reservation_id, kind, recipient)
        SELECT id, 'reminder', email FROM m
        RETURNING 1
    )
    SELECT count(*) INTO n FROM q;
    RETURN n;
END
$$;

-- "Send me my bookings": queue the one message the worker rendered for
-- p_email, unless that address got p_per_address such messages in the
-- last 24 hours or the client network asked p_per_net times in the last
-- hour. The visitor sees the same answer either way (no enumeration, and
-- no way to tell a cap from an address without bookings).
-- o_result: queued | capped
CREATE FUNCTION queue_bookings_list(p_email text, p_net text, p_mail text,
                                    p_per_address integer, p_per_net integer,
                                    OUT o_result text)
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM outbox
         WHERE kind = 'bookings' AND lower(recipient) = lower(p_email)
           AND created_at > now() - interval '24 hours') >= p_per_address
       OR (p_net IS NOT NULL AND (SELECT count(*) FROM outbox
         WHERE kind = 'bookings' AND client_net = p_net
           AND created_at > now() - interval '1 hour') >= p_per_net) THEN
        o_result := 'capped';
        RETURN;
    END IF;
    INSERT INTO outbox (kind, recipient, body, client_net)
    VALUES ('bookings', p_email, p_mail, p_net);
    o_result := 'queued';
END
$$;

-- "Send me my bookings" finds an address's reservations.
CREATE INDEX reservations_email ON reservations (lower(email));
