DROP INDEX IF EXISTS event_search_place_title_idx;
