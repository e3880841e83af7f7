DROP TRIGGER IF EXISTS event_words_delete ON events;
DROP FUNCTION IF EXISTS event_words_delete();
DROP TRIGGER IF EXISTS event_words_update ON events;
DROP FUNCTION IF EXISTS event_words_update();

CREATE OR REPLACE FUNCTION event_words_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_words (word)
    SELECT DISTINCT unnest(event_words(title, tags, description, category, city)) FROM inserted
    WHERE status = 'published' AND visibility = 'public' ORDER BY 1
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION event_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'published' AND NEW.visibility = 'public' THEN
        INSERT INTO event_search (id, starts_at, category, price, lat, lng, search_vector)
        VALUES (NEW.id, NEW.starts_at, NEW.category, NEW.price, NEW.lat, NEW.lng, NEW.search_vector)
        ON CONFLICT (id) DO UPDATE SET starts_at = excluded.starts_at, category = excluded.category,
            price = excluded.price, lat = excluded.lat, lng = excluded.lng, search_vector = excluded.search_vector;
        IF TG_OP = 'UPDATE' AND (OLD.title, OLD.tags, OLD.description, OLD.category, OLD.city, OLD.status, OLD.visibility)
            IS DISTINCT FROM (NEW.title, NEW.tags, NEW.description, NEW.category, NEW.city, NEW.status, NEW.visibility) THEN
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

DROP TABLE IF EXISTS search_words_changes;
DROP FUNCTION IF EXISTS search_words_add(text[], integer[]);
ALTER TABLE search_words DROP COLUMN IF EXISTS events;

DROP MATERIALIZED VIEW IF EXISTS search_terms;
CREATE MATERIALIZED VIEW search_terms AS
    SELECT 'title'::text AS kind, title AS term, count(*)::int AS events
    FROM events WHERE status = 'published' GROUP BY title
    UNION ALL
    SELECT 'category', category, count(*)::int FROM events WHERE status = 'published' GROUP BY category
    UNION ALL
    SELECT 'city', city, count(*)::int FROM events WHERE status = 'published' AND city <> '' GROUP BY city;
CREATE UNIQUE INDEX search_terms_key ON search_terms (kind, term);
CREATE INDEX search_terms_prefix_idx ON search_terms (lower(term) text_pattern_ops);
CREATE INDEX search_terms_popular_idx ON search_terms (events DESC, term);
