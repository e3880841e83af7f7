// Package curation is the curation service: trending and featured events, editors'
// collections, and the moderation of what organizers publish.
//
// Trending and featured are answered from a board in memory (trending.go), which each
// replica keeps up to date by following the events, their scores and the analytics
// service's hourly counts (follow.go) every RankEvery, and sooner after a domain event
// that changes them: a request reads the last ranking and a cached page, never a scan.
// The hot score and its constants are in hot.go; the quality and spam scores in spam.go.
//
// Moderation: an event is scored when it is created or changed (scoring.go, from the
// domain events in consume.go); a published event whose organizer is not trusted yet is
// held by the events service as it publishes, one whose spam score passes the threshold
// is held here. Editors and administrators work the queue (moderation.go); every
// decision is kept and is a domain event (messages.go).
//
// The files follow the service template: service.go (Options, New, Run), routes.go (the
// API surface), trending.go, follow.go, pages.go (the events of a page), featured.go,
// collections.go, moderation.go, scoring.go, consume.go and metrics.go.
package curation

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
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/httpserver"
	"github.com/events-platform/events-platform/internal/natsbus"
)

// Options are the curation service's dependencies.
type Options struct {
	Log *slog.Logger
	DB  *pgxpool.Pool
	// Bus brings the domain events that score events and move trending.
	Bus      *natsbus.Bus
	Verifier *auth.Verifier
	Version  string
	// TrustAfter is how many of an organizer's events an editor or administrator must
	// approve before their events skip the queue; it must be the events service's.
	TrustAfter int
	// Consumer names the durable JetStream consumer the replicas share for scoring
	// (default "curation").
	Consumer string
	// RankEvery is how often the board is brought up to date (default 5 s).
	RankEvery time.Duration
	// RebuildEvery is how often the board is built afresh (default 1 h), which also counts
	// interactions analytics recorded late for hours the board had settled.
	RebuildEvery time.Duration
	// Registry takes the service's metrics; nil: none.
	Registry prometheus.Registerer
}

// Service serves the curation API.
type Service struct {
	log        *slog.Logger
	db         *pgxpool.Pool
	bus        *natsbus.Bus
	consumer   string
	trustAfter int
	rankEvery  time.Duration
	// rebuildEvery is how often Sync builds the board afresh.
	rebuildEvery time.Duration
	metrics      *metrics
	api          huma.API
	handler      http.Handler

	// syncMu serialises Sync; follow is its own.
	syncMu sync.Mutex
	follow *follower
	board  atomic.Pointer[Board]
	pages  *pageCache
	// making makes a missing page once for the requests that want it at the same time.
	making singleflight.Group
	// rank asks Run to bring the board up to date soon.
	rank chan struct{}
	lag  natsbus.Lag
}

// New returns the curation service with its routes; Run loads the board and follows.
func New(opts Options) *Service {
	if opts.Consumer == "" {
		opts.Consumer = "curation"
	}
	if opts.RankEvery <= 0 {
		opts.RankEvery = 5 * time.Second
	}
	if opts.RebuildEvery <= 0 {
		opts.RebuildEvery = time.Hour
	}
	s := &Service{log: opts.Log, db: opts.DB, bus: opts.Bus, consumer: opts.Consumer, trustAfter: opts.TrustAfter,
		rankEvery: opts.RankEvery, rebuildEvery: opts.RebuildEvery, rank: make(chan struct{}, 1), pages: newPageCache()}
	s.metrics = newMetrics(opts.Registry, s)
	mux := http.NewServeMux()
	s.api = httpapi.NewAPI(mux, "Events Platform: curation", opts.Version)
	s.routes()
	s.handler = auth.Middleware(opts.Verifier)(httpserver.RecordRoute(mux))
	return s
}

// Handler serves the service's routes (and /openapi.json).
func (s *Service) Handler() http.Handler { return s.handler }

// OpenAPI returns the service's OpenAPI document.
func (s *Service) OpenAPI(context.Context) ([]byte, error) { return s.api.OpenAPI().MarshalJSON() }

// Ready reports (as an error) whether the board is loaded.
func (s *Service) Ready(context.Context) error {
	if s.board.Load() == nil {
		return errors.New("curation board not loaded yet")
	}
	return nil
}

// Run loads the board (retrying until PostgreSQL answers), scores the events that have
// no scores, then follows the tables and the domain events until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		err := s.Sync(ctx)
		if err == nil {
			break
		}
		s.log.Warn("curation: load the board", "err", err)
		sleep(ctx, 2*time.Second)
	}
	go func() {
		if err := s.backfill(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("curation: backfill scores", "err", err)
		}
	}()
	go s.followLoop(ctx)
	for ctx.Err() == nil {
		if err := s.consume(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("curation: domain events", "err", err)
			sleep(ctx, time.Second)
		}
	}
	return nil
}

// followLoop brings the board up to date every rankEvery, and a second after a domain
// event asked (a burst is read once).
func (s *Service) followLoop(ctx context.Context) {
	tick := time.NewTicker(s.rankEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.rank:
			sleep(ctx, time.Second)
		}
		if err := s.Sync(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("curation: follow", "err", err)
		}
	}
}

// Sync builds the board when there is none or it is older than rebuildEvery, and
// otherwise reads into it what changed since the last call; then it ranks again. Run
// calls it; tests call it to see their writes.
func (s *Service) Sync(ctx context.Context) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	start := time.Now()
	if s.follow == nil || time.Since(s.follow.built) > s.rebuildEvery {
		f, err := load(ctx, s.db)
		if err != nil {
			return err
		}
		s.follow = f
		s.board.Store(f.board)
		s.log.Info("curation board loaded", "events", f.board.Len(), "took", time.Since(start).Round(time.Millisecond))
	} else if err := s.follow.next(ctx, s.db); err != nil {
		return err
	}
	s.metrics.rankSeconds.Observe(time.Since(start).Seconds())
	return nil
}

func (s *Service) askRank() {
	select {
	case s.rank <- struct{}{}:
	default:
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

var (
	errNotFound           = errors.New("event not found")
	errCollectionNotFound = errors.New("collection not found")
)

// fail maps an error to what the client sees; anything unexpected is logged and is a 500.
func (s *Service) fail(ctx context.Context, op string, err error) error {
	switch {
	case errors.Is(err, errNotFound):
		return httpapi.NotFound("event not found")
	case errors.Is(err, errCollectionNotFound):
		return httpapi.NotFound("collection not found")
	}
	return httpapi.Fail(ctx, s.log, op, err)
}

// requireCurator returns the caller when they are an editor or an administrator: 401
// anonymous, 403 anyone else.
func requireCurator(ctx context.Context) (auth.Identity, error) {
	return auth.RequireRole(ctx, auth.RoleEditor, auth.RoleAdmin)
}
