package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	goredis "github.com/redis/go-redis/v9"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// startRedis runs a redis-server of the test's own on port (0: a free one) and returns its
// port and a function that stops it. Other tests' Redis is not disturbed.
func startRedis(t *testing.T, port int) (int, func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found (hack/deps.sh up installs it): %v", err)
	}
	if port == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
	t.Cleanup(stop)
	for range 100 {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return port, stop
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("redis-server did not open port %d", port)
	return 0, nil
}

func TestBreakerFailsFastWhileRedisIsDownAndClosesWhenItIsBack(t *testing.T) {
	port, stop := startRedis(t, 0)
	ctx := context.Background()
	rdb, err := Open(ctx, fmt.Sprintf("redis://127.0.0.1:%d/0", port))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	reg := prometheus.NewRegistry()
	b := Guard(rdb, slog.New(slog.NewTextHandler(io.Discard, nil)), reg)
	defer b.Close()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil || !b.Up() || b.Check(ctx) != nil {
		t.Fatalf("with Redis up: set %v, up %v, check %v", err, b.Up(), b.Check(ctx))
	}

	stop()
	// The first call finds out; from then on every call fails at once.
	if err := rdb.Get(ctx, "k").Err(); err == nil {
		t.Fatal("get with Redis stopped succeeded")
	}
	if b.Up() {
		t.Fatal("breaker still closed after Redis refused a connection")
	}
	start := time.Now()
	for range 100 {
		err := rdb.Get(ctx, "k").Err()
		if !errors.Is(err, ErrDown) {
			t.Fatalf("get while open: %v, want ErrDown", err)
		}
		pipe := rdb.Pipeline()
		pipe.Incr(ctx, "n")
		if _, err := pipe.Exec(ctx); !errors.Is(err, ErrDown) {
			t.Fatalf("pipeline while open: %v, want ErrDown", err)
		}
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("200 calls while open took %s; they should fail at once", elapsed)
	}
	if err := b.Check(ctx); !errors.Is(err, ErrDown) {
		t.Errorf("readiness while open: %v, want ErrDown", err)
	}
	if dep, down := httpapi.Down(rdb.Get(ctx, "k").Err()); !down || dep != "redis" {
		t.Errorf("httpapi.Down = %q %v, want redis true", dep, down)
	}
	if got := testutil.ToFloat64(b.up); got != 0 {
		t.Errorf("redis_up = %v while open, want 0", got)
	}
	if got := testutil.ToFloat64(b.rejected); got < 200 {
		t.Errorf("redis_breaker_rejected_total = %v, want at least 200", got)
	}

	startRedis(t, port)
	deadline := time.Now().Add(5 * time.Second)
	for !b.Up() {
		if time.Now().After(deadline) {
			t.Fatal("breaker did not close within 5 s of Redis coming back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := rdb.Set(ctx, "k", "v2", 0).Err(); err != nil {
		t.Errorf("set after Redis came back: %v", err)
	}
	if got := testutil.ToFloat64(b.up); got != 1 {
		t.Errorf("redis_up = %v after recovery, want 1", got)
	}
	if got := testutil.ToFloat64(b.trips); got != 1 {
		t.Errorf("redis_breaker_trips_total = %v, want 1", got)
	}
}

func TestBreakerIgnoresReplies(t *testing.T) {
	port, _ := startRedis(t, 0)
	ctx := context.Background()
	rdb, err := Open(ctx, fmt.Sprintf("redis://127.0.0.1:%d/0", port))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	b := Guard(rdb, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	defer b.Close()
	if err := rdb.Get(ctx, "missing").Err(); !errors.Is(err, goredis.Nil) {
		t.Fatalf("get missing: %v", err)
	}
	_ = rdb.Do(ctx, "NOSUCHCOMMAND").Err()
	_ = rdb.Incr(ctx, "s").Err()
	_ = rdb.LPush(ctx, "s", "x").Err() // WRONGTYPE
	if !b.Up() {
		t.Error("breaker opened on Redis's own error replies")
	}
}
