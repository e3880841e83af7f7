package curation

import (
	"context"
	"fmt"
	"time"

	"github.com/events-platform/events-platform/internal/changes"
)

// The board follows three tables (each replica its own board):
//   - events, by updated_at (package changes): an event that may be shown is tracked, one
//     that may no longer be (cancelled, held, made private, deleted) is forgotten;
//   - event_scores, by scored_at: the quality of what is tracked;
//   - analytics_event_hours, the analytics service's hourly counts of views, favorites
//     and registrations per event (registrations and favorites come from the domain
//     events, views from the clients): the hours that are done are added to the settled
//     heat once, the current and the previous hour (which late rows may still change) are
//     read again whole at every look.
// The editors' picks are read again at every look (there are few).

// heatWindow is how far back the heat is read at start: 14 half-lives, after which an
// interaction weighs less than a ten-thousandth of a fresh one.
const heatWindow = 14 * HalfLife

// showable is the condition on events (alias e) for trending, featured and collections:
// published, public, approved and not started.
const showable = `e.status = 'published' AND e.visibility = 'public' AND e.moderation = 'approved' AND e.starts_at > now()`

// heatSQL is an hour row's weight (interactions at the middle of the hour).
var heatSQL = fmt.Sprintf(`views * %d + favorites * %d + registrations * %d`, WeightView, WeightFavorite, WeightRegister)

// follower is where a board stands in the tables it follows.
type follower struct {
	built   time.Time
	board   *Board
	events  *changes.Follower
	scores  *changes.Follower
	settled time.Time // hours before it are in the settled heat (the database's clock)
}

