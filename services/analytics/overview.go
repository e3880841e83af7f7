package analytics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
)

// The overviews: an organizer's own events (GET /api/v1/analytics/organizers/me/overview)
// and the whole platform's for admins (GET /api/v1/analytics/overview). Both read the
// rollups only.

// maxOverviewSpan bounds an overview's period.
const maxOverviewSpan = 2 * 366 * 24 * time.Hour

// Trend compares a period with the one of the same length before it.
type Trend struct {
	PreviousViews         int64    `json:"previous_views"`
	PreviousRegistrations int64    `json:"previous_registrations"`
	ViewsChange           *float64 `json:"views_change" doc:"Relative change of views against the previous period (0.25: a quarter more; null when it had none)"`
	RegistrationsChange   *float64 `json:"registrations_change"`
}

func trend(views, registrations, prevViews, prevRegistrations int64) Trend {
	change := func(now, before int64) *float64 {
		if before == 0 {
			return nil
		}
		v := float64(now-before) / float64(before)
		return &v
	}
	return Trend{PreviousViews: prevViews, PreviousRegistrations: prevRegistrations,
		ViewsChange: change(views, prevViews), RegistrationsChange: change(registrations, prevRegistrations)}
}

// EventSummary is one event in an overview.
type EventSummary struct {
	EventID  int64     `json:"event_id"`
	Title    string    `json:"title"`
	Date     time.Time `json:"date"`
	Status   string    `json:"status"`
	Category string    `json:"category"`
	City     string    `json:"city"`
	Counts
	Trend Trend `json:"trend"`
}

// OrganizerOverview is an organizer's events over a period, ranked by views, then
// registrations.
type OrganizerOverview struct {
	From   time.Time      `json:"from"`
	To     time.Time      `json:"to"`
	Totals Counts         `json:"totals"`
	Trend  Trend          `json:"trend"`
	Events []EventSummary `json:"events"`
	// EventCount is how many events the organizer has; Events shows the first limit.
	EventCount int `json:"event_count"`
}

type organizerInput struct {
	PeriodParams
	Limit int `query:"limit" minimum:"1" maximum:"500" default:"50" doc:"How many events to list"`
}

func (s *Service) handleOrganizerOverview(ctx context.Context, in *organizerInput) (*httpapi.Output[OrganizerOverview], error) {
	o, err := s.organizerOverview(ctx, in)
	if err != nil {
		return nil, s.fail(ctx, "organizer overview", err)
	}
	return httpapi.OK(o), nil
}

func (s *Service) handleOrganizerOverviewCSV(ctx context.Context, in *organizerInput) (*csvOutput, error) {
	o, err := s.organizerOverview(ctx, in)
	if err != nil {
		return nil, s.fail(ctx, "organizer overview", err)
	}
	rows := [][]string{{"event_id", "title", "date", "status", "category", "city", "views", "unique_viewers", "clicks", "shares",
		"favorites", "unfavorites", "registrations", "cancellations", "conversion", "previous_views", "previous_registrations"}}
	for _, e := range o.Events {
		rows = append(rows, append(append([]string{strconv.FormatInt(e.EventID, 10), httpapi.CSVCell(e.Title), e.Date.Format(time.RFC3339), e.Status,
			httpapi.CSVCell(e.Category), httpapi.CSVCell(e.City)},
			e.Counts.csv()...), strconv.FormatInt(e.Trend.PreviousViews, 10), strconv.FormatInt(e.Trend.PreviousRegistrations, 10)))
	}
	return newCSV("my-events.csv", rows)
}

