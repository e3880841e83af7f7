// Package integration gives tests the real dependencies `hack/deps.sh up` starts: a fresh,
// migrated PostgreSQL database per test, and the Redis and NATS URLs. Tests fail (they do
// not skip) when a dependency is unreachable: `make test` starts them.
package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/events-platform/events-platform/internal/postgres"
)

// Defaults match hack/deps.sh, so `go test` works after `hack/deps.sh up` without exports.
const (
	defaultDatabaseURL = "postgres://platform:platform@127.0.0.1:55432/platform?sslmode=disable"
	defaultRedisURL    = "redis://127.0.0.1:56379/0"
	defaultNATSURL     = "nats://127.0.0.1:54222"
)

const hint = "start the local dependencies with `hack/deps.sh up` (make test does)"

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// DatabaseURL returns a URL to a new database migrated to the latest schema, dropped when
// the test ends. It is a copy of a template the migrations ran into once (see
// template.go), so it is exactly what the migrations produce.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, true)
}

// EmptyDatabaseURL returns a URL to a new database with no schema, for migration tests.
func EmptyDatabaseURL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, false)
}

func newDatabase(t testing.TB, migrated bool) string {
	t.Helper()
	base := envOr("DATABASE_URL", defaultDatabaseURL)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to PostgreSQL at %s: %v; %s", redact(base), err, hint)
	}
	defer admin.Close(ctx)
	name := "test_" + strings.ToLower(sanitize(t.Name())) + "_" + randomSuffix()
	if len(name) > 63 {
		name = name[len(name)-63:]
		name = "t" + name[1:]
	}
	if migrated {
		err = createFromTemplate(ctx, admin, base, name)
	} else if _, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		err = fmt.Errorf("create database %s: %w", name, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	return databaseURL(base, name)
}

// Pool returns a pool on a new migrated database, closed when the test ends.
func Pool(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	dbURL := DatabaseURL(t)
	pool, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool, dbURL
}

// RedisURL returns the Redis URL, failing the test when Redis is unreachable. Tests share
// the server: use KeyPrefix for keys.
func RedisURL(t testing.TB) string {
	t.Helper()
	u := envOr("REDIS_URL", defaultRedisURL)
	opts, err := goredis.ParseURL(u)
	if err != nil {
		t.Fatalf("parse REDIS_URL: %v", err)
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("connect to Redis at %s: %v; %s", u, err, hint)
	}
	return u
}

// NATSURL returns the NATS URL.
func NATSURL(t testing.TB) string {
	t.Helper()
	return envOr("NATS_URL", defaultNATSURL)
}

// KeyPrefix returns a prefix unique to this test run, for keys in shared servers.
func KeyPrefix(t testing.TB) string {
	return "test:" + sanitize(t.Name()) + ":" + randomSuffix() + ":"
}

func sanitize(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func randomSuffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable url)"
	}
	return p.Redacted()
}
