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
