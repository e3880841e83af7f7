package analytics

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
)

// GET /api/v1/analytics/events/{id}/stats: one event's counts over a period, in total
// and as a time series, for its organizer and admins. Read from the rollups: a handful of
// index range scans, whatever the number of interactions.

// Counts are what happened to an event (or a set of them) in a period. Registrations and
// favorites are committed ones (from the domain events); unique viewers are counted per
// UTC day and across the period's days.
type Counts struct {
	Views         int64    `json:"views"`
	UniqueViewers *int64   `json:"unique_viewers" doc:"Distinct visitors who viewed (null for hourly buckets: viewers are counted by day)"`
	Clicks        int64    `json:"clicks"`
	Shares        int64    `json:"shares"`
	Favorites     int64    `json:"favorites"`
	Unfavorites   int64    `json:"unfavorites"`
	Registrations int64    `json:"registrations"`
	Cancellations int64    `json:"cancellations"`
	Conversion    *float64 `json:"conversion" doc:"Registrations per unique viewer (null without viewers)"`
}

func (c *Counts) convert() {
	c.Conversion = nil
	if c.UniqueViewers != nil && *c.UniqueViewers > 0 {
		v := float64(c.Registrations) / float64(*c.UniqueViewers)
		c.Conversion = &v
	}
}

// Bucket is one step of a time series.
type Bucket struct {
	Start time.Time `json:"start"`
	Counts
}

// EventStats is an event's analytics over a period.
type EventStats struct {
	EventID  int64     `json:"event_id"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Interval string    `json:"interval"`
	Totals   Counts    `json:"totals"`
	Series   []Bucket  `json:"series"`
}

type statsInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The event's id"`
	PeriodParams
	Interval string `query:"interval" enum:"hour,day,week" default:"day" doc:"Time series step"`
}

func (s *Service) handleStats(ctx context.Context, in *statsInput) (*httpapi.Output[EventStats], error) {
	st, err := s.eventStats(ctx, in)
	if err != nil {
		return nil, s.fail(ctx, "event stats", err)
	}
	return httpapi.OK(st), nil
}

func (s *Service) handleStatsCSV(ctx context.Context, in *statsInput) (*csvOutput, error) {
	st, err := s.eventStats(ctx, in)
	if err != nil {
		return nil, s.fail(ctx, "event stats", err)
	}
	rows := [][]string{{"start", "views", "unique_viewers", "clicks", "shares", "favorites", "unfavorites", "registrations", "cancellations", "conversion"}}
	for _, b := range st.Series {
		rows = append(rows, append([]string{b.Start.Format(time.RFC3339)}, b.Counts.csv()...))
	}
	return newCSV(fmt.Sprintf("event-%d-stats.csv", st.EventID), rows)
}

