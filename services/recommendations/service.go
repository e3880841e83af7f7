// Package recommendations is the recommendations service: personalised, similar-event and
// popular recommendations from the newest promoted model, and feedback on them.
//
// `platform retrain` (package retrain) trains the models and stores them in the registry
// (package registry); this service loads the live one at start and swaps in each newly
// promoted one when `platform.model.promoted` arrives, without failing or mixing a
// request: a request reads one served view (model and catalogue together) through an
// atomic pointer. A user's history is what the model saw at training plus what the events
// tables hold since (registrations, favorites, feedback), so a new registration counts at
// once; a new event is recommended from its text before any retraining.
//
// The files follow the service template: service.go (Options, New, Run), routes.go (the
// API surface), catalogue.go (what may be recommended, and the served view),
// recommend.go (ranking, exclusions, diversity, reasons), history.go, similar.go,
// feedback.go, models.go, cache.go, consume.go and metrics.go.
package recommendations

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/httpserver"
	"github.com/events-platform/events-platform/internal/natsbus"
	"github.com/events-platform/events-platform/services/recommendations/model"
	"github.com/events-platform/events-platform/services/recommendations/registry"
)

// Options are the recommendations service's dependencies.
type Options struct {
	Log *slog.Logger
	DB  *pgxpool.Pool
	// Redis caches each user's recommendations; nil or down: no cache.
	Redis *goredis.Client
	// Bus brings model promotions, registrations (which invalidate a user's cache) and
	// event changes (which refresh the catalogue).
	Bus      *natsbus.Bus
	Verifier *auth.Verifier
	Version  string
	// CacheTTL bounds how long a user's recommendations are reused (default 2 minutes).
	CacheTTL time.Duration
	// CachePrefix is put before the cache's keys (tests sharing a Redis set their own).
	CachePrefix string
	// Registry takes the service's metrics; nil: none.
	Registry prometheus.Registerer
}

// Service serves the recommendations API.
type Service struct {
	log     *slog.Logger
	db      *pgxpool.Pool
	bus     *natsbus.Bus
	cache   *cache
	metrics *metrics
	api     huma.API
	handler http.Handler

	view atomic.Pointer[served]
	// refresh asks Run to reload the catalogue (a domain event changed an event).
	refresh chan struct{}
	// reload serialises rebuilding the view: a model swap and a catalogue refresh at
	// once would otherwise lose one of them.
	reload sync.Mutex
	// snap is the live model the view was built from (guarded by reload).
	snap    *model.Snapshot
	version registry.Version
}

// New returns the recommendations service with its routes; Run loads the model and the
// catalogue and follows their changes.
func New(opts Options) *Service {
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = 2 * time.Minute
	}
	s := &Service{log: opts.Log, db: opts.DB, bus: opts.Bus, refresh: make(chan struct{}, 1)}
	s.metrics = newMetrics(opts.Registry, s.modelAge)
	s.cache = &cache{rdb: opts.Redis, ttl: opts.CacheTTL, prefix: opts.CachePrefix, log: opts.Log}
	mux := http.NewServeMux()
	s.api = httpapi.NewAPI(mux, "Events Platform: recommendations", opts.Version)
	s.routes()
	s.handler = auth.Middleware(opts.Verifier)(httpserver.RecordRoute(mux))
	return s
}

// Handler serves the service's routes (and /openapi.json).
func (s *Service) Handler() http.Handler { return s.handler }

// OpenAPI returns the service's OpenAPI document.
func (s *Service) OpenAPI(context.Context) ([]byte, error) { return s.api.OpenAPI().MarshalJSON() }

// Ready reports (as an error) whether the service has a catalogue to recommend from (a
// model is not needed: without one it recommends what is popular).
func (s *Service) Ready(context.Context) error {
	if s.view.Load() == nil {
		return errors.New("recommendations catalogue not loaded yet")
	}
	return nil
}

// Run loads the live model and the catalogue (retrying until PostgreSQL answers), then
// follows model promotions, registrations and event changes until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		err := s.Reload(ctx, true)
		if err == nil {
			break
		}
		s.log.Warn("recommendations: load", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
	go s.refreshLoop(ctx)
	for ctx.Err() == nil {
		if err := s.consume(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("recommendations: domain events", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

// refreshLoop reloads the catalogue every refreshEvery, and a second after a domain
// event asked for it (changes in a burst are loaded once).
func (s *Service) refreshLoop(ctx context.Context) {
	tick := time.NewTicker(refreshEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.refresh:
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
		if err := s.Reload(ctx, false); err != nil && ctx.Err() == nil {
			s.log.Warn("recommendations: refresh catalogue", "err", err)
		}
	}
}

// Reload rebuilds the served view from the catalogue and the newest promoted model
// (loaded when it is not the one served: always when withModel, after checking the live
// version otherwise). A model that cannot be loaded leaves the current one serving.
func (s *Service) Reload(ctx context.Context, withModel bool) error {
	s.reload.Lock()
	defer s.reload.Unlock()
	if !withModel {
		live, err := registry.LiveVersion(ctx, s.db)
		if err != nil {
			return err
		}
		withModel = live != s.version.Version
	}
	if withModel {
		v, snap, err := registry.Live(ctx, s.db)
		switch {
		case errors.Is(err, registry.ErrNoModel):
		case errors.Is(err, registry.ErrPruned), errors.Is(err, registry.ErrUndecodable):
			// Kept serving what it served; the catalogue still refreshes.
			s.log.Warn("recommendations: live model cannot be served", "version", v.Version, "err", err)
		case err != nil:
			return fmt.Errorf("load live model: %w", err)
		case v.Version != s.version.Version:
			s.snap, s.version = snap, v
			s.log.Info("recommendations: serving model", "version", v.Version, "items", len(snap.ItemIDs))
		}
	}
	rows, err := s.loadCatalogue(ctx)
	if err != nil {
		return err
	}
	sv := join(s.version, s.snap, rows, time.Now())
	s.view.Store(sv) // the old view is freed once its last request ends
	s.metrics.version.Set(float64(sv.version.Version))
	s.metrics.catalogue.Set(float64(len(sv.cands)))
	return nil
}

// modelAge is how old the served model is, in seconds (0 without one).
func (s *Service) modelAge() float64 {
	sv := s.view.Load()
	if sv == nil || sv.version.Version == 0 {
		return 0
	}
	return time.Since(sv.version.CreatedAt).Seconds()
}

var (
	errNotFound     = errors.New("event not found")
	errUserNotFound = errors.New("user not found")
)

// fail maps an error to what the client sees; anything unexpected is logged and is a 500.
func (s *Service) fail(ctx context.Context, op string, err error) error {
	switch {
	case errors.Is(err, errNotFound):
		return httpapi.NotFound("event not found")
	case errors.Is(err, errUserNotFound):
		return httpapi.NotFound("user not found")
	}
	return httpapi.Fail(ctx, s.log, op, err)
}
