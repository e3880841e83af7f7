package curation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/eventview"
	"github.com/events-platform/events-platform/internal/natsbus"
)

// An event's scores are computed when it is created, changed or published (from the
// domain events, see consume.go), stored in event_scores, and acted on:
//   - a published event the events service held (its organizer is not trusted yet) gets
//     its decision recorded, with the scores' reasons, and platform.moderation.held;
//   - a published, approved event whose spam score reaches SpamThreshold is held, unless
//     a moderator approved it with a spam score at least as high (an edit that adds spam
//     after an approval holds it again; one that does not, does not).
// Events already in the database when curation first ran are scored in the background
// (backfill), without holding any.

// scored is what scoring reads of an event, and what it found.
type scored struct {
	id, organizer        int64
	status, moderation   string
	visibility           string
	category             string
	city                 string
	startsAt             time.Time
	moderatedBy          *int64
	moderatedAt          *time.Time
	event                Event
	spam, quality        float64
	reasons, lacks       []string
	fingerprint          uint64
	trusted              bool
	approved, trustAfter int
}

// scoreColumns are what scoring reads of an event (alias e).
var scoreColumns = `e.id, e.created_by, ` + eventview.Status("e.") + `, e.moderation, e.visibility, e.title, e.description, e.tags,
	e.category, e.city, e.starts_at, e.moderated_by, e.moderated_at,
	(e.address <> '' OR e.venue_name <> '' OR e.lat IS NOT NULL OR e.online_url <> ''), e.capacity, e.price::float8`

// scoreSQL reads an event for scoring.
var scoreSQL = `SELECT ` + scoreColumns + ` FROM events e WHERE e.id = $1`

func scanScored(row pgx.Row) (scored, error) {
	var x scored
	err := row.Scan(&x.id, &x.organizer, &x.status, &x.moderation, &x.visibility, &x.event.Title, &x.event.Description,
		&x.event.Tags, &x.category, &x.city, &x.startsAt, &x.moderatedBy, &x.moderatedAt, &x.event.HasLocation,
		&x.event.Capacity, &x.event.Price)
	return x, err
}

