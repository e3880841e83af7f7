package redis

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// ErrDown is what every call returns at once while the breaker is open. httpapi.Fail
// answers it with 503, and httpapi.Down names it "redis".
var ErrDown = httpapi.DependencyDown("redis")

// ProbeInterval is how often an open breaker tries Redis again.
const ProbeInterval = 500 * time.Millisecond

// Breaker is a circuit breaker on a go-redis client. Redis backs only things the platform
// can do without for a while (rate limits, caches, login throttling), but a Redis that does
// not answer would otherwise cost every request a dial or read timeout and go-redis's
// retries. After one call fails because Redis cannot be reached, the breaker opens: every
// call fails at once with ErrDown, while a probe in the background pings Redis every
// ProbeInterval and closes the breaker when Redis answers.
type Breaker struct {
	client *goredis.Client
	log    *slog.Logger
	open   atomic.Bool
	stop   chan struct{}
	closed atomic.Bool

	up       prometheus.Gauge
	trips    prometheus.Counter
	rejected prometheus.Counter
}

type probeKey struct{}

// Guard installs a breaker on c and registers its metrics with reg (nil: none).
func Guard(c *goredis.Client, log *slog.Logger, reg prometheus.Registerer) *Breaker {
	b := &Breaker{
		client: c, log: log, stop: make(chan struct{}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "redis_up", Help: "1 while Redis answers, 0 while the circuit breaker is open and calls fail fast.",
		}),
		trips: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "redis_breaker_trips_total", Help: "Times the Redis circuit breaker opened.",
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "redis_breaker_rejected_total", Help: "Redis calls failed fast because the breaker was open.",
		}),
	}
	b.up.Set(1)
	if reg != nil {
		reg.MustRegister(b.up, b.trips, b.rejected)
	}
	c.AddHook(b)
	return b
}

// Up reports whether Redis is believed to be answering (the breaker is closed).
func (b *Breaker) Up() bool { return !b.open.Load() }

// Check is the readiness check: it fails at once while the breaker is open, and pings
// otherwise.
func (b *Breaker) Check(ctx context.Context) error {
	if b.open.Load() {
		return ErrDown
	}
	return b.client.Ping(ctx).Err()
}

// Close stops the probe; call it before closing the client.
func (b *Breaker) Close() {
	if b.closed.CompareAndSwap(false, true) {
		close(b.stop)
	}
}

// DialHook opens the breaker on a failed dial. It never refuses a dial itself: go-redis's
// pool redials in the background after dial errors, and that must reach Redis.
func (b *Breaker) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		b.observe(err)
		return conn, err
	}
}

// ProcessHook fails a command at once while open, and opens on a failure to reach Redis.
func (b *Breaker) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if b.reject(ctx) {
			cmd.SetErr(ErrDown)
			return ErrDown
		}
		err := next(ctx, cmd)
		b.observe(err)
		return err
	}
}

// ProcessPipelineHook does for pipelines what ProcessHook does for commands.
func (b *Breaker) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if b.reject(ctx) {
			for _, cmd := range cmds {
				cmd.SetErr(ErrDown)
			}
			return ErrDown
		}
		err := next(ctx, cmds)
		b.observe(err)
		return err
	}
}

func (b *Breaker) reject(ctx context.Context) bool {
	if !b.open.Load() || ctx.Value(probeKey{}) != nil {
		return false
	}
	b.rejected.Inc()
	return true
}

// observe opens the breaker when err says Redis could not be reached. Replies (redis.Nil,
// script errors), cancelled callers and a closed client are not Redis being down.
func (b *Breaker) observe(err error) {
	if err == nil || errors.Is(err, goredis.Nil) || errors.Is(err, context.Canceled) ||
		errors.Is(err, goredis.ErrClosed) || errors.Is(err, ErrDown) || b.closed.Load() {
		return
	}
	if _, down := httpapi.Down(err); !down {
		return
	}
	if b.open.CompareAndSwap(false, true) {
		b.up.Set(0)
		b.trips.Inc()
		b.log.Warn("redis unreachable; failing fast until it answers", "err", err)
		go b.probe()
	}
}

// probe pings Redis until it answers, then closes the breaker.
func (b *Breaker) probe() {
	t := time.NewTicker(ProbeInterval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), probeKey{}, true), ProbeInterval)
		err := b.client.Ping(ctx).Err()
		cancel()
		if err == nil {
			b.open.Store(false)
			b.up.Set(1)
			b.log.Info("redis answers again")
			return
		}
	}
}

// WarnUnlessDown logs a failed Redis call at warning level, except while the breaker is
// open: the breaker logged the outage once, and a line per request would flood the log.
// Callers that carry on without Redis (caches, throttles) use it.
func WarnUnlessDown(ctx context.Context, log *slog.Logger, msg string, err error) {
	if !errors.Is(err, ErrDown) {
		log.WarnContext(ctx, msg, "err", err)
	}
}
