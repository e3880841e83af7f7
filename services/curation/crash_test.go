package curation

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/natsbus"
	"github.com/events-platform/events-platform/internal/postgres"
	"github.com/events-platform/events-platform/test/integration"
)

// TestNothingAcknowledgedIsLostWhenPostgresCrashes crashes PostgreSQL (a server of the
// test's own, `pg_ctl stop -m immediate`) while editors create collections and organizers
// publish spam, and restarts it: every collection answered 201 exists afterwards; every
// publication is scored and its spam held exactly once (the scoring consumer acks only
// what it committed, and a redelivery decides nothing twice); while PostgreSQL is down
// the API answers 503, never a 500.
func TestNothingAcknowledgedIsLostWhenPostgresCrashes(t *testing.T) {
	pg := integration.StartPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	out := integration.StartOutbox(t, db)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	svc := New(Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Bus: out.Bus, TrustAfter: 0,
		Verifier: auth.NewVerifier("events-platform", key.Public().(ed25519.PublicKey)), Version: "test"})
	runCtx, stopRun := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = svc.Run(runCtx); close(done) }()
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(func() { srv.Close(); stopRun(); <-done })
	integration.WaitFor(t, "board", func() bool { return svc.Ready(ctx) == nil })
	client := integration.NewClient(srv.URL)
	client.HTTP.Timeout = 20 * time.Second

	var org, editor int64
	if err := db.QueryRow(ctx, `INSERT INTO users (email, password_hash, name, role) VALUES ('o@example.com', 'x', 'O', 'organizer') RETURNING id`).Scan(&org); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `INSERT INTO users (email, password_hash, name, role) VALUES ('e@example.com', 'x', 'E', 'editor') RETURNING id`).Scan(&editor); err != nil {
		t.Fatal(err)
	}
	token, err := auth.NewSigner(key, "events-platform", time.Hour).Sign(auth.Identity{UserID: editor, Role: "editor"})
	if err != nil {
		t.Fatal(err)
	}

	var (
		mu         sync.Mutex
		created    []string
		statuses   = map[int]int{}
		unexpected []string
		published  []int64
		stop       = make(chan struct{})
		wg         sync.WaitGroup
	)
	// Editors create collections.
	for c := range 4 {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				slug := fmt.Sprintf("c%d-n%d", c, n)
				r, err := client.Request("POST", "/api/v1/collections", token, map[string]string{"slug": slug, "title": slug})
				mu.Lock()
				switch {
				case err != nil:
					unexpected = append(unexpected, err.Error())
				case r.Status == http.StatusCreated:
					created = append(created, slug)
				case r.Status != http.StatusServiceUnavailable:
					unexpected = append(unexpected, fmt.Sprintf("%d %s", r.Status, r.Raw))
				}
				if err == nil {
					statuses[r.Status]++
				}
				mu.Unlock()
				if err != nil || r.Status != http.StatusCreated {
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	// An organizer publishes spam, as the events service does: the event and its domain
	// event in one transaction.
	wg.Go(func() {
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			var id int64
			err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
				if err := tx.QueryRow(ctx, `INSERT INTO events (title, description, category, starts_at, created_by, status, published_at)
					VALUES ($1, 'Tickets at www.a.example www.b.example www.c.example www.d.example', 'music', now() + interval '3 days', $2, 'published', now())
					RETURNING id`, fmt.Sprintf("Party %d", n), org).Scan(&id); err != nil {
					return err
				}
				return natsbus.Enqueue(ctx, tx, "platform.event.published", map[string]any{"version": 1, "event_id": id})
			})
			if err == nil {
				mu.Lock()
				published = append(published, id)
				mu.Unlock()
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	time.Sleep(1500 * time.Millisecond)
	pg.Kill(t)
	time.Sleep(3 * time.Second)
	pg.Start(t)
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()

	t.Logf("answers: %v; %d collections created, %d events published", statuses, len(created), len(published))
	for i, u := range unexpected {
		if i < 5 {
			t.Errorf("got %s, want 201, or 503 while PostgreSQL is down", u)
		}
	}
	if statuses[http.StatusServiceUnavailable] == 0 {
		t.Error("no request was refused: the outage was not seen")
	}
	var missing int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM unnest($1::text[]) AS w(slug) WHERE NOT EXISTS (SELECT FROM collections c WHERE c.slug = w.slug)`,
		created).Scan(&missing); err != nil || missing > 0 {
		t.Errorf("acknowledged collections missing: %d of %d (%v)", missing, len(created), err)
	}
	// Every publication is scored and held once.
	integration.WaitFor(t, "every publication scored and held", func() bool {
		var unscored int
		err := db.QueryRow(ctx, `SELECT count(*) FROM unnest($1::bigint[]) AS p(id)
			WHERE NOT EXISTS (SELECT FROM event_scores s WHERE s.event_id = p.id)
			   OR NOT EXISTS (SELECT FROM events e WHERE e.id = p.id AND e.moderation = 'held')`, published).Scan(&unscored)
		return err == nil && unscored == 0
	})
	var twice int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM (SELECT event_id FROM moderation_decisions GROUP BY event_id HAVING count(*) > 1) d`).Scan(&twice); err != nil || twice > 0 {
		t.Errorf("events decided more than once: %d (%v)", twice, err)
	}
}