// Score computes and stores the scores of event id, and holds it or records its hold as
// the rules above say. A deleted event is nothing to do.
func (s *Service) Score(ctx context.Context, id int64) error {
	held := false
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		x, err := scanScored(tx.QueryRow(ctx, scoreSQL+` FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load event %d: %w", id, err)
		}
		org, err := s.organizer(ctx, tx, x.organizer)
		if err != nil {
			return err
		}
		x.trusted, x.approved, x.trustAfter = org.trusted, org.Approved, s.trustAfter
		x.fingerprint = Fingerprint(x.event.Text)
		var closest int
		err = tx.QueryRow(ctx, `SELECT coalesce(max(64 - bit_count((fingerprint # $1)::bit(64))), 0) FROM event_scores
			WHERE starts_at > now() AND event_id <> $2 AND (organizer_id <> $3 OR $4)`,
			int64(x.fingerprint), id, x.organizer, !org.trusted).Scan(&closest)
		if err != nil {
			return fmt.Errorf("near-duplicates of event %d: %w", id, err)
		}
		x.spam, x.reasons = Spam(x.event.Text, org.Organizer, float64(closest)/64)
		x.quality, x.lacks = Quality(x.event, org.Organizer)
		if err := storeScores(ctx, tx, x); err != nil {
			return err
		}
		held, err = s.actOn(ctx, tx, x)
		return err
	})
	if err == nil && held {
		s.metrics.decisions.WithLabelValues("held", "checks").Inc()
	}
	return err
}

// organizerStats is what the rules know of an organizer.
type organizerStats struct {
	Organizer
	trusted bool
}

func (s *Service) organizer(ctx context.Context, tx pgx.Tx, id int64) (organizerStats, error) {
	var (
		o    organizerStats
		role string
	)
	err := tx.QueryRow(ctx, `SELECT coalesce((SELECT role FROM users WHERE id = $1), ''),
		count(*) FILTER (WHERE `+eventview.EarnsTrust("")+`), count(*) FILTER (WHERE created_at > now() - interval '1 day')
		FROM events WHERE created_by = $1`, id).Scan(&role, &o.Approved, &o.RecentlyCreated)
	if err != nil {
		return o, fmt.Errorf("organizer %d: %w", id, err)
	}
	o.trusted = role == "editor" || role == "admin" || o.Approved >= s.trustAfter
	return o, nil
}

func storeScores(ctx context.Context, tx pgx.Tx, x scored) error {
	_, err := tx.Exec(ctx, `INSERT INTO event_scores (event_id, organizer_id, quality, lacks, spam, spam_reasons, fingerprint, starts_at, scored_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
		ON CONFLICT (event_id) DO UPDATE SET organizer_id = excluded.organizer_id, quality = excluded.quality,
			lacks = excluded.lacks, spam = excluded.spam, spam_reasons = excluded.spam_reasons,
			fingerprint = excluded.fingerprint, starts_at = excluded.starts_at, scored_at = now()`,
		x.id, x.organizer, x.quality, nonNil(x.lacks), x.spam, nonNil(x.reasons), int64(x.fingerprint), x.startsAt)
	if err != nil {
		return fmt.Errorf("store the scores of event %d: %w", x.id, err)
	}
	return nil
}

// actOn holds a published event the scores or its organizer's newness hold, once, and
// reports whether it decided.
func (s *Service) actOn(ctx context.Context, tx pgx.Tx, x scored) (bool, error) {
	if x.status != "published" {
		return false, nil
	}
	switch x.moderation {
	case "held":
		// Held by the events service at publication: record why, once per hold.
		var recorded bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM moderation_decisions
			WHERE event_id = $1 AND created_at >= coalesce($2, '-infinity'::timestamptz))`, x.id, x.moderatedAt).Scan(&recorded)
		if err != nil || recorded {
			return false, err
		}
		reasons := x.reasons
		if !x.trusted {
			reasons = append([]string{fmt.Sprintf("a new organizer: %d of the %d approved events that earn trust", x.approved, x.trustAfter)}, reasons...)
		}
		return true, s.decide(ctx, tx, x, "held", nil, "", reasons)
	case "approved":
		if x.spam < SpamThreshold {
			return false, nil
		}
		if x.moderatedBy != nil {
			var approvedAt float64
			err := tx.QueryRow(ctx, `SELECT coalesce((SELECT spam FROM moderation_decisions WHERE event_id = $1 AND decision = 'approved'
				ORDER BY id DESC LIMIT 1), 0)`, x.id).Scan(&approvedAt)
			if err != nil {
				return false, fmt.Errorf("last approval of event %d: %w", x.id, err)
			}
			if x.spam <= approvedAt {
				return false, nil
			}
		}
		return true, s.decide(ctx, tx, x, "held", nil, "", x.reasons)
	}
	return false, nil
}

// decide records a moderation decision on x inside tx: the event's state, the decision
// row and its domain event. actor nil is the automatic checks.
func (s *Service) decide(ctx context.Context, tx pgx.Tx, x scored, decision string, actor *int64, reason string, reasons []string) error {
	_, err := tx.Exec(ctx, `UPDATE events SET moderation = $2, moderated_by = $3, moderated_at = now() WHERE id = $1`, x.id, decision, actor)
	if err != nil {
		return fmt.Errorf("%s event %d: %w", decision, x.id, err)
	}
	var at time.Time
	err = tx.QueryRow(ctx, `INSERT INTO moderation_decisions (event_id, decision, actor_id, reason, spam, reasons)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at`, x.id, decision, actor, reason, x.spam, nonNil(reasons)).Scan(&at)
	if err != nil {
		return fmt.Errorf("record the decision on event %d: %w", x.id, err)
	}
	m := ModerationMessage{Version: MessageVersion, EventID: x.id, Organizer: x.organizer, Title: x.event.Title, Category: x.category,
		City: strings.ToLower(x.city), Visibility: x.visibility, StartsAt: x.startsAt, Decision: decision, Reason: reason,
		Reasons: reasons, Spam: x.spam, OccurredAt: at}
	if actor != nil {
		m.ActorID = *actor
	}
	return natsbus.Enqueue(ctx, tx, "platform.moderation."+decision, m)
}

// backfill scores, in batches, the upcoming events that have no scores (those in the
// database before curation ran), without holding any, until none is left or ctx ends.
// Near-duplicates and organizers' floods are not looked for: they are about what is
// being published now.
func (s *Service) backfill(ctx context.Context) error {
	total, after := 0, int64(0)
	for ctx.Err() == nil {
		// In id order from where the last batch ended: each event is read once.
		rows, err := s.db.Query(ctx, `SELECT `+scoreColumns+` FROM events e
			WHERE e.id > $1 AND e.starts_at > now() AND e.status <> 'cancelled'
			AND NOT EXISTS (SELECT FROM event_scores s WHERE s.event_id = e.id) ORDER BY e.id LIMIT 500`, after)
		if err != nil {
			return fmt.Errorf("backfill scores: %w", err)
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (scored, error) { return scanScored(r) })
		if err != nil {
			return fmt.Errorf("backfill scores: %w", err)
		}
		if len(list) == 0 {
			break
		}
		batch := &pgx.Batch{}
		for _, x := range list {
			// The organizer's history is not read per event: a backfilled event is scored
			// as by an organizer with history.
			org := Organizer{Approved: 3, RecentlyCreated: 1}
			x.spam, x.reasons = Spam(x.event.Text, org, 0)
			x.quality, x.lacks = Quality(x.event, org)
			x.fingerprint = Fingerprint(x.event.Text)
			batch.Queue(`INSERT INTO event_scores (event_id, organizer_id, quality, lacks, spam, spam_reasons, fingerprint, starts_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING`,
				x.id, x.organizer, x.quality, nonNil(x.lacks), x.spam, nonNil(x.reasons), int64(x.fingerprint), x.startsAt)
		}
		if err := s.db.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("backfill scores: %w", err)
		}
		total += len(list)
		after = list[len(list)-1].id
	}
	if total > 0 {
		s.log.Info("curation: scored the events that had no scores", "events", total)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
