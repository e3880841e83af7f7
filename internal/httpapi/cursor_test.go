package httpapi

import (
	"errors"
	"testing"
	"time"
)

func TestCursorRoundTrip(t *testing.T) {
	type position struct {
		Date time.Time `json:"d"`
		ID   int64     `json:"id"`
	}
	want := position{Date: time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC), ID: 42}
	got, err := DecodeCursor[position](EncodeCursor(want))
	if err != nil || !got.Date.Equal(want.Date) || got.ID != want.ID {
		t.Fatalf("round trip: got %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{"", "!!", EncodeCursor(map[string]any{"id": 1, "x": 2}), "eyJpZCI6MX0xMg", EncodeCursor("text")} {
		_, err := DecodeCursor[position](bad)
		var apiErr *Error
		if !errors.As(err, &apiErr) || apiErr.GetStatus() != 400 || apiErr.Problem.Details[0].Field != "cursor" {
			t.Errorf("DecodeCursor(%q) = %v, want a 400 naming cursor", bad, err)
		}
	}
}
