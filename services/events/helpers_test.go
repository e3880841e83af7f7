package events_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/services/events"
	"github.com/events-platform/events-platform/test/integration"
)

type env struct {
	t      testing.TB
	srv    *httptest.Server
	db     *pgxpool.Pool
	svc    *events.Service
	signer *auth.Signer
	client *integration.Client
}

// newEnv starts the events service on a database of the test's own; change adjusts its
// options.
func newEnv(t testing.TB, change ...func(*events.Options)) *env {
	t.Helper()
	db, _ := integration.Pool(t)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	signer := auth.NewSigner(key, "events-platform", 15*time.Minute)
	opts := events.Options{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db,
		Verifier: auth.NewVerifier("events-platform", signer.PublicKey()), Version: "test",
	}
	for _, c := range change {
		c(&opts)
	}
	svc := events.New(opts)
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, db: db, svc: svc, signer: signer, client: integration.NewClient(srv.URL)}
}

// user is a caller with a token; the zero user is anonymous.
type user struct {
	ID    int64
	Role  string
	Token string
}

// newUser inserts a user with role and signs a token for them.
func (e *env) newUser(role string) user {
	e.t.Helper()
	var id int64
	n := fmt.Sprintf("%d", time.Now().UnixNano())
	err := e.db.QueryRow(context.Background(), `INSERT INTO users (email, password_hash, name, role) VALUES ($1, 'x', $2, $3) RETURNING id`,
		role+n+"@example.com", "User "+n, role).Scan(&id)
	if err != nil {
		e.t.Fatal(err)
	}
	tok, err := e.signer.Sign(auth.Identity{UserID: id, Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	return user{ID: id, Role: role, Token: tok}
}

// newUsers inserts n attendees at once.
func (e *env) newUsers(n int) []user {
	e.t.Helper()
	rows, err := e.db.Query(context.Background(), `
		INSERT INTO users (email, password_hash, name, role)
		SELECT 'bulk' || g || '-' || $2 || '@example.com', 'x', 'Bulk ' || g, 'attendee' FROM generate_series(1, $1::int) g
		RETURNING id`, n, fmt.Sprint(time.Now().UnixNano()))
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []user
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			e.t.Fatal(err)
		}
		tok, _ := e.signer.Sign(auth.Identity{UserID: id, Role: "attendee"})
		out = append(out, user{ID: id, Role: "attendee", Token: tok})
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

type response = integration.Response

// do sends a request; headers are name, value pairs.
func (e *env) do(method, path string, as user, body any, headers ...string) response {
	e.t.Helper()
	r, err := e.try(method, path, as, body, headers...)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// try is do for any goroutine: it returns errors rather than failing the test.
func (e *env) try(method, path string, as user, body any, headers ...string) (response, error) {
	return e.client.Request(method, path, as.Token, body, headers...)
}

func decode[T any](t testing.TB, r response) T {
	t.Helper()
	return integration.Data[T](t, r)
}

// event is the part of the event JSON the tests read.
type event struct {
	ID              int64    `json:"id"`
	Title           string   `json:"title"`
	Category        string   `json:"category"`
	Tags            []string `json:"tags"`
	Date            string   `json:"date"`
	Status          string   `json:"status"`
	Capacity        *int     `json:"capacity"`
	RegisteredCount int      `json:"registered_count"`
	WaitlistCount   int      `json:"waitlist_count"`
	SeatsLeft       *int     `json:"seats_left"`
	CreatedBy       int64    `json:"created_by"`
	Moderation      string   `json:"moderation"`
	Location        *struct {
		City string `json:"city"`
	} `json:"location"`
}

type registration struct {
	ID               int64   `json:"id"`
	EventID          int64   `json:"event_id"`
	UserID           int64   `json:"user_id"`
	Status           string  `json:"status"`
	WaitlistPosition int     `json:"waitlist_position"`
	CheckedInAt      *string `json:"checked_in_at"`
}

// eventBody returns a valid new event, with fields overridden by kv pairs.
func eventBody(kv ...any) map[string]any {
	b := map[string]any{
		"title": "Go Meetup", "description": "Talks about Go", "category": "technology", "tags": []string{"golang"},
		"date": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339), "timezone": "Europe/Berlin",
		"location": map[string]any{"name": "Hall", "address": "1 Main St", "city": "Berlin", "country": "DE", "lat": 52.52, "lng": 13.405},
		"capacity": 100, "price": 10, "currency": "EUR",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(b, kv[i].(string))
		} else {
			b[kv[i].(string)] = kv[i+1]
		}
	}
	return b
}

// createEvent creates an event as organizer and publishes it when publish is set.
func (e *env) createEvent(organizer user, publish bool, kv ...any) event {
	e.t.Helper()
	r := e.do("POST", "/api/v1/events", organizer, eventBody(kv...))
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create event: got %d %s", r.Status, r.Raw)
	}
	ev := decode[event](e.t, r)
	if publish {
		r = e.do("POST", fmt.Sprintf("/api/v1/events/%d/publish", ev.ID), organizer, nil)
		if r.Status != http.StatusOK {
			e.t.Fatalf("publish event: got %d %s", r.Status, r.Raw)
		}
		ev = decode[event](e.t, r)
	}
	return ev
}