func (s *Service) eventStats(ctx context.Context, in *statsInput) (EventStats, error) {
	iv, ok := intervals[in.Interval]
	if !ok { // the schema's enum makes this unreachable; a default keeps it safe
		iv = intervals["day"]
	}
	p, err := in.parse(time.Now(), iv.maxSpan, iv.maxText)
	if err != nil {
		return EventStats{}, err
	}
	if err := s.mayRead(ctx, in.ID); err != nil {
		return EventStats{}, err
	}
	st := EventStats{EventID: in.ID, From: p.from, To: p.to, Interval: in.Interval}
	tx, err := s.db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return EventStats{}, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	// The totals and the series in one statement: the series by bucket, then the totals as
	// the bucket NULL.
	rows, err := tx.Query(ctx, `
		SELECT date_bin($4::interval, hour, $5), `+sums+`
		FROM analytics_event_hours WHERE event_id = $1 AND hour >= $2 AND hour < $3
		GROUP BY ROLLUP (1)`, in.ID, p.from, p.to, iv.step, bucketOrigin)
	if err != nil {
		return EventStats{}, fmt.Errorf("event %d hours: %w", in.ID, err)
	}
	byStart := map[time.Time]Counts{}
	var b *time.Time
	var c Counts
	_, err = pgx.ForEachRow(rows, []any{&b, &c.Views, &c.Clicks, &c.Shares, &c.Favorites, &c.Unfavorites, &c.Registrations, &c.Cancellations}, func() error {
		if b == nil {
			st.Totals = c
		} else {
			byStart[b.UTC()] = c
		}
		return nil
	})
	if err != nil {
		return EventStats{}, fmt.Errorf("event %d hours: %w", in.ID, err)
	}
	first, last := p.days()
	viewers := map[time.Time]int64{}
	var total int64
	// A day's unique viewers are counted as they come (analytics_event_days.viewers); a
	// week's and the period's need the distinct visitors of its days. Sorting those is the
	// cost of a popular event's stats: enough memory to sort in memory.
	if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '64MB'`); err != nil {
		return EventStats{}, err
	}
	if iv.step == 24*time.Hour {
		rows, err = tx.Query(ctx, `SELECT day::timestamp AT TIME ZONE 'UTC', viewers FROM analytics_event_days
			WHERE event_id = $1 AND day BETWEEN $2::date AND $3::date`, in.ID, first, last)
		if err != nil {
			return EventStats{}, fmt.Errorf("event %d viewers by day: %w", in.ID, err)
		}
		var day time.Time
		var n int64
		if _, err := pgx.ForEachRow(rows, []any{&day, &n}, func() error { viewers[day.UTC()] = n; return nil }); err != nil {
			return EventStats{}, fmt.Errorf("event %d viewers by day: %w", in.ID, err)
		}
		if err := tx.QueryRow(ctx, `SELECT count(DISTINCT visitor) FROM analytics_event_viewers
			WHERE event_id = $1 AND day BETWEEN $2::date AND $3::date`, in.ID, first, last).Scan(&total); err != nil {
			return EventStats{}, fmt.Errorf("event %d viewers: %w", in.ID, err)
		}
	} else {
		rows, err = tx.Query(ctx, `
			SELECT date_bin($4::interval, day::timestamp AT TIME ZONE 'UTC', $5), count(DISTINCT visitor)
			FROM analytics_event_viewers WHERE event_id = $1 AND day BETWEEN $2::date AND $3::date
			GROUP BY ROLLUP (1)`, in.ID, first, last, max(iv.step, 24*time.Hour), bucketOrigin)
		if err != nil {
			return EventStats{}, fmt.Errorf("event %d viewers: %w", in.ID, err)
		}
		var n int64
		_, err = pgx.ForEachRow(rows, []any{&b, &n}, func() error {
			if b == nil {
				total = n
			} else {
				viewers[b.UTC()] = n
			}
			return nil
		})
		if err != nil {
			return EventStats{}, fmt.Errorf("event %d viewers: %w", in.ID, err)
		}
	}
	st.Totals.UniqueViewers = &total
	st.Totals.convert()
	for _, start := range p.buckets(iv.step) {
		c := byStart[start]
		if iv.step >= 24*time.Hour {
			v := viewers[start]
			c.UniqueViewers = &v
		}
		c.convert()
		st.Series = append(st.Series, Bucket{Start: start, Counts: c})
	}
	return st, nil
}

// sums are the columns of analytics_event_hours summed, in Counts' order, 0 over no rows.
const sums = `coalesce(sum(views), 0)::bigint AS views, coalesce(sum(clicks), 0)::bigint AS clicks,
	coalesce(sum(shares), 0)::bigint AS shares, coalesce(sum(favorites), 0)::bigint AS favorites,
	coalesce(sum(unfavorites), 0)::bigint AS unfavorites, coalesce(sum(registrations), 0)::bigint AS registrations,
	coalesce(sum(cancellations), 0)::bigint AS cancellations`

// mayRead returns nil when the caller may see the event's analytics: its organizer or an
// admin.
func (s *Service) mayRead(ctx context.Context, eventID int64) error {
	id, err := auth.RequireCtx(ctx)
	if err != nil {
		return err
	}
	var organizer int64
	err = s.db.QueryRow(ctx, `SELECT created_by FROM events WHERE id = $1`, eventID).Scan(&organizer)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return errNotFound
	case err != nil:
		return fmt.Errorf("event %d: %w", eventID, err)
	case organizer != id.UserID && !id.IsAdmin():
		return errForbidden
	}
	return nil
}

func (c Counts) csv() []string {
	opt := func(v *int64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatInt(*v, 10)
	}
	conv := ""
	if c.Conversion != nil {
		conv = strconv.FormatFloat(*c.Conversion, 'f', 4, 64)
	}
	return []string{strconv.FormatInt(c.Views, 10), opt(c.UniqueViewers), strconv.FormatInt(c.Clicks, 10),
		strconv.FormatInt(c.Shares, 10), strconv.FormatInt(c.Favorites, 10), strconv.FormatInt(c.Unfavorites, 10),
		strconv.FormatInt(c.Registrations, 10), strconv.FormatInt(c.Cancellations, 10), conv}
}

// csvOutput is a spreadsheet's download.
type csvOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

func newCSV(name string, rows [][]string) (*csvOutput, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		return nil, err
	}
	return &csvOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="` + name + `"`, Body: buf.Bytes()}, nil
}
