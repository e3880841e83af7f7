package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/eventview"
)

// The index is fed from the events table (read as every service reads it, through
// eventview): Load builds it from every searchable event, and Refresh brings the events
// a domain event names up to date.

// Querier is a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// searchable reports whether clients may find an event by searching: published, public,
// approved by moderation and not yet over.
func searchable(e eventview.Event, now time.Time) bool {
	end := e.StartsAt()
	if e.EndDate != nil {
		end = *e.EndDate
	}
	return e.Status == "published" && e.Visibility == "public" && e.Moderation == "approved" && !end.Before(now)
}

func docOf(e eventview.Event) Doc {
	d := Doc{ID: e.ID, Title: e.Title, Tags: e.Tags, Category: e.Category, Description: e.Description,
		StartsAt: e.StartsAt(), Price: e.Price}
	if e.Location != nil {
		d.City, d.Lat, d.Lng = e.Location.City, e.Location.Lat, e.Location.Lng
	}
	return d
}

// Load builds an index of every searchable event.
func Load(ctx context.Context, db Querier) (*Index, error) {
	rows, err := db.Query(ctx, `SELECT `+eventview.Columns("")+` FROM events
		WHERE status = 'published' AND visibility = 'public' AND moderation = 'approved' AND coalesce(ends_at, starts_at) >= now()`)
	if err != nil {
		return nil, fmt.Errorf("load the search index: %w", err)
	}
	now := time.Now()
	var docs []Doc
	for rows.Next() {
		e, err := eventview.Scan(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("load the search index: %w", err)
		}
		if searchable(e, now) {
			docs = append(docs, docOf(e))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load the search index: %w", err)
	}
	return Build(docs), nil
}

// Refresh reads the events with ids and puts those clients may find, removing the others
// (made private, held or rejected by moderation, unpublished, cancelled, over or deleted).
func (ix *Index) Refresh(ctx context.Context, db Querier, ids ...int64) error {
	rows, err := db.Query(ctx, `SELECT `+eventview.Columns("")+` FROM events WHERE id = ANY($1)`, ids)
	if err != nil {
		return fmt.Errorf("refresh the search index: %w", err)
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (eventview.Event, error) { return eventview.Scan(r) })
	if err != nil {
		return fmt.Errorf("refresh the search index: %w", err)
	}
	now := time.Now()
	found := map[int64]bool{}
	for _, e := range events {
		found[e.ID] = true
		if searchable(e, now) {
			ix.Put(docOf(e))
		} else {
			ix.Remove(e.ID)
		}
	}
	for _, id := range ids {
		if !found[id] {
			ix.Remove(id)
		}
	}
	return nil
}
