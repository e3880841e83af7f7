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

-- search_words_count adds one event to the count of each word of added and takes one off
-- each word of removed, dropping the words no event uses any more. Rows are written in
-- word order, so that two writers cannot deadlock.
CREATE FUNCTION search_words_count(added text[], removed text[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO search_words AS s (word, events)
    SELECT w, sum(n)::int FROM (SELECT unnest(added) AS w, 1 AS n UNION ALL SELECT unnest(removed), -1) d
    GROUP BY w HAVING sum(n) <> 0 ORDER BY w
    ON CONFLICT (word) DO UPDATE SET events = s.events + excluded.events;
    DELETE FROM search_words WHERE word = ANY (removed) AND events <= 0;
$$;

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
            PERFORM search_words_count(
                CASE WHEN is_public THEN event_words(NEW.title, NEW.tags, NEW.description, NEW.category, NEW.city) END,
                CASE WHEN was_public THEN event_words(OLD.title, OLD.tags, OLD.description, OLD.category, OLD.city) END);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

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
BEGIN
    WITH gone AS (SELECT w, count(*)::int AS n FROM deleted, unnest(event_words(title, tags, description, category, city)) AS w
        WHERE status = 'published' AND visibility = 'public' GROUP BY w)
    INSERT INTO search_words AS s (word, events) SELECT w, -n FROM gone ORDER BY w
    ON CONFLICT (word) DO UPDATE SET events = s.events + excluded.events;
    DELETE FROM search_words WHERE events <= 0 AND word IN (SELECT unnest(event_words(title, tags, description, category, city))
        FROM deleted WHERE status = 'published' AND visibility = 'public');
    RETURN NULL;
END
$$;
CREATE TRIGGER event_words_delete AFTER DELETE ON events REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION event_words_delete();
ANALYZE search_words;
