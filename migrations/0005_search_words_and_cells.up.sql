-- Typo tolerance and text within a radius.
--
-- Typos: every word of a published public event's title, tags, description, category and
-- city, unstemmed and lower-cased. A query word that is not here is a typo; the search
-- service swaps it for the most similar word here (pg_trgm on this small table, not on a
-- million titles) and searches again with full text, filters and tiers as usual. Words
-- are only added: one left behind by an edited event can at worst be offered as a
-- correction that then finds nothing.
CREATE TABLE search_words (word text PRIMARY KEY);
-- GiST, not GIN: it finds the nearest word however far (ORDER BY <->), where % needs a
-- similarity threshold fixed per session, and two swapped letters of a six-letter word
-- ("tehcno") leave only 0.27.
CREATE INDEX search_words_trgm_idx ON search_words USING gist (word gist_trgm_ops);

CREATE FUNCTION event_words(title text, tags text[], description text, category text, city text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN tsvector_to_array(to_tsvector('simple'::regconfig, concat_ws(' ', title, array_to_string(tags, ' '), description, category, city)));

-- Places: each event is in one cell of a latitude/longitude grid at each of four sizes
-- (0.1°, 0.4°, 1.6° and 6.4°), numbered size << 28 | row << 14 | column. A search within a
-- radius asks for the few cells of one size that cover the circle, and one GIN scan
-- intersects them with the words, instead of reading every event of a city through the
-- GiST index to test its words. services/search/cells.go numbers cells the same way.
CREATE FUNCTION geo_cells(lat double precision, lng double precision) RETURNS integer[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN lat IS NULL OR lng IS NULL THEN '{}'::integer[] ELSE ARRAY(
        SELECT (l << 28) | (floor((lat + 90) / s)::integer << 14) | floor((lng + 180) / s)::integer
        FROM (VALUES (0, 0.1::float8), (1, 0.4::float8), (2, 1.6::float8), (3, 6.4::float8)) AS sizes (l, s)
        ORDER BY l) END;

-- Relevance tiers test the title (A) and title-and-tags (A, B) parts of each row's vector;
-- stored, they are matched in place instead of being cut out of the vector for every row a
-- search reads (ts_filter cost 1.6 µs a row, more than the rest of a row's tests).
ALTER TABLE event_search
    ADD COLUMN cells integer[] NOT NULL GENERATED ALWAYS AS (geo_cells(lat, lng)) STORED,
    ADD COLUMN title_vector tsvector NOT NULL GENERATED ALWAYS AS (ts_filter(search_vector, '{a}')) STORED,
    ADD COLUMN head_vector tsvector NOT NULL GENERATED ALWAYS AS (ts_filter(search_vector, '{a,b}')) STORED;

CREATE OR REPLACE FUNCTION event_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'published' AND NEW.visibility = 'public' THEN
        INSERT INTO event_search (id, starts_at, category, price, lat, lng, search_vector)
        VALUES (NEW.id, NEW.starts_at, NEW.category, NEW.price, NEW.lat, NEW.lng, NEW.search_vector)
        ON CONFLICT (id) DO UPDATE SET starts_at = excluded.starts_at, category = excluded.category,
            price = excluded.price, lat = excluded.lat, lng = excluded.lng, search_vector = excluded.search_vector;
        -- New rows' words are added once per statement (event_words_insert).
        IF TG_OP = 'UPDATE' AND (OLD.title, OLD.tags, OLD.description, OLD.category, OLD.city, OLD.status, OLD.visibility)
            IS DISTINCT FROM (NEW.title, NEW.tags, NEW.description, NEW.category, NEW.city, NEW.status, NEW.visibility) THEN
            -- In sorted order, so that two writers adding the same new words cannot deadlock.
            INSERT INTO search_words (word)
            SELECT unnest(event_words(NEW.title, NEW.tags, NEW.description, NEW.category, NEW.city)) ORDER BY 1
            ON CONFLICT DO NOTHING;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        DELETE FROM event_search WHERE id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

-- A new city is a new word too.
DROP TRIGGER event_search_sync ON events;
CREATE TRIGGER event_search_sync
    AFTER INSERT OR UPDATE OF title, description, tags, category, city, starts_at, price, lat, lng, status, visibility
    ON events FOR EACH ROW EXECUTE FUNCTION event_search_sync();

-- Once per INSERT or COPY statement: a seed of a million events adds each word once.
CREATE FUNCTION event_words_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_words (word)
    SELECT DISTINCT unnest(event_words(title, tags, description, category, city)) FROM inserted
    WHERE status = 'published' AND visibility = 'public' ORDER BY 1
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER event_words_insert AFTER INSERT ON events REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION event_words_insert();

INSERT INTO search_words (word)
SELECT word FROM ts_stat($$SELECT to_tsvector('simple'::regconfig, concat_ws(' ', title, array_to_string(tags, ' '),
    description, category, city)) FROM events WHERE status = 'published' AND visibility = 'public'$$);

-- Words, category and cells in one GIN index: it serves text searches, and text within a
-- radius too large for the place index below (cells && the covering cells).
CREATE INDEX event_search_text_idx ON event_search USING gin (search_vector, category, cells);
DROP INDEX event_search_vector_category_idx;
-- The date-ordered walk of the title tier reads only this index: it includes what the
-- walk filters on. (Titles are at most 200 characters, so the title vector fits an index
-- entry; tags are unbounded, so the title-and-tags vector is not included.)
DROP INDEX event_search_starts_idx;
CREATE INDEX event_search_starts_idx ON event_search (starts_at, id) INCLUDE (category, price, title_vector);
-- The same within a category.
DROP INDEX event_search_category_idx;
CREATE INDEX event_search_category_idx ON event_search (category, starts_at, id) INCLUDE (price, title_vector);
-- Words in a place or a category: each event's words prefixed with its 0.4° cell
-- ("274268643:jazz") or its category ("music:jazz"), so that a word's events in a city or
-- a category are one small list of an index (services/search/query.go, prefixedCond).
-- Only the indexes hold them.
CREATE FUNCTION prefixed_words(prefix text, v tsvector) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN prefix IS NULL THEN ''::tsvector
        ELSE array_to_tsvector(ARRAY(SELECT prefix || ':' || w FROM unnest(tsvector_to_array(v)) AS w)) END;
CREATE INDEX event_search_place_idx ON event_search USING gin (prefixed_words(cells[2]::text, search_vector));
CREATE INDEX event_search_topic_idx ON event_search USING gin (prefixed_words(category, search_vector));
-- Facets count FacetLimit matches of a common word among an eighth of the events first
-- (services/search/query.go, sampleCond): this index holds that eighth.
CREATE INDEX event_search_sample_idx ON event_search USING gin (search_vector, category, cells) WHERE id % 8 = 0;
CREATE INDEX event_search_title_idx ON event_search USING gin (title_vector);
CREATE INDEX event_search_head_idx ON event_search USING gin (head_vector);
DROP INDEX event_search_title_vector_idx;
DROP INDEX event_search_head_vector_idx;
-- Autocomplete: the most common terms with a prefix come from walking terms by
-- popularity (a one-letter prefix matches thousands of titles, which were sorted).
CREATE INDEX search_terms_popular_idx ON search_terms (events DESC, term);
-- Typo search and autocomplete no longer scan titles by trigram: they correct words
-- against search_words.
DROP INDEX IF EXISTS events_title_trgm_category_idx;
DROP INDEX IF EXISTS search_terms_trgm_idx;
ANALYZE event_search;
ANALYZE search_words;
