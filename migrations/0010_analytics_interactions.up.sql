-- Analytics: every interaction as it happened, and rollups kept up to date in the same
-- transaction as the rows they count (services/analytics).

-- One row per interaction, range-partitioned by month (analytics_events_YYYY_MM, created
-- ahead and dropped after the retention by the analytics service; there is no default
-- partition, so a row for a month without one is refused, never parked).
--   id: the dedupe key. A client's own item id scoped to who sent it, the domain event's
--       message id, or random when neither exists; with occurred_at (which a partitioned
--       table's unique index must hold), a re-sent item or a redelivered message is
--       written once.
--   visitor: who, without storing who: the user's id when signed in, else a negative
--       63-bit hash of the anonymous session (or address and user agent) salted with the
--       day's salt, which is forgotten after the day (analytics_salts).
--   source: 'client' (POST /api/v1/analytics/interactions) or 'domain' (the services'
--       domain events: registrations and favorites as they were committed).
CREATE TABLE analytics_events (
    occurred_at timestamptz NOT NULL,
    id          uuid        NOT NULL,
    type        text        NOT NULL CHECK (type IN ('view', 'click', 'favorite', 'unfavorite', 'register', 'unregister', 'share', 'search')),
    event_id    bigint      CHECK (event_id > 0),
    user_id     bigint,
    visitor     bigint      NOT NULL,
    source      text        NOT NULL CHECK (source IN ('client', 'domain')),
    properties  jsonb,
    received_at timestamptz NOT NULL DEFAULT now(),
    CHECK (event_id IS NOT NULL OR type = 'search')
) PARTITION BY RANGE (occurred_at);
CREATE UNIQUE INDEX analytics_events_dedupe ON analytics_events (occurred_at, id);
CREATE INDEX analytics_events_time ON analytics_events USING brin (occurred_at);

-- Per event and hour: the counts the stats, overviews and trending read. Registrations
-- and favorites count the domain events only (what was committed), views, clicks and
-- shares the clients' items.
CREATE TABLE analytics_event_hours (
    event_id      bigint      NOT NULL,
    hour          timestamptz NOT NULL,
    views         bigint      NOT NULL DEFAULT 0,
    clicks        bigint      NOT NULL DEFAULT 0,
    shares        bigint      NOT NULL DEFAULT 0,
    favorites     bigint      NOT NULL DEFAULT 0,
    unfavorites   bigint      NOT NULL DEFAULT 0,
    registrations bigint      NOT NULL DEFAULT 0,
    cancellations bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, hour)
);
CREATE INDEX analytics_event_hours_hour ON analytics_event_hours (hour);

-- Who viewed an event on a (UTC) day, once: unique viewers over any period, exactly.
CREATE TABLE analytics_event_viewers (
    event_id bigint NOT NULL,
    day      date   NOT NULL,
    visitor  bigint NOT NULL,
    PRIMARY KEY (event_id, day, visitor)
);

-- Per event and (UTC) day: the same counts as by the hour, and how many distinct
-- visitors viewed it that day (the rows analytics_event_viewers gained), so that a day's
-- unique viewers and the platform's rankings read one row per event and day.
CREATE TABLE analytics_event_days (
    event_id      bigint NOT NULL,
    day           date   NOT NULL,
    views         bigint NOT NULL DEFAULT 0,
    clicks        bigint NOT NULL DEFAULT 0,
    shares        bigint NOT NULL DEFAULT 0,
    favorites     bigint NOT NULL DEFAULT 0,
    unfavorites   bigint NOT NULL DEFAULT 0,
    registrations bigint NOT NULL DEFAULT 0,
    cancellations bigint NOT NULL DEFAULT 0,
    viewers       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, day)
);
CREATE INDEX analytics_event_days_day ON analytics_event_days (day);

-- Who did anything on a (UTC) day, and in a week (from Monday), once: retention, and the
-- active counts below.
CREATE TABLE analytics_active_visitors (
    day     date   NOT NULL,
    visitor bigint NOT NULL,
    PRIMARY KEY (day, visitor)
);
CREATE TABLE analytics_active_weeks (
    week    date   NOT NULL,
    visitor bigint NOT NULL,
    PRIMARY KEY (week, visitor)
);

-- The whole platform per day and per week: counts and active visitors (users: those
-- signed in), kept with the rows above.
CREATE TABLE analytics_days (
    day             date   PRIMARY KEY,
    views           bigint NOT NULL DEFAULT 0,
    clicks          bigint NOT NULL DEFAULT 0,
    shares          bigint NOT NULL DEFAULT 0,
    favorites       bigint NOT NULL DEFAULT 0,
    unfavorites     bigint NOT NULL DEFAULT 0,
    registrations   bigint NOT NULL DEFAULT 0,
    cancellations   bigint NOT NULL DEFAULT 0,
    active_visitors bigint NOT NULL DEFAULT 0,
    active_users    bigint NOT NULL DEFAULT 0
);
CREATE TABLE analytics_weeks (
    week            date   PRIMARY KEY,
    active_visitors bigint NOT NULL DEFAULT 0,
    active_users    bigint NOT NULL DEFAULT 0
);

-- The day's salt for anonymous visitors' hashes, shared by every replica; a salt older
-- than yesterday is deleted, so yesterday's hashes can no longer be recomputed from an
-- address.
CREATE TABLE analytics_salts (
    day  date  PRIMARY KEY,
    salt bytea NOT NULL
);
