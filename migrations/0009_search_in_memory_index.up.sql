-- Search answers from an in-memory index in each search replica (services/search/engine),
-- built from events at start and kept up to date by following events.updated_at. What
-- served search inside PostgreSQL goes, and with it most of the cost of writing an event:
-- the event_search table, its trigger and its dozen indexes, the typo words and their
-- triggers, the autocomplete view, and events' own search vector with its GIN, trigram and
-- GiST indexes, which no statement reads any more.
DROP TRIGGER IF EXISTS event_search_sync ON events;
DROP TRIGGER IF EXISTS event_words_insert ON events;
DROP TRIGGER IF EXISTS event_words_update ON events;
DROP TRIGGER IF EXISTS event_words_delete ON events;
DROP FUNCTION IF EXISTS event_search_sync(), event_words_insert(), event_words_update(), event_words_delete(),
    search_words_add(text[], integer[]), event_words(text, text[], text, text, text),
    geo_cells(double precision, double precision), prefixed_words(text, tsvector) CASCADE;
DROP TABLE IF EXISTS event_search, search_words, search_words_changes;
DROP MATERIALIZED VIEW IF EXISTS search_terms;
DROP INDEX IF EXISTS events_search_idx, events_title_trgm_idx, events_location_idx;
ALTER TABLE events DROP COLUMN IF EXISTS search_vector;

-- Following changes: the search service reads the events changed since it last looked,
-- by updated_at. Every writer of the events service sets it; this trigger sets it too when
-- anything a search shows or filters on changes, so that no writer (a script, a manual
-- fix) can change an event unseen. Counter updates (registrations) leave it alone.
CREATE INDEX events_updated_at_idx ON events (updated_at);
CREATE FUNCTION events_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := greatest(NEW.updated_at, now());
    RETURN NEW;
END
$$;
CREATE TRIGGER events_touch BEFORE UPDATE ON events FOR EACH ROW
    WHEN ((OLD.title, OLD.description, OLD.category, OLD.tags, OLD.starts_at, OLD.ends_at, OLD.timezone, OLD.venue_name,
           OLD.address, OLD.city, OLD.country, OLD.lat, OLD.lng, OLD.online_url, OLD.capacity, OLD.price, OLD.currency,
           OLD.visibility, OLD.status, OLD.published_at, OLD.cancel_reason)
          IS DISTINCT FROM
          (NEW.title, NEW.description, NEW.category, NEW.tags, NEW.starts_at, NEW.ends_at, NEW.timezone, NEW.venue_name,
           NEW.address, NEW.city, NEW.country, NEW.lat, NEW.lng, NEW.online_url, NEW.capacity, NEW.price, NEW.currency,
           NEW.visibility, NEW.status, NEW.published_at, NEW.cancel_reason))
    EXECUTE FUNCTION events_touch();
