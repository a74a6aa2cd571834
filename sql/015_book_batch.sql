-- Several bookings of one performance in one transaction (app/batch.c).
--
-- A hot performance books one reservation per lock, BEGIN, statement and
-- COMMIT. The worker combines the bookings of a performance that arrive
-- while its lock is held, and runs them here, in arrival order, as the one
-- statement of one SERIALIZABLE transaction under the performance's lock:
-- one lock, one snapshot, one WAL flush for the batch. Each is exactly the
-- book() a lone booking runs, and sees the batch's earlier bookings (a
-- PL/pgSQL statement sees its own transaction's writes), so a batch can
-- never take more seats than are free: the last bookings of a sell-out get
-- not_enough_seats like any other.
--
-- p_requests: a JSON array of objects {seats, name, email, phone, notes,
--   locale, confirm_hash, ticket_hash, box, mail, client_net}; hashes and
--   the sealed token as the "\x..." text book() takes as bytea.
-- One row per request, in order: book()'s answer.
CREATE FUNCTION book_batch(p_perf bigint, p_hold_minutes integer,
                           p_requests jsonb)
RETURNS TABLE (o_result text, o_reservation_id bigint,
               o_seats_available integer, o_expires_at text)
LANGUAGE plpgsql AS $$
DECLARE
    q jsonb;
    b record;
BEGIN
    FOR q IN SELECT e FROM jsonb_array_elements(p_requests)
                          WITH ORDINALITY AS a(e, i) ORDER BY i LOOP
        SELECT * INTO b
          FROM book(p_perf, (q->>'seats')::integer, q->>'name', q->>'email',
                    q->>'phone', q->>'notes', q->>'locale',
                    (q->>'confirm_hash')::bytea, (q->>'ticket_hash')::bytea,
                    p_hold_minutes, q->>'mail', q->>'client_net',
                    (q->>'box')::bytea);
        o_result := b.o_result;
        o_reservation_id := b.o_reservation_id;
        o_seats_available := b.o_seats_available;
        o_expires_at := to_json(b.o_expires_at)#>>'{}';
        RETURN NEXT;
    END LOOP;
END
$$;
