// Package search is the search service: full-text search over published, public, upcoming
// events with prefixes as people type, typo tolerance, category, city, date, price and
// radius filters, relevance, date and distance order, exact facets, keyset pagination,
// highlighted snippets, and autocomplete.
//
// Searches are answered from an in-memory index (package engine) that each replica builds
// from the events table when it starts, and keeps up to date by reading the events changed
// since it last looked (follow.go); PostgreSQL is read only for the rows of a page. A
// replica reports ready once its index is built.
//
// The files follow the service template: service.go (Options, New, Run), routes.go (the
// API surface), handle_search.go and handle_suggest.go (the handlers), inputs.go (query
// parameter checks), response.go (what a search answers), cursor.go, store.go (the page's
// rows) and follow.go (the index: built, followed, rebuilt).
package search

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/httpserver"
	"github.com/events-platform/events-platform/services/search/engine"
)

// Options are the search service's dependencies.
type Options struct {
	Log *slog.Logger
	// DB is read for the index and the pages' rows. Search only reads: it may be a
	// read-only replica (DATABASE_READ_URL), whose lag then adds to how stale a search is.
	DB       *pgxpool.Pool
	Verifier *auth.Verifier
	Version  string
	// FollowEvery is how often the index reads the events changed since (default 1s).
	FollowEvery time.Duration
	// RebuildEvery is how often the index is built afresh, dropping the events that ended
	// and renumbering the changed ones in start order (default 24h; sooner when a quarter
	// of it changed).
	RebuildEvery time.Duration
}

// Service serves the search API.
type Service struct {
	log          *slog.Logger
	db           *pgxpool.Pool
	followEvery  time.Duration
	rebuildEvery time.Duration
	index        atomic.Pointer[engine.Index]
	syncMu       sync.Mutex
	follow       *follower // Sync's alone
	api          huma.API
	handler      http.Handler
}

// New returns the search service with its routes. It answers 503 until its index is built
// (Run, or Sync).
func New(opts Options) *Service {
	if opts.FollowEvery <= 0 {
		opts.FollowEvery = time.Second
	}
	if opts.RebuildEvery <= 0 {
		opts.RebuildEvery = 24 * time.Hour
	}
	s := &Service{log: opts.Log, db: opts.DB, followEvery: opts.FollowEvery, rebuildEvery: opts.RebuildEvery}
	mux := http.NewServeMux()
	s.api = httpapi.NewAPI(mux, "Events Platform: search", opts.Version)
	s.routes()
	s.handler = auth.Middleware(opts.Verifier)(httpserver.RecordRoute(mux))
	return s
}

// Handler serves the service's routes (and /openapi.json).
func (s *Service) Handler() http.Handler { return s.handler }

// OpenAPI returns the service's OpenAPI document.
func (s *Service) OpenAPI(context.Context) ([]byte, error) { return s.api.OpenAPI().MarshalJSON() }

// errLoading is what readiness says until the index is built.
var errLoading = errors.New("the search index is being built")

// Ready reports whether the index is built: until then the replica takes no traffic.
func (s *Service) Ready(context.Context) error {
	if s.index.Load() == nil {
		return errLoading
	}
	return nil
}

// Run builds the index and keeps it up to date until ctx ends (see Sync). While PostgreSQL
// is unreachable it keeps trying, and a built index goes on answering as it last was.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.followEvery)
	defer t.Stop()
	for {
		if err := s.Sync(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("search index", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
