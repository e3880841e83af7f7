package analytics

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
)

// GET /api/v1/analytics/funnel: how many visitors went through steps in order (view, then
// favorite, then register, say), each step on the same event as the one before and no
// earlier than it, within the period; with the drop-off between steps. For one event: its
// organizer or an admin; across events: admins.
//
// A funnel reads the interactions themselves (not a rollup: the order of one visitor's
// steps is what it measures), from the partitions the period touches.

// funnelSteps are the interactions a funnel step may be.
var funnelSteps = []string{"view", "click", "share", "favorite", "register"}

// maxFunnelSpan bounds a funnel's period: it scans interactions.
const maxFunnelSpan = 93 * 24 * time.Hour

// Step is one step of a funnel.
type Step struct {
	Type     string   `json:"type"`
	Visitors int64    `json:"visitors" doc:"Visitors who reached this step in order"`
	Rate     *float64 `json:"rate" doc:"Share of the first step's visitors who reached this one (null when the first has none)"`
	DropOff  *float64 `json:"drop_off" doc:"Share of the previous step's visitors who did not reach this one (null for the first, or when the previous has none)"`
}

// Funnel is the answer.
type Funnel struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	EventID *int64    `json:"event_id"`
	Steps   []Step    `json:"steps"`
}

type funnelInput struct {
	PeriodParams
	Steps   string `query:"steps" required:"true" doc:"2 to 5 distinct steps in order, comma separated, of view, click, share, favorite, register" example:"view,favorite,register"`
	EventID int64  `query:"event_id" minimum:"0" doc:"Only this event (0 or absent: every event)"`
}

func (s *Service) handleFunnel(ctx context.Context, in *funnelInput) (*httpapi.Output[Funnel], error) {
	f, err := s.funnel(ctx, in)
	if err != nil {
		return nil, s.fail(ctx, "funnel", err)
	}
	return httpapi.OK(f), nil
}

// parseSteps reads the steps parameter.
func parseSteps(v string) ([]string, error) {
	steps := strings.Split(v, ",")
	bad := func(msg string) error {
		return httpapi.BadRequest(msg, httpapi.Detail{Field: "steps", Message: msg})
	}
	if len(steps) < 2 || len(steps) > 5 {
		return nil, bad(fmt.Sprintf("a funnel has 2 to 5 steps; %d given", len(steps)))
	}
	for i, st := range steps {
		st = strings.TrimSpace(st)
		steps[i] = st
		switch {
		case !slices.Contains(funnelSteps, st):
			return nil, bad(fmt.Sprintf("unknown step %q: steps are %s", st, strings.Join(funnelSteps, ", ")))
		case slices.Contains(steps[:i], st):
			return nil, bad(fmt.Sprintf("step %q is given twice", st))
		}
	}
	return steps, nil
}

func (s *Service) funnel(ctx context.Context, in *funnelInput) (Funnel, error) {
	steps, err := parseSteps(in.Steps)
	if err != nil {
		return Funnel{}, err
	}
	p, err := in.parse(time.Now(), maxFunnelSpan, "93 days")
	if err != nil {
		return Funnel{}, err
	}
	if in.EventID > 0 {
		if err := s.mayRead(ctx, in.EventID); err != nil {
			return Funnel{}, err
		}
	} else if _, err := auth.RequireRole(ctx, auth.RoleAdmin); err != nil {
		return Funnel{}, err
	}
	// One CTE per step: each (visitor, event) pair's first time at the step no earlier
	// than its time at the step before.
	var q strings.Builder
	q.WriteString(`WITH e AS MATERIALIZED (
		SELECT visitor, event_id, type, occurred_at FROM analytics_events
		WHERE occurred_at >= $1 AND occurred_at < $2 AND type = ANY($3) AND ($4::bigint = 0 OR event_id = $4::bigint)),
	s0 AS (SELECT visitor, event_id, min(occurred_at) AS t FROM e WHERE type = $5 GROUP BY 1, 2)`)
	args := []any{p.from, p.to, steps, in.EventID, steps[0]}
	for i := 1; i < len(steps); i++ {
		args = append(args, steps[i])
		fmt.Fprintf(&q, `,
	s%[1]d AS (SELECT s.visitor, s.event_id, min(e.occurred_at) AS t FROM s%[2]d s
		JOIN e ON e.visitor = s.visitor AND e.event_id = s.event_id AND e.type = $%[3]d AND e.occurred_at >= s.t GROUP BY 1, 2)`, i, i-1, len(args))
	}
	q.WriteString("\nSELECT ")
	for i := range steps {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "(SELECT count(DISTINCT visitor) FROM s%d)", i)
	}
	counts := make([]int64, len(steps))
	dest := make([]any, len(steps))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if err := s.db.QueryRow(ctx, q.String(), args...).Scan(dest...); err != nil {
		return Funnel{}, fmt.Errorf("funnel: %w", err)
	}
	f := Funnel{From: p.from, To: p.to}
	if in.EventID > 0 {
		f.EventID = &in.EventID
	}
	for i, st := range steps {
		step := Step{Type: st, Visitors: counts[i]}
		if counts[0] > 0 {
			r := float64(counts[i]) / float64(counts[0])
			step.Rate = &r
		}
		if i > 0 && counts[i-1] > 0 {
			d := 1 - float64(counts[i])/float64(counts[i-1])
			step.DropOff = &d
		}
		f.Steps = append(f.Steps, step)
	}
	return f, nil
}
