-- The public programme documents, kept by each worker until they change.
--
-- Every worker process keeps its rendered copies of the public documents
-- (GET /api/shows, /api/shows/{slug}, /api/performances/{id},
-- /api/venues; lib/doccache.c) and LISTENs on boxoffice_programme. The
-- tables those documents are built from notify that channel from a
-- statement trigger, so every committed change ends every copy at the
-- moment it commits (a notification is delivered at commit, never for a
-- transaction that rolls back). A booking, a confirmation, a cancellation,
-- a hold expiring by the sweep: each changes the performance's row
-- (seats_held, next_hold_expiry, through reservations_count_seats of 006),
-- so reservations need no trigger of their own.
--
-- Any table a public document reads from in the future needs the same
-- trigger: CREATE TRIGGER ... FOR EACH STATEMENT EXECUTE FUNCTION
-- programme_changed().
--
-- All notifications carry the same empty payload, so PostgreSQL sends a
-- transaction's notifications once, however many rows it changed.

CREATE FUNCTION programme_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('boxoffice_programme', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER performances_programme_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON performances
    FOR EACH STATEMENT EXECUTE FUNCTION programme_changed();
CREATE TRIGGER shows_programme_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON shows
    FOR EACH STATEMENT EXECUTE FUNCTION programme_changed();
CREATE TRIGGER venues_programme_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON venues
    FOR EACH STATEMENT EXECUTE FUNCTION programme_changed();

-- The next moment a performance's public fields change by the clock alone,
-- with no row changing: booking opens, booking closes, the performance
-- starts (it leaves the lists), the earliest pending hold expires (its
-- seats count as free again). NULL when none is ahead. When a hold has
-- already expired but is not swept yet, perf_seats_available() counts the
-- expired holds by time at every read, so the answer is now(): such a
-- document is not kept at all until the sweep or the next booking marks
-- them expired (which changes the row).
--
-- A plain expression (least() skips NULLs), so the planner inlines it.
CREATE FUNCTION perf_doc_valid_until(p performances) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p.next_hold_expiry <= now() THEN now()
           ELSE least(CASE WHEN p.booking_opens_at > now() THEN p.booking_opens_at END,
                      CASE WHEN p.booking_closes_at > now() THEN p.booking_closes_at END,
                      CASE WHEN p.starts_at > now() THEN p.starts_at END,
                      p.next_hold_expiry)
           END
$$;
