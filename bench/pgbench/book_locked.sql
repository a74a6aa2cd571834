-- One booking as the worker runs it: the abuse caps under the locks of the
-- client network and the email (book_caps, READ COMMITTED), the
-- performance's advisory lock taken before BEGIN, the booking function as
-- the only statement, unlock after. Each booking is its own visitor: its
-- own email and network, as the HTTP phase sends them.
\set n random(1, 1000000000)
\set a random(0, 255)
\set b random(0, 255)
SELECT book_caps(:perf, 2, 'b' || :n || '@example.org', '198.18.' || :a || '.' || :b,
    100000, 100, 1000000000, 1000000000);
SELECT pg_advisory_lock(:perf);
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT o_result FROM book(:perf, 2, 'Bench', 'b' || :n || '@example.org', '', '', 'it',
    sha256(('c' || :n || clock_timestamp())::bytea),
    sha256(('t' || :n || clock_timestamp())::bytea), 30, :body,
    '198.18.' || :a || '.' || :b, NULL);
COMMIT;
-- unlock_all, not unlock(:perf): when pgbench retries a transaction it
-- runs the whole script again, and the locks (re-entrant) would be held
-- twice; it also releases book_caps's two.
SELECT pg_advisory_unlock_all();
