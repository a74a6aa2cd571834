-- The same booking with SERIALIZABLE alone (no lock): correct, but every
-- concurrent booking of the performance conflicts and retries.
\set n random(1, 1000000000)
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT o_result FROM book(:perf, 2, 'Bench', 'b' || :n || '@example.org', '', '', 'it',
    sha256(('c' || :n || clock_timestamp())::bytea),
    sha256(('t' || :n || clock_timestamp())::bytea), 30, :body, NULL, NULL);
COMMIT;
