-- The theatre's own site (issue 16): its settings and words, uploaded
-- images, per-language show texts and a venue's default capacity.
--
-- Texts are Markdown as the admin wrote it plus the HTML that cmark made of
-- it at write time (app/site.c, raw HTML off), so every read is one
-- statement and no Markdown is rendered on the read path. A row whose HTML
-- is NULL (demo data, rows written by SQL) is rendered by the first worker
-- that starts (site_render_missing() in app/site.c).

-- Uploaded images (app/media.c): the files are under the stack's media
-- directory, named after the hash of the re-encoded image; the row says
-- which widths exist.
CREATE TABLE media (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash        text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{32}$'),
    width       integer NOT NULL CHECK (width > 0),
    height      integer NOT NULL CHECK (height > 0),
    widths      integer[] NOT NULL,
    bytes       bigint NOT NULL,
    source_type text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row: the site. Every text is {"it": ..., "en": ...}.
CREATE TABLE site_settings (
    id            boolean PRIMARY KEY DEFAULT true CHECK (id),
    company_name  text NOT NULL DEFAULT '' CHECK (length(company_name) <= 200),
    tagline       jsonb NOT NULL DEFAULT '{"it": "", "en": ""}',
    logo_id       bigint REFERENCES media ON DELETE SET NULL,
    theme_color   text NOT NULL DEFAULT '#7a1f2b'
                  CHECK (theme_color ~ '^#[0-9a-f]{6}$'),
    contact_email text NOT NULL DEFAULT '' CHECK (length(contact_email) <= 254),
    phone         text NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
    address       text NOT NULL DEFAULT '' CHECK (length(address) <= 300),
    -- [{"name": "Instagram", "url": "https://..."}]
    social        jsonb NOT NULL DEFAULT '[]',
    -- {"about": {"it": md, "en": md}, "contacts": ..., "accessibility": ...,
    --  "privacy": ..., "home": ...}, and the same with HTML.
    texts         jsonb NOT NULL DEFAULT '{}',
    texts_html    jsonb,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO site_settings DEFAULT VALUES;

-- Per-language show texts. subtitle and description stay the Italian
-- ones (what every earlier client wrote); the English ones are new, and
-- the HTML of both descriptions is rendered at write time.
ALTER TABLE shows
    ADD COLUMN subtitle_en text NOT NULL DEFAULT ''
        CHECK (length(subtitle_en) <= 300),
    ADD COLUMN description_en text NOT NULL DEFAULT ''
        CHECK (length(description_en) <= 20000),
    ADD COLUMN description_html jsonb,
    ADD COLUMN image_id bigint REFERENCES media ON DELETE SET NULL;

-- A new performance's capacity when the admin gives none.
ALTER TABLE venues
    ADD COLUMN default_capacity integer CHECK (default_capacity BETWEEN 0 AND 100000);

-- A media item as the API shows it: the largest JPEG as url, and both
-- srcsets (WebP and the JPEG fallback).
CREATE FUNCTION media_json(m media) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
    SELECT json_build_object('id', m.id, 'width', m.width, 'height', m.height,
        'url', '/media/' || m.hash || '-' || m.widths[array_upper(m.widths, 1)] || '.jpg',
        'widths', m.widths,
        'srcset_webp', (SELECT string_agg('/media/' || m.hash || '-' || w || '.webp ' || w || 'w', ', ' ORDER BY w)
                          FROM unnest(m.widths) w),
        'srcset_jpeg', (SELECT string_agg('/media/' || m.hash || '-' || w || '.jpg ' || w || 'w', ', ' ORDER BY w)
                          FROM unnest(m.widths) w))
$$;

-- One language's view of a show's texts: the other language's text when
-- this one has none, and which language it is in.
CREATE FUNCTION show_texts(s shows, p_lang text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'subtitle', CASE WHEN mine_sub <> '' THEN mine_sub ELSE other_sub END,
        'subtitle_lang', CASE WHEN mine_sub <> '' OR other_sub = '' THEN p_lang ELSE other END,
        'description', CASE WHEN mine_desc <> '' THEN mine_desc ELSE other_desc END,
        'description_html', CASE WHEN mine_desc <> '' THEN s.description_html ->> p_lang
                                 ELSE s.description_html ->> other END,
        'description_lang', CASE WHEN mine_desc <> '' OR other_desc = '' THEN p_lang ELSE other END,
        'fallback', (mine_sub = '' AND other_sub <> '') OR (mine_desc = '' AND other_desc <> ''))
      FROM (SELECT CASE WHEN p_lang = 'en' THEN s.subtitle_en ELSE s.subtitle END AS mine_sub,
                   CASE WHEN p_lang = 'en' THEN s.subtitle ELSE s.subtitle_en END AS other_sub,
                   CASE WHEN p_lang = 'en' THEN s.description_en ELSE s.description END AS mine_desc,
                   CASE WHEN p_lang = 'en' THEN s.description ELSE s.description_en END AS other_desc,
                   CASE WHEN p_lang = 'en' THEN 'it' ELSE 'en' END AS other) x
$$;

-- The site document (GET /api/site, PATCH /admin/site), without the
-- configuration's facts, which the worker adds: each page text at the top
-- level as {"it", "en"} Markdown, its HTML under "html", the logo as a
-- media id and, under "logo_media", its URLs.
CREATE FUNCTION site_document() RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('company_name', s.company_name, 'tagline', s.tagline,
        'logo', s.logo_id,
        'logo_media', (SELECT media_json(m) FROM media m WHERE m.id = s.logo_id),
        'theme_color', s.theme_color, 'contact_email', s.contact_email,
        'phone', s.phone, 'address', s.address, 'social', s.social,
        'about', coalesce(s.texts -> 'about', '{"it": "", "en": ""}'),
        'contacts', coalesce(s.texts -> 'contacts', '{"it": "", "en": ""}'),
        'accessibility', coalesce(s.texts -> 'accessibility', '{"it": "", "en": ""}'),
        'privacy', coalesce(s.texts -> 'privacy', '{"it": "", "en": ""}'),
        'home', coalesce(s.texts -> 'home', '{"it": "", "en": ""}'),
        'html', coalesce(s.texts_html, '{}'),
        'updated_at', s.updated_at)
      FROM site_settings s
$$;

-- A time in the theatre's zone with its offset, as schema.org and ISO 8601
-- want it: 2026-12-05T20:30:00+01:00.
CREATE FUNCTION iso_local(t timestamptz, tz text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE tz, 'YYYY-MM-DD"T"HH24:MI:SS')
           || CASE WHEN m < 0 THEN '-' ELSE '+' END
           || lpad((abs(m) / 60)::text, 2, '0') || ':' || lpad((abs(m) % 60)::text, 2, '0')
      FROM (SELECT (extract(epoch FROM (t AT TIME ZONE tz) - (t AT TIME ZONE 'UTC')) / 60)::integer AS m) x
$$;

-- What the server-rendered show page needs (app/pages.c), in one
-- document: the show in one language, its upcoming performances, and the
-- schema.org Event of each (https://schema.org/Event), built here so it is
-- valid JSON by construction. p_base is BOXOFFICE_PUBLIC_URL; p_path the
-- page's own path (/shows/<slug> or /en/shows/<slug>).
CREATE FUNCTION page_show(p_slug text, p_lang text, p_tz text, p_base text, p_path text)
RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'slug', s.slug, 'title', s.title, 'texts', show_texts(s, p_lang),
        'image', (SELECT media_json(m) FROM media m WHERE m.id = s.image_id),
        'image_url', s.image_url,
        'duration_minutes', s.duration_minutes,
        'company_name', st.company_name,
        'performances', coalesce((SELECT json_agg(json_build_object(
            'id', p.id, 'status', p.status,
            'local_start', to_char(p.starts_at AT TIME ZONE p_tz, 'YYYY MM DD HH24:MI ID'),
            'venue', concat_ws(', ', nullif(v.name, ''), nullif(v.address, ''), nullif(v.city, '')),
            'state', perf_availability(p) ->> 'state') ORDER BY p.starts_at)
            FROM performances p JOIN venues v ON v.id = p.venue_id
            WHERE p.show_id = s.id AND p.starts_at > now()), '[]'),
        'jsonld', coalesce((SELECT json_agg(json_strip_nulls(json_build_object(
            '@context', 'https://schema.org',
            '@type', 'Event',
            'name', s.title,
            'description', left(regexp_replace(show_texts(s, p_lang) ->> 'description',
                                               '[*_`#>\[\]]', '', 'g'), 500),
            'startDate', iso_local(p.starts_at, p_tz),
            'endDate', CASE WHEN s.duration_minutes IS NOT NULL
                            THEN iso_local(p.starts_at + s.duration_minutes * interval '1 minute', p_tz) END,
            'eventStatus', 'https://schema.org/' || CASE
                WHEN p.status = 'cancelled' THEN 'EventCancelled'
                WHEN p.schedule_seq > 0 THEN 'EventRescheduled'
                ELSE 'EventScheduled' END,
            'eventAttendanceMode', 'https://schema.org/OfflineEventAttendanceMode',
            'location', json_build_object('@type', 'Place', 'name', v.name,
                'address', json_build_object('@type', 'PostalAddress',
                    'streetAddress', v.address, 'addressLocality', v.city)),
            'image', (SELECT json_build_array(p_base || (media_json(m) ->> 'url'))
                        FROM media m WHERE m.id = s.image_id),
            'url', p_base || p_path,
            'offers', json_build_object('@type', 'Offer',
                'url', p_base || '/book/' || p.id,
                'price', '0', 'priceCurrency', 'EUR',
                'availability', 'https://schema.org/' || CASE perf_availability(p) ->> 'state'
                    WHEN 'available' THEN 'InStock'
                    WHEN 'few_left' THEN 'LimitedAvailability'
                    ELSE 'SoldOut' END,
                'validFrom', iso_local(coalesce(p.booking_opens_at, p.created_at), p_tz)),
            'organizer', json_build_object('@type', 'Organization',
                'name', nullif(st.company_name, ''), 'url', p_base || '/')))
            ORDER BY p.starts_at)
            FROM performances p JOIN venues v ON v.id = p.venue_id
            WHERE p.show_id = s.id AND p.starts_at > now()), '[]'))
      FROM shows s, site_settings st
     WHERE s.slug = p_slug AND s.published
$$;

-- The public pages for /sitemap.xml: the fixed ones and every published
-- show, each with its English counterpart, and when it last changed.
CREATE FUNCTION page_sitemap() RETURNS TABLE (path text, lastmod text)
LANGUAGE sql STABLE AS $$
    SELECT x.path, to_char(x.at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
      FROM (SELECT '/' || p AS path, (SELECT updated_at FROM site_settings) AS at
              FROM unnest(ARRAY['', 'about', 'contacts', 'accessibility', 'privacy']) p
            UNION ALL
            SELECT pre || '/shows/' || s.slug, s.updated_at
              FROM shows s, unnest(ARRAY['', '/en']) pre
             WHERE s.published) x
     ORDER BY x.path
$$;

-- ---- scheduling in bulk (issue 16) ---------------------------------------

-- Every date from p_from to p_to (the theatre's calendar days) whose ISO
-- weekday (1 = Monday) is in p_days, at p_time in the theatre's zone p_tz:
-- one performance each, made by admin_create_performance() (so each is
-- checked and audited like a single one). The capacity defaults to the
-- venue's. At most 200 at once.
-- o_result: created | unknown_show | unknown_venue | no_capacity |
--           bad_range | too_many | none | bad_occupied
CREATE FUNCTION admin_create_series(
        p_show bigint, p_venue bigint, p_days integer[], p_time time,
        p_from date, p_to date, p_tz text, p_capacity integer,
        p_occupied integer, p_extra integer, p_max integer,
        p_user bigint, p_request text,
        OUT o_result text, OUT o_count integer, OUT o_ids bigint[])
LANGUAGE plpgsql AS $$
DECLARE
    cap integer;
    d date;
    made record;
BEGIN
    o_count := 0;
    o_ids := '{}';
    IF NOT EXISTS (SELECT 1 FROM shows WHERE id = p_show) THEN
        o_result := 'unknown_show';
        RETURN;
    END IF;
    SELECT default_capacity INTO cap FROM venues WHERE id = p_venue;
    IF NOT FOUND THEN
        o_result := 'unknown_venue';
        RETURN;
    END IF;
    cap := coalesce(p_capacity, cap);
    IF cap IS NULL THEN
        o_result := 'no_capacity';
        RETURN;
    ELSIF coalesce(p_occupied, 0) > cap + coalesce(p_extra, 0) THEN
        o_result := 'bad_occupied';
        RETURN;
    ELSIF p_to < p_from OR p_to - p_from > 400 THEN
        o_result := 'bad_range';
        RETURN;
    END IF;
    SELECT count(*) INTO o_count FROM generate_series(p_from, p_to, interval '1 day') g
     WHERE extract(isodow FROM g)::integer = ANY (p_days);
    IF o_count = 0 THEN
        o_result := 'none';
        RETURN;
    ELSIF o_count > 200 THEN
        o_result := 'too_many';
        RETURN;
    END IF;
    FOR d IN SELECT g::date FROM generate_series(p_from, p_to, interval '1 day') g
              WHERE extract(isodow FROM g)::integer = ANY (p_days) ORDER BY g LOOP
        SELECT * INTO made FROM admin_create_performance(p_show, p_venue,
            (d + p_time) AT TIME ZONE p_tz, cap, p_occupied, p_extra, NULL, NULL,
            p_max, p_user, p_request);
        o_ids := o_ids || made.o_id;
    END LOOP;
    o_result := 'created';
END
$$;

-- A copy of a performance at another time: the same show, venue and
-- seats, no booking window of its own.
-- o_result: created | not_found
CREATE FUNCTION admin_duplicate_performance(p_id bigint, p_starts timestamptz,
        p_user bigint, p_request text, OUT o_result text, OUT o_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    p performances;
    made record;
BEGIN
    SELECT * INTO p FROM performances WHERE id = p_id;
    IF NOT FOUND THEN
        o_result := 'not_found';
        RETURN;
    END IF;
    SELECT * INTO made FROM admin_create_performance(p.show_id, p.venue_id,
        p_starts, p.capacity, p.occupied_manual, p.extra_seats, NULL, NULL,
        p.max_seats_per_reservation, p_user, p_request);
    o_result := made.o_result;
    o_id := made.o_id;
END
$$;

-- Delete a performance made by mistake: only while nothing refers to it
-- (no reservation in any state, nor any other row: a foreign key says
-- so). One with bookings can only be cancelled.
-- o_result: deleted | not_found | has_reservations
CREATE FUNCTION admin_delete_performance(p_id bigint, p_user bigint,
        p_request text, OUT o_result text)
LANGUAGE plpgsql AS $$
DECLARE
    o performances;
BEGIN
    SELECT * INTO o FROM performances WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'not_found';
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM reservations WHERE performance_id = p_id) THEN
        o_result := 'has_reservations';
        RETURN;
    END IF;
    BEGIN
        DELETE FROM performances WHERE id = p_id;
    EXCEPTION WHEN foreign_key_violation THEN
        o_result := 'has_reservations';
        RETURN;
    END;
    PERFORM audit_record(p_user, p_request, 'delete', 'performance', p_id,
                         to_jsonb(o), NULL);
    o_result := 'deleted';
END
$$;

-- The programme as the server-rendered home page shows it (app/pages.c):
-- each published show in one language with its next performance.
CREATE FUNCTION page_programme(p_lang text, p_tz text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(json_build_object(
        'slug', s.slug, 'title', s.title, 'texts', show_texts(s, p_lang),
        'image', (SELECT media_json(m) FROM media m WHERE m.id = s.image_id),
        'next', np.doc) ORDER BY np.starts_at NULLS LAST, s.title), '[]')
      FROM shows s
      LEFT JOIN LATERAL (
        SELECT p.starts_at, json_build_object(
            'local_start', to_char(p.starts_at AT TIME ZONE p_tz, 'YYYY MM DD HH24:MI ID'),
            'state', perf_availability(p) ->> 'state') AS doc
          FROM performances p
         WHERE p.show_id = s.id AND p.starts_at > now() AND p.status = 'scheduled'
         ORDER BY p.starts_at LIMIT 1) np ON true
     WHERE s.published
$$;
