// Package realtime is the realtime service: websocket connections (GET /ws) that join
// channels fed by the domain events the other services publish: an event's seat counts and
// changes, a user's own registrations, the feed of newly published events; presence per
// event, and a bounded history from which a reconnecting client recovers what it missed.
//
// It is built on centrifuge (github.com/centrifugal/centrifuge), whose protocol clients
// speak (centrifuge-js, centrifuge-go); no other package imports it. Several replicas share
// publications and presence through Redis.
//
// The protocol as clients see it (channels, publications, closing codes, a web page's
// example) is docs/realtime.md.
//
// The files follow the service template: service.go (Options, New, Run), channels.go (the
// channels and who may join them: the one place), connect.go (tokens on connect and
// refresh), routes.go (the REST surface and /ws), consume.go (domain events in,
// publications out).
package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/centrifugal/centrifuge"
	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/httpserver"
	"github.com/events-platform/events-platform/internal/natsbus"
)

// Options are the realtime service's dependencies.
type Options struct {
	Log *slog.Logger
	// DB is read for seat counts and an event's registrants.
	DB *pgxpool.Pool
	// Bus is where the domain events come from.
	Bus *natsbus.Bus
	// RedisURL is the Redis that replicas share publications and presence through; empty:
	// in memory, for one replica.
	RedisURL string
	// RedisPrefix starts every key the service writes in Redis (default "realtime").
	RedisPrefix string
	Verifier    *auth.Verifier
	Version     string
	// HistorySize and HistoryTTL bound each channel's history (default 100 messages, 10
	// minutes): what a reconnecting client can recover.
	HistorySize int
	HistoryTTL  time.Duration
	// Consumer names the durable JetStream consumer the replicas share (default
	// "realtime").
	Consumer string
	// ClientQueueMaxSize is how many bytes may wait for a slow client before it is
	// disconnected (default 1 MiB).
	ClientQueueMaxSize int
	// RefreshGrace is how long past its token's expiry a connection may stay while it
	// sends a fresh one (default 25s).
	RefreshGrace time.Duration
	// Registry takes the connection, subscription and message metrics (centrifuge_*);
	// nil: Prometheus' default registry.
	Registry *prometheus.Registry
}

// Service serves websockets and the realtime REST API.
type Service struct {
	log         *slog.Logger
	db          *pgxpool.Pool
	bus         *natsbus.Bus
	verifier    *auth.Verifier
	node        *centrifuge.Node
	historySize int
	historyTTL  time.Duration
	consumer    string
	api         huma.API
	handler     http.Handler
	// lag follows the JetStream consumer once created: its lag is a metric.
	lag natsbus.Lag
}

// New returns the realtime service with its node running (publications and presence are
// served at once; Run consumes the domain events).
func New(opts Options) (*Service, error) {
	if opts.HistorySize <= 0 {
		opts.HistorySize = 100
	}
	if opts.HistoryTTL <= 0 {
		opts.HistoryTTL = 10 * time.Minute
	}
	if opts.RedisPrefix == "" {
		opts.RedisPrefix = "realtime"
	}
	if opts.Consumer == "" {
		opts.Consumer = "realtime"
	}
	if opts.ClientQueueMaxSize <= 0 {
		opts.ClientQueueMaxSize = 1 << 20
	}
	s := &Service{log: opts.Log, db: opts.DB, bus: opts.Bus, verifier: opts.Verifier, historySize: opts.HistorySize,
		historyTTL: opts.HistoryTTL, consumer: opts.Consumer}
	node, err := centrifuge.New(centrifuge.Config{
		Version: opts.Version, Name: "realtime",
		LogLevel: centrifuge.LogLevelInfo, LogHandler: s.logEntry,
		ClientQueueMaxSize: opts.ClientQueueMaxSize, ClientChannelLimit: 128, ChannelMaxLength: 255,
		ClientExpiredCloseDelay: opts.RefreshGrace,
		// History outlives its messages' TTL by this much: long enough that a client
		// reconnecting after a while is told it missed too much, not given an empty gap.
		HistoryMetaTTL: 24 * time.Hour,
		Metrics:        centrifuge.MetricsConfig{RegistererGatherer: registererGatherer(opts.Registry)},
	})
	if err != nil {
		return nil, fmt.Errorf("realtime node: %w", err)
	}
	if opts.RedisURL != "" {
		shard, err := centrifuge.NewRedisShard(node, centrifuge.RedisShardConfig{Address: opts.RedisURL})
		if err != nil {
			return nil, fmt.Errorf("realtime redis: %w", err)
		}
		broker, err := centrifuge.NewRedisBroker(node, centrifuge.RedisBrokerConfig{Prefix: opts.RedisPrefix, Shards: []*centrifuge.RedisShard{shard}})
		if err != nil {
			return nil, fmt.Errorf("realtime redis broker: %w", err)
		}
		presence, err := centrifuge.NewRedisPresenceManager(node, centrifuge.RedisPresenceManagerConfig{Prefix: opts.RedisPrefix, Shards: []*centrifuge.RedisShard{shard}})
		if err != nil {
			return nil, fmt.Errorf("realtime redis presence: %w", err)
		}
		node.SetBroker(broker)
		node.SetPresenceManager(presence)
	}
	node.OnConnecting(s.connecting)
	node.OnConnect(s.connected)
	if err := node.Run(); err != nil {
		return nil, fmt.Errorf("realtime node: %w", err)
	}
	s.node = node
	if opts.Registry != nil {
		opts.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "realtime_consumer_pending",
			Help: "Domain events on JetStream not yet delivered to the realtime consumer (-1: unknown).",
		}, s.lag.Pending))
	}
	mux := http.NewServeMux()
	s.api = httpapi.NewAPI(mux, "Events Platform: realtime", opts.Version)
	s.routes(mux)
	s.handler = auth.Middleware(opts.Verifier)(httpserver.RecordRoute(mux))
	return s, nil
}

// Handler serves /ws and the service's routes (and /openapi.json).
func (s *Service) Handler() http.Handler { return s.handler }

// OpenAPI returns the service's OpenAPI document.
func (s *Service) OpenAPI(context.Context) ([]byte, error) { return s.api.OpenAPI().MarshalJSON() }

// Run turns domain events into publications until ctx ends, then closes every connection
// (clients are told to reconnect, to another replica). While JetStream is unreachable it
// keeps trying; the connections stay up meanwhile.
func (s *Service) Run(ctx context.Context) error {
	for {
		cc, err := s.consume(ctx)
		if err == nil {
			<-ctx.Done()
			cc.Stop()
			break
		}
		s.log.Warn("realtime: domain events", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
			continue
		}
		break
	}
	return s.shutdown()
}

func (s *Service) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.node.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("realtime node shutdown: %w", err)
	}
	return nil
}

// registererGatherer is r, or nil (centrifuge's default) when r is nil: a nil
// *prometheus.Registry in the interface would not be nil.
func registererGatherer(r *prometheus.Registry) centrifuge.RegistererGatherer {
	if r == nil {
		return nil
	}
	return r
}

func (s *Service) logEntry(e centrifuge.LogEntry) {
	level := slog.LevelInfo
	switch e.Level {
	case centrifuge.LogLevelDebug, centrifuge.LogLevelTrace:
		level = slog.LevelDebug
	case centrifuge.LogLevelWarn:
		level = slog.LevelWarn
	case centrifuge.LogLevelError:
		level = slog.LevelError
	}
	attrs := make([]any, 0, 2*len(e.Fields))
	for k, v := range e.Fields {
		attrs = append(attrs, k, v)
	}
	s.log.Log(context.Background(), level, e.Message, attrs...)
}
