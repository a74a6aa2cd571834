-- The one definition of availability (DESIGN.md, "Data"):
--
--   seats available = capacity - manually occupied + extra seats
--                     - seats of confirmed reservations
--                     - seats of pending reservations whose hold has not expired
--
-- A pending reservation stops counting the moment its hold expires, by
-- time: no sweep has to run first. Read endpoints and the booking path
-- call the same functions, so what a visitor sees is what booking checks.

CREATE FUNCTION perf_seats_taken(perf_id bigint) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(seats), 0)::integer
      FROM reservations
     WHERE performance_id = perf_id
       AND (status = 'confirmed' OR (status = 'pending' AND expires_at > now()))
$$;

-- May be negative when an admin lowered the capacity below what is sold.
CREATE FUNCTION perf_seats_available(p performances) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT p.capacity - p.occupied_manual + p.extra_seats - perf_seats_taken(p.id)
$$;

-- Booking is open from booking_opens_at (or now) until booking_closes_at
-- (or the start of the performance).
CREATE FUNCTION perf_booking_open(p performances) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p.status = 'scheduled'
       AND (p.booking_opens_at IS NULL OR now() >= p.booking_opens_at)
       AND now() < coalesce(p.booking_closes_at, p.starts_at)
$$;

-- few_left: at most 10 % of the sellable seats, and never fewer than 5.
CREATE FUNCTION perf_state(p performances, available integer) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN p.status = 'cancelled' THEN 'cancelled'
        WHEN NOT perf_booking_open(p) THEN 'closed'
        WHEN available <= 0 THEN 'sold_out'
        WHEN available <= greatest(5, (p.capacity - p.occupied_manual + p.extra_seats) / 10)
            THEN 'few_left'
        ELSE 'available'
    END
$$;

CREATE FUNCTION perf_availability(p performances) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('seats_available', greatest(a, 0),
                             'state', perf_state(p, a))
      FROM perf_seats_available(p) AS a
$$;
