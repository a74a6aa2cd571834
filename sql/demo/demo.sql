-- Demo data for `make run`: a small company's season, relative to today,
-- so it never goes stale. Loaded once into a fresh database.
BEGIN;

INSERT INTO venues (name, address, city) VALUES
    ('Teatro del Ponte', 'Via del Ponte 12', 'Bologna');

INSERT INTO shows (slug, title, subtitle, description, duration_minutes, published) VALUES
    ('la-locandiera', 'La locandiera', 'Carlo Goldoni',
     'Mirandolina runs an inn in Florence and every guest falls for her. '
     'A comedy of wit and independence, played in the original Italian.', 110, true),
    ('sei-personaggi', 'Sei personaggi in cerca d''autore', 'Luigi Pirandello',
     'A rehearsal is interrupted by six characters abandoned by their author, '
     'who demand that their story be played.', 95, true),
    ('the-tempest', 'The Tempest', 'William Shakespeare',
     'Prospero, a storm, an island and the end of magic. Performed in English '
     'with Italian surtitles.', 130, true);

INSERT INTO performances (show_id, venue_id, starts_at, capacity, occupied_manual,
                          extra_seats, max_seats_per_reservation, status)
SELECT s.id, v.id, date_trunc('day', now()) + d.days * interval '1 day' + time '20:30',
       d.capacity, d.occupied, 0, 6, d.status
  FROM (VALUES
        ('la-locandiera',   3, 120,   0, 'scheduled'),
        ('la-locandiera',  10, 120,   0, 'scheduled'),
        -- nearly sold out: 3 seats left
        ('la-locandiera',  17,  80,  77, 'scheduled'),
        -- in the past: not listed as upcoming
        ('sei-personaggi', -7, 100,   0, 'scheduled'),
        ('sei-personaggi',  5, 100,   0, 'scheduled'),
        ('sei-personaggi', 12, 100,   0, 'cancelled'),
        ('the-tempest',     8, 150,   0, 'scheduled'),
        ('the-tempest',    22, 150,  10, 'scheduled')
       ) AS d (slug, days, capacity, occupied, status)
  JOIN shows s ON s.slug = d.slug
 CROSS JOIN venues v;

COMMIT;
