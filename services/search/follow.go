package search

import (
	"context"
	"fmt"
	"time"

	"github.com/events-platform/events-platform/services/search/engine"
)

// The index follows the events table by updated_at (events_updated_at_idx): every writer
// sets it, and the trigger events_touch (migration 0009_search_in_memory_index) sets it
// whenever something a search shows or filters on changes. Each look reads the events
// whose updated_at is at most followOverlap before the newest seen: a transaction stamps
// its rows with its start time but they appear when it commits, so a row can show up with
// a time older than one already seen. Events are read again only when their updated_at
// changed.
//
// No message is needed, and none can be lost: a replica that was cut off from PostgreSQL
// reads what changed meanwhile at its next look. Drafts are deleted without a trace, but
// drafts were never in the index.
const followOverlap = time.Minute

// refreshBatch bounds the events read again in one statement.
const refreshBatch = 1000

// follower is where the index stands in the events table.
type follower struct {
	ix    *engine.Index
	built time.Time           // when ix was loaded
	since time.Time           // the newest updated_at seen (the database's clock)
	seen  map[int64]time.Time // the updated_at of the events read within followOverlap of since
}

// Sync builds the index when there is none, and otherwise reads into it the events changed
// since the last call; it builds the index afresh every RebuildEvery, or when a quarter of
// it was changed since it was built (changed events are walked less cheaply, see
// engine.Index.Delta). Run calls it every FollowEvery; tests call it to see their writes.
func (s *Service) Sync(ctx context.Context) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	f := s.follow
	if f == nil || time.Since(f.built) > s.rebuildEvery || f.ix.Delta() > max(10_000, f.ix.Len()/4) {
		nf, err := s.load(ctx)
		if err != nil {
			return err
		}
		s.follow, f = nf, nf
		s.index.Store(nf.ix)
	}
	return f.next(ctx, s)
}

// load builds an index of every searchable event, and warms the pool for the pages.
func (s *Service) load(ctx context.Context) (*follower, error) {
	start := time.Now()
	f := &follower{seen: map[int64]time.Time{}, built: start}
	// The database's clock, before the index's snapshot: what commits after it is followed.
	if err := s.db.QueryRow(ctx, `SELECT now()`).Scan(&f.since); err != nil {
		return nil, fmt.Errorf("build the search index: %w", err)
	}
	ix, err := engine.Load(ctx, s.db)
	if err != nil {
		return nil, err
	}
	f.ix = ix
	if err := s.warm(ctx); err != nil {
		return nil, err
	}
	s.log.Info("search index built", "events", ix.Len(), "bytes", ix.MemoryBytes(), "took", time.Since(start).Round(time.Millisecond))
	return f, nil
}

// next reads into the index the events changed since the last look.
func (f *follower) next(ctx context.Context, s *Service) error {
	rows, err := s.db.Query(ctx, `SELECT id, updated_at FROM events WHERE updated_at >= $1 ORDER BY updated_at`,
		f.since.Add(-followOverlap))
	if err != nil {
		return fmt.Errorf("follow the events: %w", err)
	}
	var (
		changed []int64
		id      int64
		at      time.Time
	)
	newest := f.since
	seen := map[int64]time.Time{}
	for rows.Next() {
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return fmt.Errorf("follow the events: %w", err)
		}
		if prev, ok := f.seen[id]; !ok || !prev.Equal(at) {
			changed = append(changed, id)
		}
		seen[id] = at
		newest = maxTime(newest, at)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("follow the events: %w", err)
	}
	for len(changed) > 0 {
		n := min(len(changed), refreshBatch)
		if err := f.ix.Refresh(ctx, s.db, changed[:n]...); err != nil {
			return err // seen is kept as it was: the next look reads them again
		}
		changed = changed[n:]
	}
	f.since, f.seen = newest, seen
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
