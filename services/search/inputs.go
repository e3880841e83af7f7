package search

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/events-platform/events-platform/internal/httpapi"
)

func bad(field, msg string) error {
	return httpapi.BadRequest(msg, httpapi.Detail{Field: field, Message: msg})
}

func parseFloat(field, v string, lo, hi float64) (*float64, error) {
	if v == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != f || f < lo || f > hi {
		return nil, bad(field, fmt.Sprintf("%s must be a number from %g to %g", field, lo, hi))
	}
	return &f, nil
}

// parseLimit reads a page size from 1 to most; def when v is empty.
func parseLimit(v string, def, most int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, bad("limit", fmt.Sprintf("limit must be a whole number from 1 to %d", most))
	}
	return n, nil
}

func parseBool(field, v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, bad(field, field+" must be true or false")
	}
	return b, nil
}

// parseTime reads a time or a plain date (the start of that day, UTC); nil when v is empty.
func parseTime(field, v string) (*time.Time, error) {
	t, err := httpapi.ParseTime(field, v, nil)
	if err != nil || t.IsZero() {
		return nil, err
	}
	return &t, nil
}

func maxChars(field, v string, most int) error {
	if utf8.RuneCountInString(v) > most {
		return bad(field, fmt.Sprintf("%s must be at most %d characters", field, most))
	}
	return nil
}
