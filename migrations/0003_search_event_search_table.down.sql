DROP TRIGGER IF EXISTS event_search_sync ON events;
DROP FUNCTION IF EXISTS event_search_sync();
DROP TABLE IF EXISTS event_search;
