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
