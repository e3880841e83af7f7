// Command bench runs the events and search load scenarios against a local platform on
// loopback and prints their figures. Each scenario is bounded in time and stops by itself.
//
//	go run ./test/bench search         # mixed searches over 1M seeded events, endpoint vs raw SQL
//	go run ./test/bench registrations  # one hot event, 2,000 concurrent clients registering
//
// It needs the local dependencies (hack/deps.sh up) and builds nothing: pass -platform
// (default bin/platform, from `make build`).
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/migrations"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	platform := fs.String("platform", "bin/platform", "the platform binary")
	duration := fs.Duration("duration", 60*time.Second, "length of each attack")
	var so searchOptions
	fs.IntVar(&so.events, "events", 1_000_000, "search: events in the benchmark database (seeded once, then reused)")
	fs.StringVar(&so.database, "db", "bench_search", "search: name of the benchmark database")
	fs.IntVar(&so.clients, "clients", 20, "search: concurrent clients")
	var ro registrationOptions
	fs.IntVar(&ro.clients, "reg-clients", 2000, "registrations: concurrent clients")
	fs.IntVar(&ro.attendees, "attendees", 40000, "registrations: accounts that each register once")
	fs.IntVar(&ro.capacity, "capacity", 5000, "registrations: seats of the hot event")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *duration > 2*time.Minute {
		return errors.New("-duration is capped at 2m")
	}
	switch fs.Arg(0) {
	case "search":
		so.platform, so.duration = *platform, *duration
		return runSearch(ctx, so, stdout)
	case "registrations":
		ro.platform, ro.duration = *platform, *duration
		return runRegistrations(ctx, ro, stdout)
	}
	return errors.New("usage: bench [flags] search|registrations")
}

// setup makes a fresh migrated database and a signing key; cleanup drops them.
func setup(ctx context.Context) ([]string, func(), error) {
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		return nil, nil, errors.New("DATABASE_URL is not set; run: eval \"$(hack/deps.sh env)\"")
	}
	name := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close(ctx)
		return nil, nil, err
	}
	u, _ := url.Parse(base)
	u.Path = "/" + name
	dir, _ := os.MkdirTemp("", "platform-bench")
	cleanup := func() {
		_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close(context.Background())
		_ = os.RemoveAll(dir)
	}
	r, err := migrations.Open(u.String())
	if err == nil {
		err = r.Up()
		_ = r.Close()
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	pemBytes, _ := auth.EncodePrivateKey(key)
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		cleanup()
		return nil, nil, err
	}
	env := append(os.Environ(), "DATABASE_URL="+u.String(), "JWT_PRIVATE_KEY_FILE="+keyFile, "LOG_LEVEL=error")
	return env, cleanup, nil
}

func start(bin string, env []string, addr, target string) (*exec.Cmd, error) {
	cmd := exec.Command(bin, "serve", "--target="+target)
	cmd.Env = append(env, "HTTP_ADDR="+addr)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return cmd, nil
			}
		}
	}
	stop(cmd)
	return nil, fmt.Errorf("%s --target=%s not ready after 30s", bin, target)
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
	}
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func round(d time.Duration) time.Duration {
	if d > time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
