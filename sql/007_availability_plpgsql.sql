-- perf_availability() in PL/pgSQL.
--
-- The SQL version of 002 reads its argument through a FROM clause, so the
-- planner cannot inline it, and a LANGUAGE sql function that is not
-- inlined is parsed and planned again at every execution of the query that
-- calls it: a profile of GET /api/shows/{slug} without the microcache had
-- PostgreSQL spending its time in the parser and planner. PL/pgSQL keeps
-- its plans for the session, and the small helpers it calls
-- (perf_seats_available, perf_state, perf_booking_open) are single
-- expressions that the planner inlines. Same results; pgbench on the
-- availability of one show's performances: 6.8 k -> 17.9 k queries/s.
CREATE OR REPLACE FUNCTION perf_availability(p performances) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    available integer := perf_seats_available(p);
BEGIN
    RETURN json_build_object('seats_available', greatest(available, 0),
                             'state', perf_state(p, available));
END
$$;
