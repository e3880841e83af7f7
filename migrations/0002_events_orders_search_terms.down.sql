DROP MATERIALIZED VIEW IF EXISTS search_terms;
DROP INDEX IF EXISTS favorites_user_idx;
DROP INDEX IF EXISTS event_registrations_user_id_idx;
DROP INDEX IF EXISTS event_registrations_event_idx;
DROP INDEX IF EXISTS events_city_idx;
DROP INDEX IF EXISTS events_popular_idx;
DROP INDEX IF EXISTS events_newest_idx;
DROP TABLE IF EXISTS idempotency_keys;
