-- Back to version 8: search inside PostgreSQL. Events' search vector and its indexes are
-- restored as 0001 made them, the autocomplete view as 0002 made it, and then the
-- statements of 0003, 0004, 0005, 0006 and 0008 run again as released, in order, which
-- rebuild event_search and the typo words from the events.
DROP TRIGGER IF EXISTS events_touch ON events;
DROP FUNCTION IF EXISTS events_touch();
DROP INDEX IF EXISTS events_updated_at_idx;

ALTER TABLE events ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') ||
    setweight(to_tsvector('english', immutable_array_to_string(tags, ' ')), 'B') ||
    setweight(to_tsvector('english', description), 'C')
) STORED;
CREATE INDEX events_search_idx ON events USING gin (search_vector);
CREATE INDEX events_title_trgm_idx ON events USING gin (title gin_trgm_ops);
CREATE INDEX events_location_idx ON events USING gist (ll_to_earth(lat, lng)) WHERE lat IS NOT NULL;

-- 0002
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

-- 0003_search_event_search_table
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

-- 0004_search_tier_indexes
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

-- 0005_search_words_and_cells
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

-- 0006_search_place_titles
-- The title words of each event prefixed with its 0.4° cell, as event_search_place_idx
-- holds all its words: the first page of a search within a city reads the events whose
-- title matches (the tier that comes first) without reading those that match only by
-- their tags or description (services/search/query.go, FirstTitlesSQL).
CREATE INDEX event_search_place_title_idx ON event_search USING gin (prefixed_words(cells[2]::text, title_vector));

-- 0008_search_public_only
-- Search derives public data only from events anyone may see: published and public.
--
-- Autocomplete terms filtered on status alone, so the title, category and city of a
-- private or unlisted event were offered to everyone.
DROP MATERIALIZED VIEW search_terms;
CREATE MATERIALIZED VIEW search_terms AS
    SELECT 'title'::text AS kind, title AS term, count(*)::int AS events
    FROM events WHERE status = 'published' AND visibility = 'public' GROUP BY title
    UNION ALL
    SELECT 'category', category, count(*)::int FROM events
    WHERE status = 'published' AND visibility = 'public' GROUP BY category
    UNION ALL
    SELECT 'city', city, count(*)::int FROM events
    WHERE status = 'published' AND visibility = 'public' AND city <> '' GROUP BY city;
CREATE UNIQUE INDEX search_terms_key ON search_terms (kind, term);
CREATE INDEX search_terms_prefix_idx ON search_terms (lower(term) text_pattern_ops);
CREATE INDEX search_terms_popular_idx ON search_terms (events DESC, term);

-- The typo vocabulary only ever gained words: those of an event made private or
-- unlisted, cancelled, deleted or edited stayed, and a typo was corrected to them (the
-- corrected query is in the response). Each word now counts the published public events
-- that use it, and goes when none does.
ALTER TABLE search_words ADD COLUMN events integer NOT NULL DEFAULT 0;
TRUNCATE search_words;
INSERT INTO search_words (word, events)
SELECT word, ndoc FROM ts_stat($$SELECT to_tsvector('simple'::regconfig, concat_ws(' ', title, array_to_string(tags, ' '),
    description, category, city)) FROM events WHERE status = 'published' AND visibility = 'public'$$);

