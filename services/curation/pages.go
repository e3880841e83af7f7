package curation

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/eventview"
)

// showSQL reads the events of a page by id, as every service shows them, checking again
// that they may be shown: the board can be a moment behind a change, never a page.
var showSQL = `SELECT ` + eventview.Columns("e.") + ` FROM events e WHERE e.id = ANY($1) AND ` + showable

// show returns the events with ids that may be shown, in the order of ids.
func (s *Service) show(ctx context.Context, ids []int64) ([]eventview.Event, error) {
	if len(ids) == 0 {
		return []eventview.Event{}, nil
	}
	rows, err := s.db.Query(ctx, showSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("read the page: %w", err)
	}
	byID := make(map[int64]eventview.Event, len(ids))
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
		e, err := eventview.Scan(row)
		byID[e.ID] = e
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the page: %w", err)
	}
	out := make([]eventview.Event, 0, len(ids))
	for _, id := range ids {
		if e, ok := byID[id]; ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// pageCache keeps the pages of trending and featured, encoded: a page is made again from
// PostgreSQL only when the events it lists changed (a ranking moved them) or it is older
// than pageMaxAge (seat counts and scores move too), however many ask meanwhile.
type pageCache struct {
	mu    sync.Mutex
	pages map[string]storedPage
}

type storedPage struct {
	ids  []int64   // the events it lists, in order
	made time.Time //
	body []byte    // the response, encoded
}

// pageMaxAge bounds how old a page's events (seats left, scores) may be.
const pageMaxAge = 10 * time.Second

// maxCachedPages bounds the cache: past it, it starts again empty.
const maxCachedPages = 10_000

func newPageCache() *pageCache { return &pageCache{pages: map[string]storedPage{}} }

// get returns the page cached for key when it lists ids and is recent enough.
func (c *pageCache) get(key string, ids []int64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pages[key]
	if !ok || time.Since(p.made) > pageMaxAge || !slices.Equal(p.ids, ids) {
		return nil, false
	}
	return p.body, true
}

func (c *pageCache) put(key string, ids []int64, made time.Time, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pages) >= maxCachedPages {
		clear(c.pages)
	}
	c.pages[key] = storedPage{ids: ids, made: made, body: body}
}
