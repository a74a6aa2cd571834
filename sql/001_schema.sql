-- boxoffice schema: every table of DESIGN.md, with the constraints that
-- back the business rules. The rules also live in the application, but
-- these make a wrong write impossible rather than merely unlikely.

CREATE TABLE venues (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    address     text NOT NULL DEFAULT '' CHECK (length(address) <= 300),
    city        text NOT NULL DEFAULT '' CHECK (length(city) <= 100),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shows (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug             text NOT NULL UNIQUE
                     CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    subtitle         text NOT NULL DEFAULT '' CHECK (length(subtitle) <= 300),
    description      text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
    image_url        text CHECK (length(image_url) <= 500),
    duration_minutes integer CHECK (duration_minutes BETWEEN 1 AND 1440),
    published        boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE performances (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    show_id           bigint NOT NULL REFERENCES shows ON DELETE RESTRICT,
    venue_id          bigint NOT NULL REFERENCES venues ON DELETE RESTRICT,
    starts_at         timestamptz NOT NULL,
    -- Seats in the room, seats taken outside the system (guests, press),
    -- and seats added during booking (extra chairs).
    capacity          integer NOT NULL CHECK (capacity BETWEEN 0 AND 100000),
    occupied_manual   integer NOT NULL DEFAULT 0 CHECK (occupied_manual >= 0),
    extra_seats       integer NOT NULL DEFAULT 0 CHECK (extra_seats >= 0),
    -- NULL opens booking at once; NULL closes it when the show starts.
    booking_opens_at  timestamptz,
    booking_closes_at timestamptz,
    max_seats_per_reservation integer NOT NULL DEFAULT 6
                      CHECK (max_seats_per_reservation BETWEEN 1 AND 100),
    status            text NOT NULL DEFAULT 'scheduled'
                      CHECK (status IN ('scheduled', 'cancelled')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (booking_opens_at IS NULL OR booking_closes_at IS NULL
           OR booking_opens_at < booking_closes_at)
);
CREATE INDEX performances_show_starts ON performances (show_id, starts_at);
CREATE INDEX performances_starts ON performances (starts_at);

CREATE TABLE reservations (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    performance_id     bigint NOT NULL REFERENCES performances ON DELETE RESTRICT,
    -- Personal data: emptied by the purge some time after the show.
    name               text NOT NULL CHECK (length(name) <= 120 * 4),
    email              text NOT NULL CHECK (length(email) <= 254),
    phone              text NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
    notes              text NOT NULL DEFAULT '' CHECK (length(notes) <= 1000 * 4),
    locale             text NOT NULL DEFAULT 'it' CHECK (locale IN ('it', 'en')),
    seats              integer NOT NULL CHECK (seats > 0),
    -- Seats already through the door; never more than booked.
    seats_admitted     integer NOT NULL DEFAULT 0
                       CHECK (seats_admitted >= 0 AND seats_admitted <= seats),
    status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'confirmed', 'cancelled', 'expired')),
    -- A pending reservation holds its seats until then.
    expires_at         timestamptz NOT NULL,
    -- BLAKE2b-256 of the tokens; the tokens themselves are never stored.
    confirm_token_hash bytea NOT NULL UNIQUE CHECK (length(confirm_token_hash) = 32),
    ticket_token_hash  bytea NOT NULL UNIQUE CHECK (length(ticket_token_hash) = 32),
    created_at         timestamptz NOT NULL DEFAULT now(),
    confirmed_at       timestamptz,
    cancelled_at       timestamptz,
    purged_at          timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'confirmed' OR confirmed_at IS NOT NULL)
);
-- Availability sums the active reservations of one performance: an
-- index-only scan over this partial index.
CREATE INDEX reservations_active ON reservations (performance_id)
    INCLUDE (seats, status, expires_at)
    WHERE status IN ('pending', 'confirmed');
CREATE INDEX reservations_perf_created ON reservations (performance_id, created_at);
CREATE INDEX reservations_pending_expiry ON reservations (expires_at)
    WHERE status = 'pending';

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    name          text NOT NULL DEFAULT '' CHECK (length(name) <= 120 * 4),
    role          text NOT NULL CHECK (role IN ('staff', 'admin')),
    password_hash text NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    failed_logins integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until  timestamptz,
    last_login_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE checkins (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reservation_id bigint NOT NULL REFERENCES reservations ON DELETE CASCADE,
    seats          integer NOT NULL CHECK (seats > 0),
    at             timestamptz NOT NULL DEFAULT now(),
    by_user        bigint REFERENCES users ON DELETE SET NULL,
    undone_at      timestamptz,
    undone_by      bigint REFERENCES users ON DELETE SET NULL
);
CREATE INDEX checkins_reservation ON checkins (reservation_id);

CREATE TABLE sessions (
    id_hash      bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Mail to deliver. The message is written in the same transaction as the
-- change it reports, so neither exists without the other. The body holds
-- a raw token until delivery; it is erased once sent.
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reservation_id  bigint REFERENCES reservations ON DELETE SET NULL,
    kind            text NOT NULL CHECK (kind IN ('confirm', 'ticket', 'cancelled', 'performance_cancelled')),
    recipient       text NOT NULL CHECK (length(recipient) <= 254),
    body            text,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    failed_at       timestamptz,
    last_error      text CHECK (length(last_error) <= 500),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_due ON outbox (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     bigint REFERENCES users ON DELETE SET NULL,
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   bigint,
    before      jsonb,
    after       jsonb,
    request_id  text
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