// load builds a board from the tables.
func load(ctx context.Context, db changes.Querier) (*follower, error) {
	f := &follower{board: NewBoard(), built: time.Now()}
	var err error
	if f.events, err = changes.Start(ctx, db, "events", "id", "updated_at"); err != nil {
		return nil, err
	}
	if f.scores, err = changes.Start(ctx, db, "event_scores", "event_id", "scored_at"); err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT e.id, e.city, e.category, e.starts_at, coalesce(s.quality, 0)
		FROM events e LEFT JOIN event_scores s ON s.event_id = e.id WHERE `+showable)
	if err != nil {
		return nil, fmt.Errorf("load the board: %w", err)
	}
	var (
		id             int64
		city, category string
		startsAt       time.Time
		quality        float64
	)
	for rows.Next() {
		if err := rows.Scan(&id, &city, &category, &startsAt, &quality); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load the board: %w", err)
		}
		f.board.Track(id, city, category, startsAt)
		f.board.SetQuality(id, quality)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load the board: %w", err)
	}
	// The hours that are done, decayed to the end of the window in SQL.
	if err := db.QueryRow(ctx, `SELECT date_trunc('hour', now()) - interval '1 hour'`).Scan(&f.settled); err != nil {
		return nil, fmt.Errorf("load the board: %w", err)
	}
	rows, err = db.Query(ctx, `SELECT event_id, sum((`+heatSQL+`) * power(2.0::float8, -extract(epoch FROM $1 - hour - interval '30 minutes')::float8 / $2::float8))
		FROM analytics_event_hours WHERE hour >= $3 AND hour < $1 GROUP BY event_id`,
		f.settled, HalfLife.Seconds(), f.settled.Add(-heatWindow))
	if err != nil {
		return nil, fmt.Errorf("load the heat: %w", err)
	}
	var heat float64
	for rows.Next() {
		if err := rows.Scan(&id, &heat); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load the heat: %w", err)
		}
		f.board.settled[id] = Heat{Value: heat, At: f.settled}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load the heat: %w", err)
	}
	return f, f.next(ctx, db)
}

// next reads what changed since the last look into the board and ranks it again.
func (f *follower) next(ctx context.Context, db changes.Querier) error {
	if err := f.followEvents(ctx, db); err != nil {
		return err
	}
	if err := f.followScores(ctx, db); err != nil {
		return err
	}
	if err := f.followHeat(ctx, db); err != nil {
		return err
	}
	if err := f.readPicks(ctx, db); err != nil {
		return err
	}
	var now time.Time
	if err := db.QueryRow(ctx, `SELECT now()`).Scan(&now); err != nil {
		return fmt.Errorf("rank: %w", err)
	}
	f.board.Rank(now)
	return nil
}

func (f *follower) followEvents(ctx context.Context, db changes.Querier) error {
	ids, mark, err := f.events.Next(ctx, db)
	if err != nil || len(ids) == 0 {
		return err
	}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 1000)]
		ids = ids[len(batch):]
		rows, err := db.Query(ctx, `SELECT e.id, `+showable+`, e.city, e.category, e.starts_at, coalesce(s.quality, 0)
			FROM events e LEFT JOIN event_scores s ON s.event_id = e.id WHERE e.id = ANY($1)`, batch)
		if err != nil {
			return fmt.Errorf("follow events: %w", err)
		}
		var (
			id             int64
			ok             bool
			city, category string
			startsAt       time.Time
			quality        float64
		)
		found := map[int64]bool{}
		for rows.Next() {
			if err := rows.Scan(&id, &ok, &city, &category, &startsAt, &quality); err != nil {
				rows.Close()
				return fmt.Errorf("follow events: %w", err)
			}
			found[id] = true
			if ok {
				f.board.Track(id, city, category, startsAt)
				f.board.SetQuality(id, quality)
			} else {
				f.board.Forget(id)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("follow events: %w", err)
		}
		for _, id := range batch {
			if !found[id] {
				f.board.Forget(id) // deleted
			}
		}
	}
	mark()
	return nil
}

func (f *follower) followScores(ctx context.Context, db changes.Querier) error {
	ids, mark, err := f.scores.Next(ctx, db)
	if err != nil || len(ids) == 0 {
		return err
	}
	rows, err := db.Query(ctx, `SELECT event_id, quality FROM event_scores WHERE event_id = ANY($1)`, ids)
	if err != nil {
		return fmt.Errorf("follow scores: %w", err)
	}
	var (
		id      int64
		quality float64
	)
	for rows.Next() {
		if err := rows.Scan(&id, &quality); err != nil {
			rows.Close()
			return fmt.Errorf("follow scores: %w", err)
		}
		f.board.SetQuality(id, quality)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("follow scores: %w", err)
	}
	mark()
	return nil
}

// followHeat adds the hours done since the last look to the settled heat, and reads the
// current and the previous hour again as the recent heat.
func (f *follower) followHeat(ctx context.Context, db changes.Querier) error {
	var window time.Time
	if err := db.QueryRow(ctx, `SELECT date_trunc('hour', now()) - interval '1 hour'`).Scan(&window); err != nil {
		return fmt.Errorf("follow the heat: %w", err)
	}
	rows, err := db.Query(ctx, `SELECT event_id, hour, `+heatSQL+` FROM analytics_event_hours WHERE hour >= $1`, f.settled)
	if err != nil {
		return fmt.Errorf("follow the heat: %w", err)
	}
	var (
		id     int64
		hour   time.Time
		weight float64
	)
	done := map[int64][]Heat{}
	recent := map[int64]Heat{}
	for rows.Next() {
		if err := rows.Scan(&id, &hour, &weight); err != nil {
			rows.Close()
			return fmt.Errorf("follow the heat: %w", err)
		}
		at := hour.Add(30 * time.Minute)
		if hour.Before(window) {
			done[id] = append(done[id], Heat{Value: weight, At: at})
		} else {
			recent[id] = recent[id].Add(weight, at)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("follow the heat: %w", err)
	}
	for id, hs := range done {
		for _, h := range hs {
			f.board.Add(id, h.Value, h.At)
		}
	}
	f.board.SetRecent(recent)
	f.settled = window
	return nil
}

func (f *follower) readPicks(ctx context.Context, db changes.Querier) error {
	rows, err := db.Query(ctx, `SELECT event_id FROM featured_picks ORDER BY position, picked_at, event_id`)
	if err != nil {
		return fmt.Errorf("read the picks: %w", err)
	}
	var picks []int64
	var id int64
	for rows.Next() {
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("read the picks: %w", err)
		}
		picks = append(picks, id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the picks: %w", err)
	}
	f.board.SetPicks(picks)
	return nil
}
