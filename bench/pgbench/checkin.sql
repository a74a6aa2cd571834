-- One door scan as the worker runs it: check_in() as the whole of a
-- SERIALIZABLE transaction, admitting one seat of a random ticket.
\set i random(1, :tickets)
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT o_result FROM check_in((SELECT hash FROM bench_tickets WHERE i = :i), NULL, 1, NULL);
COMMIT;
