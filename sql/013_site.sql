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
