-- One booking as the worker runs it: the performance's advisory lock taken
-- before BEGIN, the booking function as the only statement, unlock after.
\set n random(1, 1000000000)
SELECT pg_advisory_lock(:perf);
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT o_result FROM book(:perf, 2, 'Bench', 'bench@example.org', '', '', 'it',
    sha256(('c' || :n || clock_timestamp())::bytea),
    sha256(('t' || :n || clock_timestamp())::bytea), 30, :body,
    NULL, 100000, 100, 100000, 1000000000, 1000000000);
COMMIT;
-- unlock_all, not unlock(:perf): when pgbench retries a transaction it
-- runs the whole script again, and the lock (re-entrant) would be held twice.
SELECT pg_advisory_unlock_all();
