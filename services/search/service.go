// Package search is the search service: full-text search over published, upcoming events
// (weighted tsvector with GIN, websearch_to_tsquery), typo tolerance with pg_trgm, geo
// radius and distance order with earthdistance, facets, keyset pagination, highlighted
// snippets, and autocomplete. Results are cached in Redis briefly; the cache is dropped
// when the events service announces a change on NATS.
//
// The files follow the service template: service.go (Options, New, Run), routes.go (the
// API surface), handle_search.go and handle_suggest.go (the handlers), inputs.go (query
// parameter checks), response.go (what a search answers), cursor.go, query.go (the SQL of
// a search) and store.go (running it), typos.go, cells.go (place cells), terms.go (the
// autocomplete terms), cache.go (Redis) and consume.go (NATS).
package search

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	goredis "github.com/redis/go-redis/v9"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/httpserver"
)

// Options are the search service's dependencies.
type Options struct {
	Log      *slog.Logger
	DB       *pgxpool.Pool
	Redis    *goredis.Client // nil: no cache
	JS       jetstream.JetStream
	Verifier *auth.Verifier
	Version  string
	// CacheTTL bounds how stale a cached page can be (default 30s; negative: no cache).
	CacheTTL time.Duration
	// KeyPrefix namespaces Redis keys and the consumer name (tests share servers).
	KeyPrefix string
	// RefreshEvery is the least time between refreshes of the autocomplete terms (default 30s).
	RefreshEvery time.Duration
}

// Service serves the search API.
type Service struct {
	log          *slog.Logger
	db           *pgxpool.Pool
	rdb          *goredis.Client
	js           jetstream.JetStream
	ttl          time.Duration
	prefix       string
	version      string // in cache keys: a release that changes the answers' shape never reads an older release's pages
	refreshEvery time.Duration
	termsDirty   atomic.Bool
	api          huma.API
	handler      http.Handler
}

// New returns the search service with its routes.
func New(opts Options) *Service {
	if opts.CacheTTL == 0 {
		opts.CacheTTL = 30 * time.Second
	}
	if opts.RefreshEvery <= 0 {
		opts.RefreshEvery = 30 * time.Second
	}
	s := &Service{log: opts.Log, db: opts.DB, rdb: opts.Redis, js: opts.JS, ttl: opts.CacheTTL, prefix: opts.KeyPrefix,
		version: opts.Version, refreshEvery: opts.RefreshEvery}
	if s.ttl < 0 {
		s.rdb = nil
	}
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

// Run consumes the events service's domain events until ctx ends: each event change
// invalidates the cache, and the autocomplete terms are refreshed at most every
// RefreshEvery while changes keep coming. When NATS is unreachable it keeps trying; the
// cache then expires by its TTL.
func (s *Service) Run(ctx context.Context) error {
	s.termsDirty.Store(true) // events may have changed while no search service ran
	var consuming jetstream.ConsumeContext
	defer func() {
		if consuming != nil {
			consuming.Stop()
		}
	}()
	t := time.NewTicker(s.refreshEvery)
	defer t.Stop()
	for {
		if s.js != nil && consuming == nil {
			cc, err := s.consume(ctx)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("search cache consumer", "err", err)
			}
			consuming = cc
		}
		if s.termsDirty.Swap(false) {
			if err := s.RefreshTerms(ctx); err != nil && ctx.Err() == nil {
				s.termsDirty.Store(true)
				s.log.Warn("refresh search terms", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
