ALTER TABLE event_search RESET (parallel_workers);
DROP INDEX IF EXISTS event_search_category_idx;
CREATE INDEX event_search_category_idx ON event_search (category, starts_at, id);
CREATE INDEX IF NOT EXISTS event_search_vector_idx ON event_search USING gin (search_vector);
DROP INDEX IF EXISTS event_search_vector_category_idx;
DROP INDEX IF EXISTS events_title_trgm_category_idx;
DROP INDEX IF EXISTS event_search_head_vector_idx;
DROP INDEX IF EXISTS event_search_title_vector_idx;
DROP EXTENSION IF EXISTS btree_gin;
