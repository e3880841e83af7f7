package curation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/eventview"
	"github.com/events-platform/events-platform/internal/httpapi"
)

// The moderation queue and its decisions, for editors and administrators. A decision is
// kept (moderation_decisions), changes what everyone sees at once (events.moderation),
// and is a domain event: realtime tells the organizer on their user channel, search and
// recommendations show or stop showing the event.

// HeldEvent is an event in the queue.
type HeldEvent struct {
	eventview.Event
	HeldAt        time.Time `json:"held_at"`
	Reasons       []string  `json:"reasons" doc:"why it was held"`
	SpamScore     float64   `json:"spam_score"`
	QualityScore  float64   `json:"quality_score"`
	QualityLacks  []string  `json:"quality_lacks"`
	OrganizerName string    `json:"organizer_name"`
	// OrganizerApproved counts the organizer's events that earn trust (eventview.EarnsTrust).
	OrganizerApproved int `json:"organizer_approved"`
}

type queueInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Cursor string `query:"cursor" maxLength:"200"`
}

type queueCursor struct {
	HeldAt time.Time `json:"t"`
	ID     int64     `json:"id"`
}

func (s *Service) handleQueue(ctx context.Context, in *queueInput) (*httpapi.ListOutput[HeldEvent], error) {
	if _, err := requireCurator(ctx); err != nil {
		return nil, err
	}
	var after *queueCursor // nil: from the oldest
	if in.Cursor != "" {
		c, err := httpapi.DecodeCursor[queueCursor](in.Cursor)
		if err != nil {
			return nil, httpapi.BadCursor()
		}
		after = &c
	}
	var afterAt *time.Time
	var afterID int64
	if after != nil {
		afterAt, afterID = &after.HeldAt, after.ID
	}
	rows, err := s.db.Query(ctx, `SELECT `+eventview.Columns("e.")+`, e.moderated_at,
		coalesce(d.reasons, '{}'), coalesce(sc.spam, 0), coalesce(sc.quality, 0), coalesce(sc.lacks, '{}'), coalesce(u.name, ''),
		(SELECT count(*) FROM events o WHERE o.created_by = e.created_by AND `+eventview.EarnsTrust("o.")+`)
		FROM events e
		LEFT JOIN event_scores sc ON sc.event_id = e.id
		LEFT JOIN users u ON u.id = e.created_by
		LEFT JOIN LATERAL (SELECT reasons FROM moderation_decisions m WHERE m.event_id = e.id AND m.decision = 'held'
			ORDER BY m.id DESC LIMIT 1) d ON true
		WHERE e.moderation = 'held' AND e.status = 'published' AND coalesce(e.ends_at, e.starts_at) >= now()
			AND ($1::timestamptz IS NULL OR (coalesce(e.moderated_at, '-infinity'::timestamptz), e.id) > ($1, $2))
		ORDER BY coalesce(e.moderated_at, '-infinity'::timestamptz), e.id LIMIT $3`, afterAt, afterID, in.Limit+1)
	if err != nil {
		return nil, s.fail(ctx, "moderation queue", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (HeldEvent, error) {
		var h HeldEvent
		var heldAt *time.Time
		e, err := eventview.Scan(r, &heldAt, &h.Reasons, &h.SpamScore, &h.QualityScore, &h.QualityLacks, &h.OrganizerName, &h.OrganizerApproved)
		h.Event = e
		if heldAt != nil {
			h.HeldAt = *heldAt
		}
		return h, err
	})
	if err != nil {
		return nil, s.fail(ctx, "moderation queue", err)
	}
	page := httpapi.Page{Limit: in.Limit}
	if len(list) > in.Limit {
		list = list[:in.Limit]
		last := list[len(list)-1]
		page.NextCursor = httpapi.EncodeCursor(queueCursor{HeldAt: last.HeldAt, ID: last.ID})
	}
	return httpapi.List(list, page), nil
}

// Decision is one moderation decision on an event.
type Decision struct {
	Decision  string    `json:"decision" enum:"held,approved,rejected"`
	ActorID   *int64    `json:"actor_id" doc:"null: the automatic checks"`
	ActorName string    `json:"actor_name,omitempty"`
	Reason    string    `json:"reason,omitempty" doc:"the moderator's words"`
	Reasons   []string  `json:"reasons" doc:"what the checks found"`
	SpamScore *float64  `json:"spam_score"`
	At        time.Time `json:"at"`
}

type decisionInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body *struct {
		Note string `json:"note,omitempty" maxLength:"1000" doc:"kept with the decision"`
	}
}

type rejectInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"1000" doc:"what the organizer is told"`
	}
}

// Moderated is an event after a decision.
type Moderated struct {
	EventID    int64    `json:"event_id"`
	Moderation string   `json:"moderation" enum:"approved,held,rejected"`
	Decision   Decision `json:"decision"`
}

func (s *Service) handleApprove(ctx context.Context, in *decisionInput) (*httpapi.Output[Moderated], error) {
	note := ""
	if in.Body != nil {
		note = strings.TrimSpace(in.Body.Note)
	}
	return s.moderate(ctx, in.ID, "approved", note)
}

func (s *Service) handleReject(ctx context.Context, in *rejectInput) (*httpapi.Output[Moderated], error) {
	reason := strings.TrimSpace(in.Body.Reason)
	if reason == "" {
		return nil, httpapi.NewError(422, httpapi.CodeUnprocessable, "a rejection needs a reason the organizer is told",
			httpapi.Detail{Field: "body.reason", Message: "must not be blank"})
	}
	return s.moderate(ctx, in.ID, "rejected", reason)
}

// moderate records a moderator's decision on a published event.
func (s *Service) moderate(ctx context.Context, id int64, decision, reason string) (*httpapi.Output[Moderated], error) {
	who, err := requireCurator(ctx)
	if err != nil {
		return nil, err
	}
	var out Moderated
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		x, err := scanScored(tx.QueryRow(ctx, scoreSQL+` FOR UPDATE`, id))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return errNotFound
		case err != nil:
			return fmt.Errorf("load event %d: %w", id, err)
		case x.status == "draft":
			return errNotFound // never shown to anyone but its organizer: nothing to moderate
		case x.moderation == decision:
			return httpapi.Conflict(fmt.Sprintf("this event is already %s", decision))
		}
		var reasons []string
		err = tx.QueryRow(ctx, `SELECT spam, spam_reasons FROM event_scores WHERE event_id = $1`, id).Scan(&x.spam, &reasons)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("scores of event %d: %w", id, err)
		}
		if err := s.decide(ctx, tx, x, decision, &who.UserID, reason, nil); err != nil {
			return err
		}
		spam := x.spam
		out = Moderated{EventID: id, Moderation: decision, Decision: Decision{Decision: decision, ActorID: &who.UserID,
			Reason: reason, Reasons: []string{}, SpamScore: &spam, At: time.Now().UTC()}}
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, decision+" event", err)
	}
	s.metrics.decisions.WithLabelValues(decision, "moderator").Inc()
	s.askRank()
	return httpapi.OK(out), nil
}

// ModerationHistory is an event's scores and every decision on it.
type ModerationHistory struct {
	EventID      int64      `json:"event_id"`
	Moderation   string     `json:"moderation" enum:"approved,held,rejected"`
	SpamScore    *float64   `json:"spam_score" doc:"null: not scored yet"`
	SpamReasons  []string   `json:"spam_reasons"`
	QualityScore *float64   `json:"quality_score"`
	QualityLacks []string   `json:"quality_lacks"`
	ScoredAt     *time.Time `json:"scored_at,omitempty"`
	Decisions    []Decision `json:"decisions" doc:"oldest first"`
}

func (s *Service) handleHistory(ctx context.Context, in *struct {
	ID int64 `path:"id" minimum:"1"`
}) (*httpapi.Output[ModerationHistory], error) {
	if _, err := requireCurator(ctx); err != nil {
		return nil, err
	}
	h := ModerationHistory{EventID: in.ID}
	var reasons, lacks []string
	err := s.db.QueryRow(ctx, `SELECT e.moderation, sc.spam, sc.spam_reasons, sc.quality, sc.lacks, sc.scored_at
		FROM events e LEFT JOIN event_scores sc ON sc.event_id = e.id WHERE e.id = $1 AND e.status <> 'draft'`, in.ID).
		Scan(&h.Moderation, &h.SpamScore, &reasons, &h.QualityScore, &lacks, &h.ScoredAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, s.fail(ctx, "moderation history", errNotFound)
	}
	if err != nil {
		return nil, s.fail(ctx, "moderation history", err)
	}
	h.SpamReasons, h.QualityLacks = nonNil(reasons), nonNil(lacks)
	rows, err := s.db.Query(ctx, `SELECT d.decision, d.actor_id, coalesce(u.name, ''), d.reason, d.reasons, d.spam::float8, d.created_at
		FROM moderation_decisions d LEFT JOIN users u ON u.id = d.actor_id WHERE d.event_id = $1 ORDER BY d.id`, in.ID)
	if err != nil {
		return nil, s.fail(ctx, "moderation history", err)
	}
	h.Decisions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Decision, error) {
		var d Decision
		err := r.Scan(&d.Decision, &d.ActorID, &d.ActorName, &d.Reason, &d.Reasons, &d.SpamScore, &d.At)
		return d, err
	})
	if err != nil {
		return nil, s.fail(ctx, "moderation history", err)
	}
	if h.Decisions == nil {
		h.Decisions = []Decision{}
	}
	return httpapi.OK(h), nil
}
