// Package analytics is the analytics service: interactions in (clients' batches and the
// services' domain events), event stats, organizer and platform overviews, funnels and
// retention out.
//
// Interactions are stored one row each in analytics_events, range-partitioned by month
// (partitions.go), written by group commit with COPY (writer.go) together with the rollups
// the reads use: hourly counts per event, each event's viewers per day, each day's active
// visitors. A request is answered 202 only once its interactions are committed; while
// PostgreSQL is down it is answered 503, and nothing it was told was stored is lost.
// Anonymous visitors are counted without storing who they are (visitors.go).
//
// The files follow the service template: service.go (Options, New, Run), routes.go (the
// API surface), capture.go (batches in), consume.go (domain events in), writer.go,
// partitions.go and visitors.go (storage), stats.go, overview.go, funnel.go and
// retention.go (reads).
package analytics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/httpserver"
	"github.com/events-platform/events-platform/internal/natsbus"
)

// DefaultRetentionMonths is how long interactions are kept unless configured.
const DefaultRetentionMonths = 13

// Options are the analytics service's dependencies.
type Options struct {
	Log *slog.Logger
	DB  *pgxpool.Pool
	// Bus is where the domain events come from.
	Bus      *natsbus.Bus
	Verifier *auth.Verifier
	Version  string
	// RetentionMonths is how long interactions are kept (default 13 months): older
	// partitions are dropped, and older items are refused.
	RetentionMonths int
	// Consumer names the durable JetStream consumer the replicas share (default
	// "analytics").
	Consumer string
	// Writers is how many transactions may write interactions at once (default 2).
	Writers int
	// Registry takes the service's metrics; nil: none.
	Registry prometheus.Registerer
}

// Service serves the analytics API.
type Service struct {
	log      *slog.Logger
	db       *pgxpool.Pool
	bus      *natsbus.Bus
	parts    *partitions
	salts    *salts
	writer   *writer
	metrics  *metrics
	known    knownEvents
	consumer string
	writers  int
	api      huma.API
	handler  http.Handler
	// ready is set once the partitions this month needs exist.
	ready atomic.Bool
	// lag follows the JetStream consumer once created: its lag is a metric.
	lag natsbus.Lag
}

// New returns the analytics service with its routes; Run makes its partitions and
// consumes the domain events.
func New(opts Options) *Service {
	if opts.RetentionMonths <= 0 {
		opts.RetentionMonths = DefaultRetentionMonths
	}
	if opts.Consumer == "" {
		opts.Consumer = "analytics"
	}
	if opts.Writers <= 0 {
		opts.Writers = 2
	}
	s := &Service{log: opts.Log, db: opts.DB, bus: opts.Bus, consumer: opts.Consumer, writers: opts.Writers,
		parts: &partitions{db: opts.DB, months: opts.RetentionMonths}, salts: &salts{db: opts.DB}}
	s.metrics = newMetrics(opts.Registry, s.lag.Pending, s.partitionCount)
	s.writer = newWriter(opts.DB, opts.Log, s.parts, s.metrics)
	mux := http.NewServeMux()
	s.api = httpapi.NewAPI(mux, "Events Platform: analytics", opts.Version)
	s.routes()
	s.handler = auth.Middleware(opts.Verifier)(httpserver.RecordRoute(mux))
	return s
}

// Handler serves the service's routes (and /openapi.json).
func (s *Service) Handler() http.Handler { return s.handler }

// OpenAPI returns the service's OpenAPI document.
func (s *Service) OpenAPI(context.Context) ([]byte, error) { return s.api.OpenAPI().MarshalJSON() }

// Ready reports (as an error) whether the service can store interactions: its partitions
// are made.
func (s *Service) Ready(context.Context) error {
	if !s.ready.Load() {
		return errors.New("analytics partitions not made yet")
	}
	return nil
}

// maintainEvery is how often the partitions ahead are made and the expired dropped.
const maintainEvery = 24 * time.Hour

// Run writes interactions, makes and drops partitions (at start, then daily) and records
// the domain events until ctx ends. While PostgreSQL or JetStream is unreachable it keeps
// trying.
func (s *Service) Run(ctx context.Context) error {
	writing := make(chan struct{})
	go func() {
		defer close(writing)
		s.writer.run(ctx, s.writers)
	}()
	go s.maintain(ctx)
	for ctx.Err() == nil {
		if err := s.consume(ctx); err != nil {
			s.log.Warn("analytics: domain events", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	<-writing
	return nil
}

// maintain makes the partitions ahead and drops the expired: at once (retrying every few
// seconds until it works, the service not ready meanwhile), then daily.
func (s *Service) maintain(ctx context.Context) {
	wait := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if err := s.Maintain(ctx, time.Now()); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("analytics: partitions", "err", err)
			}
			if !s.ready.Load() {
				wait = 2 * time.Second
				continue
			}
		}
		wait = maintainEvery
	}
}

// Maintain makes the partitions now needs and drops those past the retention. Run calls it
// at start and daily.
func (s *Service) Maintain(ctx context.Context, now time.Time) error {
	if err := s.parts.ensure(ctx, now); err != nil {
		return err
	}
	s.ready.Store(true)
	dropped, err := s.parts.dropExpired(ctx, now)
	if len(dropped) > 0 {
		s.log.Info("analytics: dropped partitions past the retention", "partitions", dropped)
	}
	return err
}

func (s *Service) partitionCount() float64 {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	n, err := s.parts.count(ctx)
	if err != nil {
		return -1
	}
	return float64(n)
}

var (
	errNotFound  = errors.New("not found")
	errForbidden = errors.New("forbidden")
)

// fail maps an error to what the client sees; anything unexpected is logged and is a 500.
func (s *Service) fail(ctx context.Context, op string, err error) error {
	switch {
	case errors.Is(err, errNotFound):
		return httpapi.NotFound("event not found")
	case errors.Is(err, errForbidden):
		return httpapi.Forbidden("only the event's organizer or an admin can see its analytics")
	}
	return httpapi.Fail(ctx, s.log, op, err)
}
