package curation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/changes"
	"github.com/events-platform/events-platform/internal/eventview"
	"github.com/events-platform/events-platform/internal/httpapi"
)

// TrendingEvent is an event as trending lists it.
type TrendingEvent struct {
	eventview.Event
	TrendingScore float64 `json:"trending_score" doc:"log10(1 + decayed activity) plus a bonus for starting soon"`
}

// FeaturedEvent is an event as featured lists it.
type FeaturedEvent struct {
	eventview.Event
	EditorPick   bool    `json:"editor_pick"`
	QualityScore float64 `json:"quality_score" doc:"0 to 1: how complete and credible the event looks"`
}

type trendingInput struct {
	City     string `query:"city" maxLength:"100"`
	Category string `query:"category" maxLength:"50"`
	Limit    int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

func (s *Service) handleTrending(ctx context.Context, in *trendingInput) (*httpapi.RawJSON, error) {
	board := s.board.Load()
	if board == nil {
		return nil, httpapi.Unavailable()
	}
	top := board.Trending(in.City, in.Category, in.Limit)
	key := fmt.Sprintf("t\x00%s\x00%s\x00%d", fold(in.City), fold(in.Category), in.Limit)
	body, err := cachedPage(ctx, s, key, in.Limit, top, func(e eventview.Event, x Scored) TrendingEvent {
		return TrendingEvent{Event: e, TrendingScore: x.Score}
	})
	if err != nil {
		return nil, s.fail(ctx, "trending", err)
	}
	return httpapi.JSON(body), nil
}

type featuredInput struct {
	City  string `query:"city" maxLength:"100"`
	Limit int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

func (s *Service) handleFeatured(ctx context.Context, in *featuredInput) (*httpapi.RawJSON, error) {
	board := s.board.Load()
	if board == nil {
		return nil, httpapi.Unavailable()
	}
	top := board.Featured(in.City, in.Limit)
	key := fmt.Sprintf("f\x00%s\x00%d", fold(in.City), in.Limit)
	body, err := cachedPage(ctx, s, key, in.Limit, top, func(e eventview.Event, x Scored) FeaturedEvent {
		return FeaturedEvent{Event: e, EditorPick: x.Pick, QualityScore: x.Score}
	})
	if err != nil {
		return nil, s.fail(ctx, "featured", err)
	}
	return httpapi.JSON(body), nil
}

// cachedPage returns the JSON of the page of the ranked events top (a list of limit),
// made by item from the events that may be shown: from the cache when a page of these
// events was made recently, else made once however many ask at the same time.
func cachedPage[T any](ctx context.Context, s *Service, key string, limit int, top []Scored, item func(eventview.Event, Scored) T) ([]byte, error) {
	ids := make([]int64, len(top))
	for i, x := range top {
		ids[i] = x.ID
	}
	if body, ok := s.pages.get(key, ids); ok {
		return body, nil
	}
	body, err, _ := s.making.Do(fmt.Sprint(key, ids), func() (any, error) {
		made := time.Now()
		// Not the request's context: the page is made for every request waiting for it.
		events, err := s.show(context.WithoutCancel(ctx), ids)
		if err != nil {
			return nil, err
		}
		byID := make(map[int64]Scored, len(top))
		for _, x := range top {
			byID[x.ID] = x
		}
		items := make([]T, len(events))
		for i, e := range events {
			items[i] = item(e, byID[e.ID])
		}
		body, err := json.Marshal(httpapi.List(items, httpapi.Page{Limit: limit}).Body)
		if err != nil {
			return nil, err
		}
		s.pages.put(key, ids, made, body)
		return body, nil
	})
	if err != nil {
		return nil, err
	}
	return body.([]byte), nil
}

// Pick is an editor's pick for featured.
type Pick struct {
	EventID  int64     `json:"event_id"`
	Title    string    `json:"title"`
	Position int       `json:"position"`
	Shown    bool      `json:"shown" doc:"false once the event started, or may not be shown (cancelled, held, private)"`
	PickedBy *int64    `json:"picked_by"`
	PickedAt time.Time `json:"picked_at"`
}

func (s *Service) handleListPicks(ctx context.Context, _ *struct{}) (*httpapi.ListOutput[Pick], error) {
	if _, err := requireCurator(ctx); err != nil {
		return nil, err
	}
	picks, err := s.picks(ctx, s.db)
	if err != nil {
		return nil, s.fail(ctx, "list picks", err)
	}
	return httpapi.List(picks, httpapi.Page{Limit: len(picks)}), nil
}

func (s *Service) picks(ctx context.Context, q changes.Querier) ([]Pick, error) {
	rows, err := q.Query(ctx, `SELECT p.event_id, e.title, p.position, `+showable+`, p.picked_by, p.picked_at
		FROM featured_picks p JOIN events e ON e.id = p.event_id ORDER BY p.position, p.picked_at, p.event_id`)
	if err != nil {
		return nil, fmt.Errorf("list picks: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Pick, error) {
		var p Pick
		err := r.Scan(&p.EventID, &p.Title, &p.Position, &p.Shown, &p.PickedBy, &p.PickedAt)
		return p, err
	})
}

type pickInput struct {
	EventID int64 `path:"event_id" minimum:"1"`
	Body    *struct {
		Position int `json:"position,omitempty" minimum:"1" doc:"from 1; the picks from there move down one. Default: last"`
	}
}

func (s *Service) handlePutPick(ctx context.Context, in *pickInput) (*httpapi.ListOutput[Pick], error) {
	id, err := requireCurator(ctx)
	if err != nil {
		return nil, err
	}
	position := 0
	if in.Body != nil {
		position = in.Body.Position
	}
	var picks []Pick
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		// One editor's change at a time: positions are read and moved together.
		if _, err := tx.Exec(ctx, `LOCK TABLE featured_picks IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		if err := requireShowable(ctx, tx, in.EventID); err != nil {
			return err
		}
		at, err := picksOrder.makeRoom(ctx, tx, in.EventID, position)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO featured_picks (event_id, position, picked_by) VALUES ($1, $2, $3)`,
			in.EventID, at, id.UserID); err != nil {
			return err
		}
		picks, err = s.picks(ctx, tx)
		return err
	})
	if err != nil {
		return nil, s.fail(ctx, "pick", err)
	}
	s.askRank()
	return httpapi.List(picks, httpapi.Page{Limit: len(picks)}), nil
}

// Removed answers a removal.
type Removed struct {
	Removed bool `json:"removed"`
}

func (s *Service) handleDeletePick(ctx context.Context, in *struct {
	EventID int64 `path:"event_id" minimum:"1"`
}) (*httpapi.Output[Removed], error) {
	if _, err := requireCurator(ctx); err != nil {
		return nil, err
	}
	tag, err := s.db.Exec(ctx, `DELETE FROM featured_picks WHERE event_id = $1`, in.EventID)
	if err != nil {
		return nil, s.fail(ctx, "unpick", err)
	}
	if tag.RowsAffected() == 0 {
		return nil, httpapi.NotFound("this event is not picked")
	}
	s.askRank()
	return httpapi.OK(Removed{Removed: true}), nil
}

// requireShowable checks that an event exists (404) and may be shown to everyone (409):
// what editors may pick or put in a collection.
func requireShowable(ctx context.Context, tx pgx.Tx, id int64) error {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT `+showable+` FROM events e WHERE e.id = $1`, id).Scan(&ok)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return errNotFound
	case err != nil:
		return fmt.Errorf("load event %d: %w", id, err)
	case !ok:
		return httpapi.Conflict("only an upcoming, published, public and approved event can be picked or collected")
	}
	return nil
}
