-- The title words of each event prefixed with its 0.4° cell, as event_search_place_idx
-- holds all its words: the first page of a search within a city reads the events whose
-- title matches (the tier that comes first) without reading those that match only by
-- their tags or description (services/search/query.go, FirstTitlesSQL).
CREATE INDEX event_search_place_title_idx ON event_search USING gin (prefixed_words(cells[2]::text, title_vector));