func (s *Service) organizerOverview(ctx context.Context, in *organizerInput) (OrganizerOverview, error) {
	id, err := auth.RequireCtx(ctx)
	if err != nil {
		return OrganizerOverview{}, err
	}
	p, err := in.parse(time.Now(), maxOverviewSpan, "2 years")
	if err != nil {
		return OrganizerOverview{}, err
	}
	prev := p.previous()
	first, last := p.days()
	o := OrganizerOverview{From: p.from, To: p.to}
	tx, err := s.db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return o, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	rows, err := tx.Query(ctx, `
		WITH mine AS (SELECT id FROM events WHERE created_by = $1),
		cur AS (
			SELECT event_id, `+sums+` FROM analytics_event_hours
			WHERE event_id IN (SELECT id FROM mine) AND hour >= $2 AND hour < $3 GROUP BY event_id),
		prev AS (
			SELECT event_id, sum(views)::bigint AS views, sum(registrations)::bigint AS registrations FROM analytics_event_hours
			WHERE event_id IN (SELECT id FROM mine) AND hour >= $4 AND hour < $2 GROUP BY event_id),
		vw AS (
			SELECT event_id, count(DISTINCT visitor) AS n FROM analytics_event_viewers
			WHERE event_id IN (SELECT id FROM mine) AND day BETWEEN $5::date AND $6::date GROUP BY event_id)
		SELECT e.id, e.title, e.starts_at, e.status, e.category, e.city,
			coalesce(cur.views, 0), coalesce(cur.clicks, 0), coalesce(cur.shares, 0), coalesce(cur.favorites, 0),
			coalesce(cur.unfavorites, 0), coalesce(cur.registrations, 0), coalesce(cur.cancellations, 0),
			coalesce(vw.n, 0), coalesce(prev.views, 0), coalesce(prev.registrations, 0)
		FROM events e LEFT JOIN cur ON cur.event_id = e.id LEFT JOIN prev ON prev.event_id = e.id LEFT JOIN vw ON vw.event_id = e.id
		WHERE e.created_by = $1
		ORDER BY 7 DESC, 12 DESC, e.id`, id.UserID, p.from, p.to, prev.from, first, last)
	if err != nil {
		return o, fmt.Errorf("organizer %d overview: %w", id.UserID, err)
	}
	var (
		e          EventSummary
		viewers    int64
		prevViews  int64
		prevRegs   int64
		totalPrevV int64
		totalPrevR int64
	)
	_, err = pgx.ForEachRow(rows, []any{&e.EventID, &e.Title, &e.Date, &e.Status, &e.Category, &e.City,
		&e.Views, &e.Clicks, &e.Shares, &e.Favorites, &e.Unfavorites, &e.Registrations, &e.Cancellations,
		&viewers, &prevViews, &prevRegs}, func() error {
		o.EventCount++
		o.Totals.add(e.Counts)
		totalPrevV, totalPrevR = totalPrevV+prevViews, totalPrevR+prevRegs
		if len(o.Events) < in.Limit {
			v := viewers
			e.UniqueViewers = &v
			e.convert()
			e.Date = e.Date.UTC()
			e.Trend = trend(e.Views, e.Registrations, prevViews, prevRegs)
			o.Events = append(o.Events, e)
		}
		return nil
	})
	if err != nil {
		return o, fmt.Errorf("organizer %d overview: %w", id.UserID, err)
	}
	var unique int64
	if err := tx.QueryRow(ctx, `
		SELECT count(DISTINCT visitor) FROM analytics_event_viewers
		WHERE event_id IN (SELECT id FROM events WHERE created_by = $1) AND day BETWEEN $2::date AND $3::date`,
		id.UserID, first, last).Scan(&unique); err != nil {
		return o, fmt.Errorf("organizer %d viewers: %w", id.UserID, err)
	}
	o.Totals.UniqueViewers = &unique
	o.Totals.convert()
	o.Trend = trend(o.Totals.Views, o.Totals.Registrations, totalPrevV, totalPrevR)
	if o.Events == nil {
		o.Events = []EventSummary{}
	}
	return o, nil
}

func (c *Counts) add(o Counts) {
	c.Views += o.Views
	c.Clicks += o.Clicks
	c.Shares += o.Shares
	c.Favorites += o.Favorites
	c.Unfavorites += o.Unfavorites
	c.Registrations += o.Registrations
	c.Cancellations += o.Cancellations
}

// Platform-wide, for admins.

// DayCount is a count on a UTC day (or the Monday starting a week).
type DayCount struct {
	Day   string `json:"day" doc:"YYYY-MM-DD (UTC)"`
	Count int64  `json:"count"`
}

// Active is how many were active in a day or week: every visitor, and signed-in users
// among them.
type Active struct {
	Day      string `json:"day"`
	Visitors int64  `json:"visitors"`
	Users    int64  `json:"users"`
}

// Ranked is a category, a city or an event with its counts in the period.
type Ranked struct {
	Name          string `json:"name"`
	EventID       int64  `json:"event_id,omitempty"`
	Views         int64  `json:"views"`
	Registrations int64  `json:"registrations"`
}

// Overview is the platform over a period, by whole UTC days. Its totals have no unique
// viewers (nor conversion): distinct visitors over a period are the active counts, by day
// and by week.
type Overview struct {
	From          time.Time  `json:"from"`
	To            time.Time  `json:"to"`
	DailyActive   []Active   `json:"daily_active"`
	WeeklyActive  []Active   `json:"weekly_active" doc:"Every week (from Monday) the period touches, whole"`
	NewUsers      []DayCount `json:"new_users"`
	Registrations []DayCount `json:"registrations"`
	Totals        Counts     `json:"totals"`
	TopEvents     []Ranked   `json:"top_events"`
	TopCategories []Ranked   `json:"top_categories"`
	TopCities     []Ranked   `json:"top_cities"`
}

type overviewInput struct {
	PeriodParams
	Top int `query:"top" minimum:"1" maximum:"100" default:"10" doc:"How many events, categories and cities to rank"`
}

func (s *Service) handleOverview(ctx context.Context, in *overviewInput) (*httpapi.Output[Overview], error) {
	o, err := s.overview(ctx, in)
	if err != nil {
		return nil, s.fail(ctx, "overview", err)
	}
	return httpapi.OK(o), nil
}