-- search_words_add adds n[i] events to the count of word w[i] (n may be negative, w holds
-- each word once) and drops the words no event uses any more. Rows are written in word
-- order, so that two writers cannot deadlock.
CREATE FUNCTION search_words_add(w text[], n integer[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    gone text[];
BEGIN
    WITH counted AS (
        INSERT INTO search_words AS s (word, events)
        SELECT word, k FROM unnest(w, n) AS d (word, k) WHERE k <> 0 ORDER BY word
        ON CONFLICT (word) DO UPDATE SET events = s.events + excluded.events
        RETURNING word, events)
    SELECT array_agg(word) INTO gone FROM counted WHERE events <= 0;
    IF gone IS NOT NULL THEN
        DELETE FROM search_words WHERE word = ANY (gone) AND events <= 0;
    END IF;
END
$$;

-- The words an UPDATE statement's rows add to and take from public events (one row an
-- event), applied at the end of the statement (event_words_update), each word once: a
-- statement publishing or hiding thousands of events that share words would otherwise
-- update each word's row once an event, and every update of a row already updated in the
-- same transaction costs more than the one before (12,000 events made private: 74 s,
-- instead of about 2 s so). Rows live only as long as their statement, hence UNLOGGED.
CREATE UNLOGGED TABLE search_words_changes (
    xact    xid8 NOT NULL,
    added   text[],
    removed text[]
);
CREATE INDEX search_words_changes_xact_idx ON search_words_changes (xact);

CREATE OR REPLACE FUNCTION event_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    is_public  boolean := NEW.status = 'published' AND NEW.visibility = 'public';
    was_public boolean := false;
BEGIN
    IF is_public THEN
        INSERT INTO event_search (id, starts_at, category, price, lat, lng, search_vector)
        VALUES (NEW.id, NEW.starts_at, NEW.category, NEW.price, NEW.lat, NEW.lng, NEW.search_vector)
        ON CONFLICT (id) DO UPDATE SET starts_at = excluded.starts_at, category = excluded.category,
            price = excluded.price, lat = excluded.lat, lng = excluded.lng, search_vector = excluded.search_vector;
    ELSIF TG_OP = 'UPDATE' THEN
        DELETE FROM event_search WHERE id = NEW.id;
    END IF;
    -- New rows' words are counted once per statement (event_words_insert).
    IF TG_OP = 'UPDATE' THEN
        was_public := OLD.status = 'published' AND OLD.visibility = 'public';
        IF (was_public OR is_public) AND (was_public IS DISTINCT FROM is_public
            OR (OLD.title, OLD.tags, OLD.description, OLD.category, OLD.city)
               IS DISTINCT FROM (NEW.title, NEW.tags, NEW.description, NEW.category, NEW.city)) THEN
            INSERT INTO search_words_changes (xact, added, removed) VALUES (pg_current_xact_id(),
                CASE WHEN is_public THEN event_words(NEW.title, NEW.tags, NEW.description, NEW.category, NEW.city) END,
                CASE WHEN was_public THEN event_words(OLD.title, OLD.tags, OLD.description, OLD.category, OLD.city) END);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

-- After the rows of an UPDATE statement (event_search_sync), their word changes at once.
CREATE FUNCTION event_words_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    words  text[];
    counts integer[];
BEGIN
    WITH changes AS (DELETE FROM search_words_changes c WHERE c.xact = pg_current_xact_id() RETURNING c.added, c.removed)
    SELECT array_agg(word), array_agg(k) INTO words, counts FROM (SELECT word, sum(k)::int AS k
        FROM (SELECT unnest(added) AS word, 1 AS k FROM changes UNION ALL SELECT unnest(removed), -1 FROM changes) d
        GROUP BY word) c;
    IF words IS NOT NULL THEN
        PERFORM search_words_add(words, counts);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER event_words_update
    AFTER UPDATE OF title, description, tags, category, city, status, visibility ON events
    FOR EACH STATEMENT EXECUTE FUNCTION event_words_update();

-- Once per INSERT or COPY statement: a seed of a million events writes each word once.
CREATE OR REPLACE FUNCTION event_words_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_words AS s (word, events)
    SELECT w, count(*)::int FROM inserted, unnest(event_words(title, tags, description, category, city)) AS w
    WHERE status = 'published' AND visibility = 'public' GROUP BY w ORDER BY w
    ON CONFLICT (word) DO UPDATE SET events = s.events + excluded.events;
    RETURN NULL;
END
$$;

-- Deleted events take their words with them (event_search's row goes by its foreign key).
CREATE FUNCTION event_words_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    words  text[];
    counts integer[];
BEGIN
    SELECT array_agg(word), array_agg(-k) INTO words, counts FROM (SELECT word, count(*)::int AS k FROM deleted,
        unnest(event_words(title, tags, description, category, city)) AS word
        WHERE status = 'published' AND visibility = 'public' GROUP BY word) c;
    IF words IS NOT NULL THEN
        PERFORM search_words_add(words, counts);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER event_words_delete AFTER DELETE ON events REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION event_words_delete();
ANALYZE search_words;
