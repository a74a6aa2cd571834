-- The public programme documents, kept by each worker until they change.
--
-- Every worker process keeps its rendered copies of the public documents
-- (GET /api/shows, /api/shows/{slug}, /api/performances/{id},
-- /api/venues; lib/doccache.c) and asks, every 50 ms on a connection of
-- its own, for programme_fingerprint(): when it differs from the last
-- answer, some committed change touched a table the documents are built
-- from, and every copy ends. It reads committed data only (its own
-- snapshot), so a copy can never outlive the change it missed by more
-- than one poll. A booking, a confirmation, a cancellation, a hold swept
-- as expired: each changes the performance's row (seats_held,
-- next_hold_expiry, through reservations_count_seats of 006), so
-- reservations need not be in it.
--
-- Why not NOTIFY from a trigger: a transaction that notifies takes a
-- database-wide lock from just before its commit until the commit is
-- flushed, so every booking's COMMIT would queue behind every other's.
-- pgbench over 100 performances, 64 clients, same run: 943 and 811 tps
-- without the trigger, 428 and 192 with it (docs/PERFORMANCE.md).
--
-- Any table a public document reads from in the future must be added
-- here. A table's part is its row count and the sum of 64-bit hashes of
-- every row's text: equal parts mean unchanged rows (but for a 64-bit
-- hash collision). Of performances only those yet to start count (the
-- index on starts_at finds them: ~0.2 ms with 100 upcoming among 3 000),
-- with the highest id for new ones; the workers do not keep documents of
-- performances that have started (app/shows.c), so those need no watch.

CREATE FUNCTION programme_fingerprint() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT concat_ws('/',
        (SELECT count(*) || ':' || coalesce(sum(hashtextextended(t::text, 0)), 0)
           FROM performances t WHERE t.starts_at > now()),
        (SELECT max(id) FROM performances),
        (SELECT count(*) || ':' || coalesce(sum(hashtextextended(t::text, 0)), 0) FROM shows t),
        (SELECT count(*) || ':' || coalesce(sum(hashtextextended(t::text, 0)), 0) FROM venues t))
$$;

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