func (s *Service) overview(ctx context.Context, in *overviewInput) (Overview, error) {
	if _, err := auth.RequireRole(ctx, auth.RoleAdmin); err != nil {
		return Overview{}, err
	}
	p, err := in.parse(time.Now(), maxOverviewSpan, "2 years")
	if err != nil {
		return Overview{}, err
	}
	first, last := p.days()
	o := Overview{From: p.from, To: p.to}
	tx, err := s.db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return o, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	rows, err := tx.Query(ctx, `
		SELECT to_char(day, 'YYYY-MM-DD'), active_visitors, active_users FROM analytics_days
		WHERE day BETWEEN $1::date AND $2::date AND active_visitors > 0 ORDER BY day`, first, last)
	if err != nil {
		return o, fmt.Errorf("daily active: %w", err)
	}
	if o.DailyActive, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Active]); err != nil {
		return o, fmt.Errorf("daily active: %w", err)
	}
	rows, err = tx.Query(ctx, `
		SELECT to_char(week, 'YYYY-MM-DD'), active_visitors, active_users FROM analytics_weeks
		WHERE week BETWEEN $1::date AND $2::date ORDER BY week`,
		weekOf(p.from.Truncate(24*time.Hour)).Format(time.DateOnly), last)
	if err != nil {
		return o, fmt.Errorf("weekly active: %w", err)
	}
	if o.WeeklyActive, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Active]); err != nil {
		return o, fmt.Errorf("weekly active: %w", err)
	}
	rows, err = tx.Query(ctx, `
		SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), count(*) FROM users
		WHERE created_at >= $1 AND created_at < $2 GROUP BY 1 ORDER BY 1`, p.from, p.to)
	if err != nil {
		return o, fmt.Errorf("new users: %w", err)
	}
	if o.NewUsers, err = pgx.CollectRows(rows, pgx.RowToStructByPos[DayCount]); err != nil {
		return o, fmt.Errorf("new users: %w", err)
	}
	rows, err = tx.Query(ctx, `
		SELECT to_char(day, 'YYYY-MM-DD'), registrations FROM analytics_days
		WHERE day BETWEEN $1::date AND $2::date AND registrations > 0 ORDER BY day`, first, last)
	if err != nil {
		return o, fmt.Errorf("registrations: %w", err)
	}
	if o.Registrations, err = pgx.CollectRows(rows, pgx.RowToStructByPos[DayCount]); err != nil {
		return o, fmt.Errorf("registrations: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT `+sums+` FROM analytics_days WHERE day BETWEEN $1::date AND $2::date`, first, last).
		Scan(&o.Totals.Views, &o.Totals.Clicks, &o.Totals.Shares, &o.Totals.Favorites, &o.Totals.Unfavorites,
			&o.Totals.Registrations, &o.Totals.Cancellations); err != nil {
		return o, fmt.Errorf("totals: %w", err)
	}
	// Every event's counts in the period, once; the rankings are of those.
	rows, err = tx.Query(ctx, `
		SELECT d.event_id, e.title, e.category, e.city, d.views, d.registrations
		FROM (SELECT event_id, sum(views)::bigint AS views, sum(registrations)::bigint AS registrations
			FROM analytics_event_days WHERE day BETWEEN $1::date AND $2::date GROUP BY event_id) d
		JOIN events e ON e.id = d.event_id`, first, last)
	if err != nil {
		return o, fmt.Errorf("period's events: %w", err)
	}
	var (
		events             []Ranked
		category, city     string
		byCategory, byCity = map[string]*Ranked{}, map[string]*Ranked{}
		ev                 Ranked
	)
	_, err = pgx.ForEachRow(rows, []any{&ev.EventID, &ev.Name, &category, &city, &ev.Views, &ev.Registrations}, func() error {
		events = append(events, ev)
		for _, g := range []struct {
			m   map[string]*Ranked
			key string
		}{{byCategory, category}, {byCity, city}} {
			if g.key == "" {
				continue
			}
			r := g.m[g.key]
			if r == nil {
				r = &Ranked{Name: g.key}
				g.m[g.key] = r
			}
			r.Views, r.Registrations = r.Views+ev.Views, r.Registrations+ev.Registrations
		}
		return nil
	})
	if err != nil {
		return o, fmt.Errorf("period's events: %w", err)
	}
	o.TopEvents = top(events, in.Top)
	o.TopCategories = top(values(byCategory), in.Top)
	o.TopCities = top(values(byCity), in.Top)
	return o, nil
}

// top returns the first n of rs by views, then registrations, then name and event id.
func top(rs []Ranked, n int) []Ranked {
	slices.SortFunc(rs, func(a, b Ranked) int {
		return cmp.Or(cmp.Compare(b.Views, a.Views), cmp.Compare(b.Registrations, a.Registrations),
			cmp.Compare(a.Name, b.Name), cmp.Compare(a.EventID, b.EventID))
	})
	if len(rs) > n {
		rs = rs[:n]
	}
	if rs == nil {
		rs = []Ranked{}
	}
	return rs
}

func values(m map[string]*Ranked) []Ranked {
	out := make([]Ranked, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	return out
}
