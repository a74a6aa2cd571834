-- One door scan as the worker sends it now: door_scan() (decide and
-- describe, with a client id as the door page sends) as the whole of a
-- SERIALIZABLE transaction, sent as one pipeline (db_call).
\set i random(1, :tickets)
\set c random(1, 2000000000)
\startpipeline
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT o_result FROM door_scan((SELECT hash FROM bench_tickets WHERE i = :i), NULL, NULL, 1, NULL,
    'p' || :c || '-' || :client_id, false);
COMMIT;
\endpipeline
