DROP INDEX IF EXISTS search_terms_popular_idx;
CREATE INDEX IF NOT EXISTS search_terms_trgm_idx ON search_terms USING gin (lower(term) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS events_title_trgm_category_idx ON events USING gin (title gin_trgm_ops, category)
    WHERE status = 'published' AND visibility = 'public';
CREATE INDEX IF NOT EXISTS event_search_vector_category_idx ON event_search USING gin (search_vector, category);
DROP INDEX IF EXISTS event_search_text_idx;
DROP INDEX IF EXISTS event_search_place_idx;
DROP INDEX IF EXISTS event_search_topic_idx;
DROP INDEX IF EXISTS event_search_sample_idx;
DROP INDEX IF EXISTS event_search_starts_idx;
CREATE INDEX event_search_starts_idx ON event_search (starts_at, id);
DROP INDEX IF EXISTS event_search_category_idx;
CREATE INDEX event_search_category_idx ON event_search (category, starts_at, id) INCLUDE (price);
CREATE INDEX IF NOT EXISTS event_search_title_vector_idx ON event_search USING gin (ts_filter(search_vector, '{a}'));
CREATE INDEX IF NOT EXISTS event_search_head_vector_idx ON event_search USING gin (ts_filter(search_vector, '{a,b}'));
DROP TRIGGER IF EXISTS event_words_insert ON events;
DROP FUNCTION IF EXISTS event_words_insert();
CREATE OR REPLACE FUNCTION event_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
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
DROP TRIGGER IF EXISTS event_search_sync ON events;
CREATE TRIGGER event_search_sync
    AFTER INSERT OR UPDATE OF title, description, tags, category, starts_at, price, lat, lng, status, visibility
    ON events FOR EACH ROW EXECUTE FUNCTION event_search_sync();
ALTER TABLE event_search DROP COLUMN IF EXISTS cells, DROP COLUMN IF EXISTS title_vector, DROP COLUMN IF EXISTS head_vector;
DROP FUNCTION IF EXISTS prefixed_words(text, tsvector);
DROP FUNCTION IF EXISTS geo_cells(double precision, double precision);
DROP FUNCTION IF EXISTS event_words(text, text[], text, text, text);
DROP TABLE IF EXISTS search_words;
