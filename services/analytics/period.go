package analytics

import (
	"fmt"
	"time"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// PeriodParams are the from and to every read takes (exported only so that Huma reads
// the fields of the inputs that embed it).
type PeriodParams struct {
	From string `query:"from" doc:"Start, inclusive: an RFC 3339 time or a date (YYYY-MM-DD, the start of that day, UTC); default: 30 days before to"`
	To   string `query:"to" doc:"End: an RFC 3339 time (exclusive) or a date (that whole day, UTC); default: now"`
}

// period is [from, to), UTC.
type period struct{ from, to time.Time }

// maxYearsAway bounds how far from today a period may lie: analytics keeps months, and
// a time series must stay within the years JSON can write.
const maxYearsAway = 10

// defaultSpan is a period's length when from is not given.
const defaultSpan = 30 * 24 * time.Hour

// parse reads the period, refusing one that ends before it starts or is longer than
// maxSpan.
func (in PeriodParams) parse(now time.Time, maxSpan time.Duration, maxText string) (period, error) {
	from, err := parseBound("from", in.From, false)
	if err != nil {
		return period{}, err
	}
	to, err := parseBound("to", in.To, true)
	if err != nil {
		return period{}, err
	}
	if to.IsZero() {
		to = now
	}
	if from.IsZero() {
		from = to.Add(-defaultSpan)
	}
	p := period{from.UTC(), to.UTC()}
	for _, b := range []struct {
		field string
		t     time.Time
	}{{"from", p.from}, {"to", p.to}} {
		if b.t.Before(now.AddDate(-maxYearsAway, 0, 0)) || b.t.After(now.AddDate(maxYearsAway, 0, 0)) {
			msg := fmt.Sprintf("%s must be within %d years of today", b.field, maxYearsAway)
			return period{}, httpapi.BadRequest(msg, httpapi.Detail{Field: b.field, Message: msg})
		}
	}
	switch {
	case !p.from.Before(p.to):
		return period{}, httpapi.BadRequest("from must be before to",
			httpapi.Detail{Field: "from", Message: fmt.Sprintf("%s is not before %s", p.from.Format(time.RFC3339), p.to.Format(time.RFC3339))})
	case p.to.Sub(p.from) > maxSpan:
		return period{}, httpapi.BadRequest("the period is too long: "+maxText,
			httpapi.Detail{Field: "from", Message: "at most " + maxText})
	}
	return p, nil
}

// parseBound reads a time or a date; a date as an end means the end of that day.
func parseBound(field, value string, end bool) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, value); err == nil && end {
		return t.AddDate(0, 0, 1), nil
	}
	return httpapi.ParseTime(field, value, time.UTC)
}

// previous is the period of the same length just before p.
func (p period) previous() period { return period{p.from.Add(-p.to.Sub(p.from)), p.from} }

// days are the first and last UTC days p touches, as dates for SQL.
func (p period) days() (string, string) {
	return p.from.Truncate(24 * time.Hour).Format(time.DateOnly), p.to.Add(-time.Nanosecond).Truncate(24 * time.Hour).Format(time.DateOnly)
}

// intervals of a time series: buckets start at UTC hours, UTC midnights, or Mondays.
var intervals = map[string]struct {
	step    time.Duration
	maxSpan time.Duration
	maxText string
}{
	"hour": {time.Hour, 31 * 24 * time.Hour, "31 days by the hour"},
	"day":  {24 * time.Hour, 2 * 366 * 24 * time.Hour, "2 years by the day"},
	"week": {7 * 24 * time.Hour, 5 * 366 * 24 * time.Hour, "5 years by the week"},
}

// bucketOrigin is a Monday at midnight UTC: weeks start on Mondays (ISO 8601).
var bucketOrigin = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

// buckets are the starts of the buckets of step that cover p.
func (p period) buckets(step time.Duration) []time.Time {
	start := p.from.Add(-p.from.Sub(bucketOrigin) % step)
	if start.After(p.from) {
		start = start.Add(-step)
	}
	var out []time.Time
	for t := start; t.Before(p.to); t = t.Add(step) {
		out = append(out, t)
	}
	return out
}
