-- Demo data for `make run`: a small company's season, relative to today,
-- so it never goes stale. Loaded once into a fresh database.
BEGIN;

INSERT INTO venues (name, address, city, default_capacity) VALUES
    ('Teatro del Ponte', 'Via del Ponte 12', 'Bologna', 120);

INSERT INTO shows (slug, title, subtitle, subtitle_en, description, description_en,
                   duration_minutes, published) VALUES
    ('la-locandiera', 'La locandiera', 'Carlo Goldoni', 'Carlo Goldoni',
     'Mirandolina gestisce una locanda a Firenze e ogni ospite si innamora di lei. '
     'Una commedia di spirito e di indipendenza.',
     'Mirandolina runs an inn in Florence and every guest falls for her. '
     'A comedy of wit and independence, played in the original Italian.', 110, true),
    ('sei-personaggi', 'Sei personaggi in cerca d''autore', 'Luigi Pirandello', 'Luigi Pirandello',
     'Una prova è interrotta da sei personaggi abbandonati dal loro autore, '
     'che pretendono di recitare la loro storia.',
     'A rehearsal is interrupted by six characters abandoned by their author, '
     'who demand that their story be played.', 95, true),
    -- English only: the Italian page shows it, marked as English.
    ('the-tempest', 'The Tempest', '', 'William Shakespeare', '',
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

-- The demo company: its name, words and contacts (site settings, issue
-- 16). Nothing of it is in the code; a real company sets its own in
-- /manage/. The HTML of the texts is rendered by the workers.
UPDATE site_settings SET
    company_name = 'Compagnia del Ponte',
    tagline = '{"it": "Teatro di parola a Bologna, dal 1998",
                "en": "Spoken-word theatre in Bologna, since 1998"}',
    contact_email = 'info@teatrodelponte.example',
    phone = '+39 051 000 0000',
    address = 'Teatro del Ponte · Via del Ponte 12 · 40100 Bologna',
    social = '[{"name": "Instagram", "url": "https://instagram.example/teatrodelponte"}]',
    texts = jsonb_build_object(
        'home', jsonb_build_object(
            'it', 'Siamo una piccola compagnia indipendente: dieci attori, una sala da 120 posti '
                  'sotto il Ponte e la convinzione che il teatro sia prima di tutto una conversazione.' || E'\n\n' ||
                  'Le prenotazioni sono gratuite: scegli una replica, lascia nome ed email e conferma '
                  'dal link che ti inviamo. Il biglietto con il codice QR arriva per email; mostralo all''ingresso.',
            'en', 'We are a small independent company: ten actors, a 120-seat hall under the Bridge '
                  'and the belief that theatre is above all a conversation.' || E'\n\n' ||
                  'Booking is free: pick a performance, leave your name and email and confirm from the '
                  'link we send you. Your ticket with its QR code arrives by email; show it at the door.'),
        'about', jsonb_build_object(
            'it', 'La **Compagnia del Ponte** mette in scena i classici italiani ed europei con poche luci, '
                  'molta parola e il pubblico vicino.',
            'en', 'The **Compagnia del Ponte** stages Italian and European classics with few lights, '
                  'many words and the audience close by.'),
        'contacts', jsonb_build_object(
            'it', 'Teatro del Ponte, Via del Ponte 12, Bologna. Autobus 14 e 27, fermata *Ponte*.',
            'en', 'Teatro del Ponte, Via del Ponte 12, Bologna. Buses 14 and 27, stop *Ponte*.'),
        'accessibility', jsonb_build_object(
            'it', 'La sala è al piano terra, senza gradini; due posti per sedia a rotelle: scrivici.',
            'en', 'The hall is on the ground floor, step-free; two wheelchair spaces: write to us.'),
        'privacy', jsonb_build_object(
            'it', 'Titolare del trattamento: Compagnia del Ponte, Via del Ponte 12, Bologna.',
            'en', 'Data controller: Compagnia del Ponte, Via del Ponte 12, Bologna.')),
    texts_html = NULL;

COMMIT;
