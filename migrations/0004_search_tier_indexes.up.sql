-- Relevance in tiers: an event whose title matches comes first, then one whose title and
-- tags match, then one that matches only with its description; within a tier the sooner
-- event comes first. Each tier is found by walking event_search_starts_idx (or
-- event_search_category_idx) in order and stopping after a page, instead of scoring every
-- match of a common word. These GIN indexes on the title (A) and title-and-tags (A, B)
-- parts of the stored vector answer the tiers of rare words, and their statistics tell
-- the planner which way a tier is cheaper. No column is added: ts_filter is cheap.
CREATE INDEX event_search_title_vector_idx ON event_search USING gin (ts_filter(search_vector, '{a}'));
CREATE INDEX event_search_head_vector_idx ON event_search USING gin (ts_filter(search_vector, '{a,b}'));
-- Text and category together: one GIN scan intersects the word's and the category's
-- entries, instead of ANDing a bitmap of every upcoming event of the category (a third
-- of them for music or technology) with the word's. The same for the typo-tolerant
-- title search on events, which the search service runs when full text finds nothing.
CREATE EXTENSION IF NOT EXISTS btree_gin;
-- It serves the word alone too, so it replaces the single-column index.
CREATE INDEX event_search_vector_category_idx ON event_search USING gin (search_vector, category);
DROP INDEX event_search_vector_idx;
CREATE INDEX events_title_trgm_category_idx ON events USING gin (title gin_trgm_ops, category)
    WHERE status = 'published' AND visibility = 'public';
-- Facets by category and date (and price) read only this index, not the rows.
DROP INDEX event_search_category_idx;
CREATE INDEX event_search_category_idx ON event_search (category, starts_at, id) INCLUDE (price);
-- Searches are many, small and concurrent: a parallel plan only adds workers' start-up.
ALTER TABLE event_search SET (parallel_workers = 0);
ANALYZE event_search;
ANALYZE events;
