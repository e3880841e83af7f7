package search

import (
	"time"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// Cursor is where a page of results continues. It records the order and the matching
// mode it was made with, so the next page continues the same list.
type Cursor struct {
	Sort      string    `json:"s"`
	Corrected bool      `json:"f,omitempty"`
	Score     float32   `json:"r,omitempty"`
	Time      time.Time `json:"t,omitzero"`
	Dist      float64   `json:"d,omitempty"`
	ID        int64     `json:"id"`
}

// encodeCursor is the next_cursor of a page ending at c (httpapi.EncodeCursor: base64url
// JSON).
func encodeCursor(c Cursor) string { return httpapi.EncodeCursor(c) }

// decodeCursor reads a cursor encodeCursor made; anything else, and a cursor naming no
// event, is a 400 naming the field "cursor".
func decodeCursor(s string) (Cursor, error) {
	c, err := httpapi.DecodeCursor[Cursor](s)
	if err == nil && c.ID <= 0 {
		return c, httpapi.BadCursor()
	}
	return c, err
}
