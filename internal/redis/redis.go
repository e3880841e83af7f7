// Package redis opens the shared go-redis client.
package redis

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Open connects to redisURL (redis://host:port/db) and pings it.
func Open(ctx context.Context, redisURL string) (*goredis.Client, error) {
	opts, err := goredis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 3 * time.Second
	}
	opts.ReadTimeout, opts.WriteTimeout = time.Second, time.Second
	c := goredis.NewClient(opts)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(pingCtx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("connect to redis %s: %w", opts.Addr, err)
	}
	return c, nil
}

// SetLogger sends go-redis's own log lines (connection pool failures, mostly) to log
// instead of plain stderr. go-redis keeps one logger per process.
func SetLogger(log *slog.Logger) {
	goredis.SetLogger(logger{log: log.With("component", "redis")})
}

type logger struct{ log *slog.Logger }

func (l logger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...))
}
