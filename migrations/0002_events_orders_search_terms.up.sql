-- Events service: idempotent POSTs and the list orders; search service: suggestions.

-- A POST with an Idempotency-Key is answered once; a retry with the same key and the same
-- request gets the stored response. status 0 marks a request still in flight.
CREATE TABLE idempotency_keys (
    user_id      bigint      NOT NULL,
    key          text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash bytea       NOT NULL,
    status       integer     NOT NULL DEFAULT 0,
    content_type text        NOT NULL DEFAULT '',
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

-- Keyset orders of GET /events besides date (events_upcoming_idx).
CREATE INDEX events_newest_idx ON events (created_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX events_popular_idx ON events (registered_count DESC, id DESC) WHERE status = 'published';
CREATE INDEX events_city_idx ON events (lower(city), starts_at, id) WHERE status = 'published';
-- Attendee lists and "my registrations" in keyset order.
CREATE INDEX event_registrations_event_idx ON event_registrations (event_id, id);
CREATE INDEX event_registrations_user_id_idx ON event_registrations (user_id, id);
CREATE INDEX favorites_user_idx ON favorites (user_id, created_at, event_id);

-- Autocomplete terms (titles, categories, cities of published events) with how many
-- events carry each: a small table that answers prefix and trigram lookups in
-- milliseconds however many events there are. The search service refreshes it
-- (CONCURRENTLY, hence the unique index) after events change.
CREATE MATERIALIZED VIEW search_terms AS
    SELECT 'title'::text AS kind, title AS term, count(*)::int AS events
    FROM events WHERE status = 'published' GROUP BY title
    UNION ALL
    SELECT 'category', category, count(*)::int FROM events WHERE status = 'published' GROUP BY category
    UNION ALL
    SELECT 'city', city, count(*)::int FROM events WHERE status = 'published' AND city <> '' GROUP BY city;
CREATE UNIQUE INDEX search_terms_key ON search_terms (kind, term);
CREATE INDEX search_terms_prefix_idx ON search_terms (lower(term) text_pattern_ops);
CREATE INDEX search_terms_trgm_idx ON search_terms USING gin (lower(term) gin_trgm_ops);
