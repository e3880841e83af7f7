package analytics

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/postgres"
	"github.com/events-platform/events-platform/test/integration"
)

// TestAcknowledgedInteractionsSurvivePostgresCrash crashes PostgreSQL (a server of the
// test's own, `pg_ctl stop -m immediate`) under concurrent batches and restarts it: every
// interaction of a batch answered 202 is stored afterwards, and counted once in the
// rollups; while PostgreSQL is down batches get 503 with Retry-After, never a 500.
func TestAcknowledgedInteractionsSurvivePostgresCrash(t *testing.T) {
	pg := integration.StartPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	out := integration.StartOutbox(t, db)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	svc := New(Options{Log: quiet(), DB: db, Bus: out.Bus, Verifier: auth.NewVerifier("events-platform", key.Public().(ed25519.PublicKey)), Version: "test"})
	// Batches are refused after a second of trying, so that the outage shows as 503s
	// even on a loaded machine.
	svc.writer.retryFor = time.Second
	runCtx, stopRun := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = svc.Run(runCtx); close(done) }()
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(func() { srv.Close(); stopRun(); <-done })
	integration.WaitFor(t, "partitions", func() bool { return svc.Ready(ctx) == nil })
	client := integration.NewClient(srv.URL)
	client.HTTP.Timeout = 20 * time.Second

	var user, event int64
	if err := db.QueryRow(ctx, `INSERT INTO users (email, password_hash, name, role) VALUES ('o@example.com', 'x', 'O', 'organizer') RETURNING id`).Scan(&user); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `INSERT INTO events (title, category, starts_at, created_by, status) VALUES ('E', 'music', now() + interval '1 day', $1, 'published') RETURNING id`, user).Scan(&event); err != nil {
		t.Fatal(err)
	}
	token, err := auth.NewSigner(key, "events-platform", time.Hour).Sign(auth.Identity{UserID: user, Role: "organizer"})
	if err != nil {
		t.Fatal(err)
	}

	const clients, perBatch = 8, 50
	var (
		mu          sync.Mutex
		acked       []string // client ids of items answered 202
		statuses    = map[int]int{}
		unexpected  []string
		stop        = make(chan struct{})
		wg          sync.WaitGroup
		killed      time.Time
		during503   int
		transportEr []error
	)
	for c := range clients {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				ids := make([]string, perBatch)
				items := make([]map[string]any, perBatch)
				for i := range items {
					ids[i] = fmt.Sprintf("c%d-b%d-i%d", c, n, i)
					items[i] = item("view", event, time.Now(), "id", ids[i])
				}
				sent := time.Now()
				r, err := client.Request("POST", "/api/v1/analytics/interactions", token, map[string]any{"interactions": items})
				mu.Lock()
				if err != nil {
					transportEr = append(transportEr, err)
				} else {
					statuses[r.Status]++
					switch {
					case r.Status == http.StatusAccepted:
						acked = append(acked, ids...)
					case r.Status == http.StatusServiceUnavailable && r.Header.Get("Retry-After") != "":
						if !killed.IsZero() && sent.After(killed) {
							during503++
						}
					default:
						unexpected = append(unexpected, fmt.Sprintf("%d %s", r.Status, r.Raw))
					}
				}
				mu.Unlock()
				if err != nil || r.Status != http.StatusAccepted {
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	pg.Kill(t)
	mu.Lock()
	killed = time.Now()
	mu.Unlock()
	time.Sleep(4 * time.Second) // longer than the writer retries: some batches are refused
	pg.Start(t)
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()

	t.Logf("answers: %v; 503s to batches sent after the crash: %d", statuses, during503)
	for i, u := range unexpected {
		if i < 5 {
			t.Errorf("got %s, want 202, or 503 with Retry-After while PostgreSQL is down", u)
		}
	}
	for i, err := range transportEr {
		if i < 5 {
			t.Errorf("transport error (the server must answer): %v", err)
		}
	}
	if during503 == 0 {
		t.Error("no batch sent after the crash was refused: the outage was not seen")
	}
	if statuses[http.StatusAccepted] == 0 {
		t.Fatal("no batch was accepted")
	}

	// Every acknowledged item is stored, and the rollup counts every stored view once.
	want := make([]uuid.UUID, len(acked))
	for i, id := range acked {
		want[i] = itemID(fmt.Sprintf("u%d", user), id)
	}
	var missing, stored, views int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM unnest($1::uuid[]) AS w(id) WHERE NOT EXISTS (SELECT FROM analytics_events a WHERE a.id = w.id)`, want).Scan(&missing); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FROM analytics_events`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `SELECT coalesce(sum(views), 0) FROM analytics_event_hours`).Scan(&views); err != nil {
		t.Fatal(err)
	}
	if missing != 0 {
		t.Errorf("%d of %d acknowledged interactions are missing", missing, len(acked))
	}
	if views != stored {
		t.Errorf("rollup views %d, stored rows %d: the rollup and the rows disagree", views, stored)
	}
	t.Logf("acknowledged %d, stored %d (a refused batch may have been stored: its client would resend it)", len(acked), stored)
}
