-- The search service's working set: one narrow row per published public event with what
-- search filters, ranks and counts on. Searching the wide events rows (descriptions and
-- all) for a common word touches hundreds of megabytes; this table is a third of that
-- and stays in shared buffers. A trigger keeps it in step with events in the writer's
-- own transaction, so search never sees a change before it commits nor misses one.
-- Counter updates (registrations) do not touch it. The search service only reads it.
CREATE TABLE event_search (
    id            bigint PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    starts_at     timestamptz      NOT NULL,
    category      text             NOT NULL,
    price         numeric(12,2)    NOT NULL,
    lat           double precision,
    lng           double precision,
    search_vector tsvector         NOT NULL
);

CREATE FUNCTION event_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'published' AND NEW.visibility = 'public' THEN
        INSERT INTO event_search (id, starts_at, category, price, lat, lng, search_vector)
        VALUES (NEW.id, NEW.starts_at, NEW.category, NEW.price, NEW.lat, NEW.lng, NEW.search_vector)
        ON CONFLICT (id) DO UPDATE SET starts_at = excluded.starts_at, category = excluded.category,
            price = excluded.price, lat = excluded.lat, lng = excluded.lng, search_vector = excluded.search_vector;
    ELSIF TG_OP = 'UPDATE' THEN
        DELETE FROM event_search WHERE id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER event_search_sync
    AFTER INSERT OR UPDATE OF title, description, tags, category, starts_at, price, lat, lng, status, visibility
    ON events FOR EACH ROW EXECUTE FUNCTION event_search_sync();

INSERT INTO event_search (id, starts_at, category, price, lat, lng, search_vector)
SELECT id, starts_at, category, price, lat, lng, search_vector FROM events
WHERE status = 'published' AND visibility = 'public';

CREATE INDEX event_search_vector_idx ON event_search USING gin (search_vector);
CREATE INDEX event_search_starts_idx ON event_search (starts_at, id);
CREATE INDEX event_search_category_idx ON event_search (category, starts_at, id);
CREATE INDEX event_search_location_idx ON event_search USING gist (ll_to_earth(lat, lng)) WHERE lat IS NOT NULL;
ANALYZE event_search;
