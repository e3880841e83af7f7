package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
)

// GET /api/v1/analytics/retention (admins): users grouped by the week (or month) they
// signed up, and the share of each group active in each week (month) since, up to the
// period's end. Active is any interaction, from the daily active visitors' rollup.

// maxRetentionSpan bounds the cohorts' period.
const maxRetentionSpan = 2 * 366 * 24 * time.Hour

// Cohort is the users who signed up in one week or month.
type Cohort struct {
	Start string `json:"start" doc:"The cohort's Monday (or first of the month), YYYY-MM-DD"`
	Users int64  `json:"users"`
	// Active[k] is how many of them were active k weeks (months) after the cohort's,
	// Rates[k] the share; the cohort's own period is 0. The list stops at the period's
	// end.
	Active []int64   `json:"active"`
	Rates  []float64 `json:"rates"`
}

// Retention is the answer.
type Retention struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Cohort  string    `json:"cohort"`
	Cohorts []Cohort  `json:"cohorts"`
}

type retentionInput struct {
	PeriodParams
	Cohort string `query:"cohort" enum:"week,month" default:"week" doc:"Group users by the week (from Monday) or month they signed up"`
}

func (s *Service) handleRetention(ctx context.Context, in *retentionInput) (*httpapi.Output[Retention], error) {
	r, err := s.retention(ctx, in)
	if err != nil {
		return nil, s.fail(ctx, "retention", err)
	}
	return httpapi.OK(r), nil
}

func (s *Service) retention(ctx context.Context, in *retentionInput) (Retention, error) {
	if _, err := auth.RequireRole(ctx, auth.RoleAdmin); err != nil {
		return Retention{}, err
	}
	p, err := in.parse(time.Now(), maxRetentionSpan, "2 years")
	if err != nil {
		return Retention{}, err
	}
	unit := "week"
	if in.Cohort == "month" {
		unit = "month"
	}
	// k: whole units between the cohort's start and the activity's unit.
	k := `(a.unit - c.start) / 7`
	if unit == "month" {
		k = `((extract(year FROM a.unit) - extract(year FROM c.start)) * 12 + extract(month FROM a.unit) - extract(month FROM c.start))::int`
	}
	rows, err := s.db.Query(ctx, `
		WITH c AS (
			SELECT id, date_trunc('`+unit+`', created_at AT TIME ZONE 'UTC')::date AS start FROM users
			WHERE created_at >= $1 AND created_at < $2),
		a AS (
			SELECT DISTINCT visitor, date_trunc('`+unit+`', day::timestamp)::date AS unit FROM analytics_active_visitors
			WHERE visitor > 0 AND day >= (SELECT min(start) FROM c) AND day <= ($2 AT TIME ZONE 'UTC')::date),
		sizes AS (SELECT start, count(*) AS users FROM c GROUP BY start),
		kept AS (
			SELECT c.start, `+k+` AS k, count(*) AS active FROM c JOIN a ON a.visitor = c.id AND a.unit >= c.start
			GROUP BY 1, 2)
		SELECT to_char(sizes.start, 'YYYY-MM-DD'), sizes.users, coalesce(kept.k, -1), coalesce(kept.active, 0)
		FROM sizes LEFT JOIN kept ON kept.start = sizes.start ORDER BY 1, 3`, p.from, p.to)
	if err != nil {
		return Retention{}, fmt.Errorf("retention: %w", err)
	}
	r := Retention{From: p.from, To: p.to, Cohort: unit, Cohorts: []Cohort{}}
	var (
		start         string
		users, active int64
		step          int
	)
	end := p.to.Add(-time.Nanosecond)
	_, err = pgx.ForEachRow(rows, []any{&start, &users, &step, &active}, func() error {
		if len(r.Cohorts) == 0 || r.Cohorts[len(r.Cohorts)-1].Start != start {
			first, err := time.Parse(time.DateOnly, start)
			if err != nil {
				return err
			}
			n := unitsBetween(unit, first, end) + 1
			r.Cohorts = append(r.Cohorts, Cohort{Start: start, Users: users, Active: make([]int64, n), Rates: make([]float64, n)})
		}
		c := &r.Cohorts[len(r.Cohorts)-1]
		if step >= 0 && step < len(c.Active) {
			c.Active[step] = active
			c.Rates[step] = float64(active) / float64(users)
		}
		return nil
	})
	if err != nil {
		return Retention{}, fmt.Errorf("retention: %w", err)
	}
	return r, nil
}

// unitsBetween is how many whole weeks or calendar months lie between the units of a and b.
func unitsBetween(unit string, a, b time.Time) int {
	if unit == "month" {
		return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
	}
	return int(b.Sub(a).Hours()/24) / 7
}
