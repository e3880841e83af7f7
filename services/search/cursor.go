package search

import (
	"time"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// Cursor is where a page of results continues: the order it was made with, and the last
// result's place in it (by relevance its tier and start, by date its start, by distance
// its distance), then its id.
type Cursor struct {
	Sort string    `json:"s"`
	Tier int       `json:"r,omitempty"`
	Time time.Time `json:"t,omitzero"`
	Km   float64   `json:"d,omitempty"`
	ID   int64     `json:"id"`
}

// encodeCursor is the next_cursor of a page ending at c (httpapi.EncodeCursor: base64url
// JSON).
func encodeCursor(c Cursor) string { return httpapi.EncodeCursor(c) }

// decodeCursor reads a cursor encodeCursor made for sort; anything else is a 400 naming
// the field "cursor".
func decodeCursor(s, sort string) (Cursor, error) {
	if len(s) > 512 {
		return Cursor{}, httpapi.BadCursor()
	}
	c, err := httpapi.DecodeCursor[Cursor](s)
	if err != nil {
		return c, err
	}
	if c.Sort != sort {
		return c, bad("cursor", "cursor belongs to another sort order; use next_cursor with the same query")
	}
	if c.ID <= 0 || c.Tier < 0 || c.Tier > maxTier || c.Km < 0 || c.Sort != "distance" && c.Time.IsZero() {
		return c, httpapi.BadCursor()
	}
	return c, nil
}
