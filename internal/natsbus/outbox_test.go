package natsbus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/events-platform/events-platform/internal/natsbus"
	"github.com/events-platform/events-platform/test/integration"
)

type payload struct {
	N int `json:"n"`
}

func enqueue(t *testing.T, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, subject string, commit bool, ns ...int) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if err := natsbus.Enqueue(ctx, tx, subject, payload{N: n}); err != nil {
			t.Fatal(err)
		}
	}
	if commit {
		err = tx.Commit(ctx)
	} else {
		err = tx.Rollback(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// receive reads every message on subject until want arrived or a quiet second passes.
func receive(t *testing.T, js jetstream.JetStream, subject string, want int) (ns []int, ids []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, natsbus.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		wait := time.Second
		if len(ns) < want {
			wait = 3 * time.Second
		}
		msg, err := cons.Next(jetstream.FetchMaxWait(wait))
		if err != nil {
			if len(ns) >= want {
				break
			}
			continue
		}
		var p payload
		if err := json.Unmarshal(msg.Data(), &p); err != nil {
			t.Fatalf("payload %q: %v", msg.Data(), err)
		}
		ns = append(ns, p.N)
		ids = append(ids, msg.Headers().Get("Nats-Msg-Id"))
	}
	return ns, ids
}

func TestRelayPublishesCommittedChangesOnceInOrderAcrossANATSOutage(t *testing.T) {
	db, _ := integration.Pool(t)
	outbox := integration.StartOutbox(t, db)
	bus := outbox.Bus

	subject := fmt.Sprintf("platform.test.%d", time.Now().UnixNano())
	enqueue(t, db, subject, true, 1, 2, 3)
	enqueue(t, db, subject, false, 99) // rolled back: never published
	got, ids := receive(t, bus.JS, subject, 3)
	if !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("before the outage: got %v, want [1 2 3]", got)
	}
	for _, id := range ids {
		if len(id) != 36 {
			t.Errorf("Nats-Msg-Id %q: want the outbox row's UUID", id)
		}
	}

	// NATS goes away; changes still commit, and their messages wait in the outbox.
	outbox.StopNATS(t)
	enqueue(t, db, subject, true, 4, 5)
	var pending int
	time.Sleep(1500 * time.Millisecond) // the relay tries at least once while NATS is down
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&pending); err != nil || pending != 2 {
		t.Fatalf("pending while NATS is down: got %d (%v), want 2", pending, err)
	}

	outbox.StartNATS(t)
	got, _ = receive(t, bus.JS, subject, 5)
	if !slices.Equal(got, []int{1, 2, 3, 4, 5}) {
		t.Fatalf("after NATS returned: got %v, want [1 2 3 4 5] exactly once each", got)
	}
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&pending); err != nil || pending != 0 {
		t.Errorf("pending after recovery: got %d (%v), want 0", pending, err)
	}
}

// Several replicas each run a relay; SKIP LOCKED splits the rows between them, so every
// committed change is published and none is lost. (JetStream drops a copy with the same
// Nats-Msg-Id, so this checks loss, not double publishing.)
func TestConcurrentRelaysShareTheWork(t *testing.T) {
	db, _ := integration.Pool(t)
	outbox := integration.StartOutbox(t, db) // runs one relay
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	second := natsbus.NewRelay(db, outbox.Bus.JS, slog.New(slog.DiscardHandler), nil)
	go func() { _ = second.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	subject := fmt.Sprintf("platform.test.%d", time.Now().UnixNano())
	const n = 500
	ns := upTo(n)
	enqueue(t, db, subject, true, ns...)
	got, _ := receive(t, outbox.Bus.JS, subject, n)
	slices.Sort(got)
	if !slices.Equal(got, ns) {
		t.Fatalf("received %d messages, want each of 0..%d exactly once", len(got), n-1)
	}
	var pending int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&pending); err != nil || pending != 0 {
		t.Errorf("rows left unpublished: %d (%v)", pending, err)
	}
}

// A backlog larger than a relay batch (a burst of registrations) goes out in outbox
// order, each message once, though each batch is published before its acks are awaited.
func TestRelayPublishesABacklogInOrder(t *testing.T) {
	db, _ := integration.Pool(t)
	outbox := integration.StartOutbox(t, db)
	subject := fmt.Sprintf("platform.test.%d", time.Now().UnixNano())
	const n = 2500
	ns := upTo(n)
	enqueue(t, db, subject, true, ns...)
	got, _ := receive(t, outbox.Bus.JS, subject, n)
	if !slices.Equal(got, ns) {
		t.Fatalf("received %d messages, not 0..%d in order once each", len(got), n-1)
	}
}

// upTo returns 0, 1, ..., n-1.
func upTo(n int) []int {
	ns := make([]int, n)
	for i := range ns {
		ns[i] = i
	}
	return ns
}
