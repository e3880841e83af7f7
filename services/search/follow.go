package search

import (
	"context"
	"fmt"
	"time"

	"github.com/events-platform/events-platform/internal/changes"
	"github.com/events-platform/events-platform/services/search/engine"
)

// The index follows the events table by updated_at (events_updated_at_idx, through package
// changes): every writer sets it, and the trigger events_touch (migrations 0009 and 0012)
// sets it whenever something a search shows or filters on changes. Events are read again
// only when their updated_at changed. Drafts are deleted without a trace, but drafts were
// never in the index.

// refreshBatch bounds the events read again in one statement.
const refreshBatch = 1000

// follower is where the index stands in the events table.
type follower struct {
	ix      *engine.Index
	built   time.Time // when ix was loaded
	changes *changes.Follower
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
	// Started before the index's snapshot: what commits after it is followed.
	ch, err := changes.Start(ctx, s.db, "events", "id", "updated_at")
	if err != nil {
		return nil, fmt.Errorf("build the search index: %w", err)
	}
	f := &follower{built: start, changes: ch}
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
	changed, mark, err := f.changes.Next(ctx, s.db)
	if err != nil {
		return err
	}
	for len(changed) > 0 {
		n := min(len(changed), refreshBatch)
		if err := f.ix.Refresh(ctx, s.db, changed[:n]...); err != nil {
			return err // not marked: the next look reads them again
		}
		changed = changed[n:]
	}
	mark()
	return nil
}
