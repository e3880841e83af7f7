package modules

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type workerFunc func(ctx context.Context) error

func (f workerFunc) Run(ctx context.Context) error { return f(ctx) }

// The worker keeps running after the start context ends (a signal) and stops only when
// its module stops; stop returns once Run has returned.
func TestBackgroundStopsWhenTheModuleStops(t *testing.T) {
	startCtx, signal := context.WithCancel(context.Background())
	var returned atomic.Bool
	stop := Background(startCtx, slog.New(slog.DiscardHandler), "w", workerFunc(func(ctx context.Context) error {
		<-ctx.Done()
		time.Sleep(10 * time.Millisecond) // some cleanup
		returned.Store(true)
		return nil
	}))
	signal()
	time.Sleep(20 * time.Millisecond)
	if returned.Load() {
		t.Fatal("the worker stopped with the start context; want it to run until its module stops")
	}
	if err := stop(context.Background()); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if !returned.Load() {
		t.Fatal("stop returned before the worker's Run did")
	}
}

func TestBackgroundStopGivesUpAtItsDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	stop := Background(context.Background(), slog.New(slog.DiscardHandler), "w", workerFunc(func(ctx context.Context) error {
		<-release
		return nil
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stop of a worker that does not return: got %v, want the deadline", err)
	}
}

func TestBackgroundLogsAWorkerThatFails(t *testing.T) {
	var buf bytes.Buffer
	done := make(chan struct{})
	stop := Background(context.Background(), slog.New(slog.NewTextHandler(&buf, nil)), "outbox", workerFunc(func(context.Context) error {
		defer close(done)
		return errors.New("boom")
	}))
	<-done
	if err := stop(context.Background()); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if got := buf.String(); !strings.Contains(got, "worker stopped") || !strings.Contains(got, "module=outbox") || !strings.Contains(got, "boom") {
		t.Fatalf("log: got %q, want the module and its error", got)
	}
}
