-- The seed schema: users and their refresh tokens, events with search indexes,
-- registrations, favorites and the transactional outbox.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;

-- array_to_string is only STABLE; a generated column needs an IMMUTABLE expression, and
-- joining text array elements with a space is immutable in fact.
CREATE FUNCTION immutable_array_to_string(text[], text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT array_to_string($1, $2) $$;

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text        NOT NULL CHECK (length(email) <= 254),
    password_hash text        NOT NULL,
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role          text        NOT NULL DEFAULT 'attendee' CHECK (role IN ('attendee', 'organizer', 'admin')),
    bio           text        NOT NULL DEFAULT '',
    avatar_url    text        NOT NULL DEFAULT '',
    city          text        NOT NULL DEFAULT '',
    interests     text[]      NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_created_at_idx ON users (created_at, id);

-- Refresh tokens rotate: each use replaces the token with a new one of the same family.
-- Only a hash is stored. A replaced token presented again revokes its whole family.
CREATE TABLE refresh_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   uuid        NOT NULL,
    token_hash  bytea       NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    replaced_at timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE events (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title            text          NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description      text          NOT NULL DEFAULT '',
    category         text          NOT NULL,
    tags             text[]        NOT NULL DEFAULT '{}',
    starts_at        timestamptz   NOT NULL,
    ends_at          timestamptz,
    timezone         text          NOT NULL DEFAULT 'UTC',
    venue_name       text          NOT NULL DEFAULT '',
    address          text          NOT NULL DEFAULT '',
    city             text          NOT NULL DEFAULT '',
    country          text          NOT NULL DEFAULT '',
    lat              double precision CHECK (lat BETWEEN -90 AND 90),
    lng              double precision CHECK (lng BETWEEN -180 AND 180),
    online_url       text          NOT NULL DEFAULT '',
    capacity         integer       CHECK (capacity >= 0),
    registered_count integer       NOT NULL DEFAULT 0 CHECK (registered_count >= 0),
    waitlist_count   integer       NOT NULL DEFAULT 0 CHECK (waitlist_count >= 0),
    price            numeric(12,2) NOT NULL DEFAULT 0 CHECK (price >= 0),
    currency         char(3)       NOT NULL DEFAULT 'USD',
    visibility       text          NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'unlisted', 'private')),
    status           text          NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'cancelled', 'completed')),
    created_by       bigint        NOT NULL REFERENCES users (id),
    created_at       timestamptz   NOT NULL DEFAULT now(),
    updated_at       timestamptz   NOT NULL DEFAULT now(),
    published_at     timestamptz,
    search_vector    tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') ||
        setweight(to_tsvector('english', immutable_array_to_string(tags, ' ')), 'B') ||
        setweight(to_tsvector('english', description), 'C')
    ) STORED,
    CHECK (ends_at IS NULL OR ends_at >= starts_at),
    CHECK (capacity IS NULL OR registered_count <= capacity),
    CHECK ((lat IS NULL) = (lng IS NULL))
);
CREATE INDEX events_search_idx ON events USING gin (search_vector);
CREATE INDEX events_title_trgm_idx ON events USING gin (title gin_trgm_ops);
CREATE INDEX events_location_idx ON events USING gist (ll_to_earth(lat, lng)) WHERE lat IS NOT NULL;
CREATE INDEX events_upcoming_idx ON events (starts_at, id) WHERE status = 'published';
CREATE INDEX events_category_idx ON events (category, starts_at, id);
CREATE INDEX events_created_by_idx ON events (created_by, created_at);

CREATE TABLE event_registrations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id       bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status        text        NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    checked_in_at timestamptz,
    UNIQUE (event_id, user_id)
);
-- The waitlist is served in order of arrival: the identity column orders it.
CREATE INDEX event_registrations_waitlist_idx ON event_registrations (event_id, id) WHERE status = 'waitlisted';
CREATE INDEX event_registrations_user_idx ON event_registrations (user_id, created_at);

CREATE TABLE favorites (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id   bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, event_id)
);
CREATE INDEX favorites_event_idx ON favorites (event_id);

-- Domain events written in the same transaction as the change they describe, relayed to
-- NATS JetStream in id order with Nats-Msg-Id = msg_id. The message id is a UUID rather
-- than the row id so that it stays unique when a database is re-created or restored and
-- its identity restarts: JetStream would silently drop a reused id as a duplicate.
CREATE TABLE outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    msg_id       uuid        NOT NULL DEFAULT gen_random_uuid(),
    subject      text        NOT NULL,
    payload      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;
