package search

import (
	"context"
	"fmt"
	"time"
	_ "time/tzdata" // event time zones must resolve on minimal images too

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/eventview"
)

// pageSQL reads the events of a page by id, as every service shows them. It checks again
// that they may be shown: the index can be a moment behind a change, never a page.
var pageSQL = `SELECT ` + eventview.Columns("") + ` FROM events
	WHERE id = ANY($1) AND status = 'published' AND visibility = 'public' AND moderation = 'approved'`

// events returns the events with ids that clients may find, by id.
func (s *Service) events(ctx context.Context, ids []int64) (map[int64]eventview.Event, error) {
	out := make(map[int64]eventview.Event, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.db.Query(ctx, pageSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("read the page: %w", err)
	}
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
		e, err := eventview.Scan(row)
		out[e.ID] = e
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the page: %w", err)
	}
	return out, nil
}

// warmConns is how many of the pool's connections warm opens, at most half of them: the
// pool is shared with the process's other modules, which may hold some for long.
const warmConns = 8

// warm opens connections and reads a page on each before the replica reports ready: a new
// PostgreSQL backend is several times slower for its first statements (it loads the
// catalog and plans), which the first users of a new replica would otherwise wait for.
func (s *Service) warm(ctx context.Context) error {
	var ids []int64
	if ix := s.index.Load(); ix != nil {
		return nil // warmed when the index was first built
	}
	rows, err := s.db.Query(ctx, `SELECT id FROM events ORDER BY id DESC LIMIT 20`)
	if err == nil {
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	}
	if err != nil {
		return fmt.Errorf("warm the pool: %w", err)
	}
	// Each connection is held until all are open, so that each is a new one.
	var conns []*pgxpool.Conn
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for range max(1, min(warmConns, int(s.db.Config().MaxConns)/2)) {
		conn, err := s.db.Acquire(ctx)
		if err != nil {
			return fmt.Errorf("warm the pool: %w", err)
		}
		conns = append(conns, conn)
		rows, err := conn.Query(ctx, pageSQL, ids)
		if err == nil {
			rows.Close()
			err = rows.Err()
		}
		if err != nil {
			return fmt.Errorf("warm the pool: %w", err)
		}
	}
	return nil
}
