DROP TABLE IF EXISTS featured_picks, collection_items, collections, event_scores, moderation_decisions;

DROP TRIGGER events_touch ON events;
CREATE TRIGGER events_touch BEFORE UPDATE ON events FOR EACH ROW
    WHEN ((OLD.title, OLD.description, OLD.category, OLD.tags, OLD.starts_at, OLD.ends_at, OLD.timezone, OLD.venue_name,
           OLD.address, OLD.city, OLD.country, OLD.lat, OLD.lng, OLD.online_url, OLD.capacity, OLD.price, OLD.currency,
           OLD.visibility, OLD.status, OLD.published_at, OLD.cancel_reason)
          IS DISTINCT FROM
          (NEW.title, NEW.description, NEW.category, NEW.tags, NEW.starts_at, NEW.ends_at, NEW.timezone, NEW.venue_name,
           NEW.address, NEW.city, NEW.country, NEW.lat, NEW.lng, NEW.online_url, NEW.capacity, NEW.price, NEW.currency,
           NEW.visibility, NEW.status, NEW.published_at, NEW.cancel_reason))
    EXECUTE FUNCTION events_touch();

DROP INDEX IF EXISTS events_moderation_queue_idx;
ALTER TABLE events DROP COLUMN IF EXISTS moderated_at, DROP COLUMN IF EXISTS moderated_by, DROP COLUMN IF EXISTS moderation;

UPDATE users SET role = 'organizer' WHERE role = 'editor';
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('attendee', 'organizer', 'admin'));
