-- Bookings spread over 100 performances: the same statements as
-- book_locked.sql on a random one of them.
\set n random(1, 1000000000)
\set a random(0, 255)
\set b random(0, 255)
\set perf :first + random(0, 99)
SELECT book_caps(:perf, 2, 'b' || :n || '@example.org', '198.18.' || :a || '.' || :b,
    100000, 100, 1000000000, 1000000000);
SELECT pg_advisory_lock(:perf);
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT o_result FROM book(:perf, 2, 'Bench', 'b' || :n || '@example.org', '', '', 'it',
    sha256(('c' || :n || clock_timestamp())::bytea),
    sha256(('t' || :n || clock_timestamp())::bytea), 30, :body,
    '198.18.' || :a || '.' || :b, NULL);
COMMIT;
SELECT pg_advisory_unlock_all();
