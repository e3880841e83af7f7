package httpapi

import "time"

// maxJSONTime is the latest instant encoding/json can write as RFC 3339 (a four-digit year).
var maxJSONTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// InZone returns t in zone for a response, as long as its local year has four digits;
// otherwise t in UTC, clamped to years 0 to 9999. encoding/json refuses any other year, and one
// bad stored row must not break every page that shows it.
func InZone(t time.Time, zone *time.Location) time.Time {
	if zone != nil {
		if y := t.In(zone).Year(); y >= 0 && y <= 9999 {
			return t.In(zone)
		}
	}
	t = t.UTC()
	switch {
	case t.After(maxJSONTime):
		return maxJSONTime
	case t.Year() < 0:
		return time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return t
}

// TimeLayouts is how a time or a date in a query parameter may be written, for error
// messages and docs.
const TimeLayouts = "a date like 2027-01-01 or a time like 2027-01-01T19:00:00+01:00"

// ParseTime reads a query parameter that holds an RFC 3339 time or a plain date
// (YYYY-MM-DD, the start of that day in zone, or in UTC when zone is nil). An empty value is
// the zero time. What it refuses is a 400 naming field, worded for people.
func ParseTime(field, value string, zone *time.Location) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	if zone == nil {
		zone = time.UTC
	}
	if t, err := time.Parse(time.RFC3339, value); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, value, zone); err == nil {
		return t, nil
	}
	msg := field + " must be " + TimeLayouts
	return time.Time{}, BadRequest(msg, Detail{Field: field, Message: msg})
}
