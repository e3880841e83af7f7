package events_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpserver"
	"github.com/events-platform/events-platform/internal/postgres"
	"github.com/events-platform/events-platform/services/events"
	"github.com/events-platform/events-platform/test/integration"
)

// The crash test's schedule: load before the crash, the outage, load after the restart.
const (
	crashClients     = 40
	crashUsers       = 60_000 // more than 40 clients register in the test's seconds
	crashLoadBefore  = 2 * time.Second
	crashOutage      = 2 * time.Second
	crashLoadAfter   = 1500 * time.Millisecond
	crashTestTimeout = 40 * time.Second
)

// TestRegistrationsSurvivePostgresCrash crashes PostgreSQL (`pg_ctl stop -m immediate`, a
// server of the test's own) under concurrent registrations and restarts it: every
// registration answered 201 is in the table afterwards, the event's count agrees with its
// rows, no request gets a 500, and while PostgreSQL is down requests get 503 with
// Retry-After and /readyz names postgres as failing.
func TestRegistrationsSurvivePostgresCrash(t *testing.T) {
	pg := integration.StartPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), crashTestTimeout)
	defer cancel()
	db, err := postgres.Open(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)

	// The service as `platform serve --target=events` wires it: the real HTTP server with
	// its middleware and readiness checks, on loopback.
	var logs integration.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelError}))
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	signer := auth.NewSigner(key, "events-platform", 15*time.Minute)
	svc := events.New(events.Options{Log: log, DB: db, Verifier: auth.NewVerifier("events-platform", signer.PublicKey()), Version: "test"})
	hs := httpserver.New(log, prometheus.NewRegistry(), "events", "test", []httpserver.Check{{Name: "postgres", Check: db.Ping}})
	hs.Mux.Handle("/", svc.Handler())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
	})
	client := integration.NewClient("http://" + ln.Addr().String())
	client.HTTP.Timeout = 10 * time.Second

	organizer, attendees := crashUsersIn(t, ctx, db, crashUsers)
	eventID := crashEvent(t, client, signToken(t, signer, organizer, "organizer"))
	path := fmt.Sprintf("/api/v1/events/%d/registrations", eventID)

	// Clients register distinct users until stopped, each recording what it was answered.
	type answer struct {
		user       int64
		regID      int64
		status     int
		retryAfter string
		sent, got  time.Time
		body       string
	}
	var (
		next      atomic.Int64
		stop      = make(chan struct{})
		mu        sync.Mutex
		answers   []answer
		transport []error
		wg        sync.WaitGroup
	)
	for range crashClients {
		wg.Go(func() {
			var mine []answer
			defer func() { mu.Lock(); answers = append(answers, mine...); mu.Unlock() }()
			for {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				i := next.Add(1) - 1
				if i >= int64(len(attendees)) {
					return
				}
				a := answer{user: attendees[i], sent: time.Now()}
				r, err := client.Request(http.MethodPost, path, signToken(t, signer, a.user, "attendee"), nil)
				a.got = time.Now()
				if err != nil {
					mu.Lock()
					transport = append(transport, err)
					mu.Unlock()
					continue
				}
				a.status, a.retryAfter = r.Status, r.Header.Get("Retry-After")
				if r.Status == http.StatusCreated {
					var reg struct {
						ID     int64  `json:"id"`
						Status string `json:"status"`
					}
					if err := json.Unmarshal(r.Data, &reg); err != nil || reg.Status != "confirmed" {
						a.body = string(r.Raw)
					}
					a.regID = reg.ID
				} else {
					a.body = string(r.Raw)
				}
				mine = append(mine, a)
				if r.Status == http.StatusServiceUnavailable {
					time.Sleep(20 * time.Millisecond) // a client backs off, if not for Retry-After's 2 s
				}
			}
		})
	}

	time.Sleep(crashLoadBefore)
	pg.Kill(t)
	killed := time.Now()
	time.Sleep(crashOutage / 4)
	if status, checks := readiness(t, client); status != http.StatusServiceUnavailable || checks["postgres"] != "failing" {
		t.Errorf("/readyz during the outage: got %d %v, want 503 with postgres failing", status, checks)
	}
	time.Sleep(time.Until(killed.Add(crashOutage)))
	restarting := time.Now()
	pg.Start(t)
	time.Sleep(crashLoadAfter)
	close(stop)
	wg.Wait()
	if status, checks := readiness(t, client); status != http.StatusOK {
		t.Errorf("/readyz after the restart: got %d %v, want 200", status, checks)
	}

	// What the clients were told.
	var (
		acknowledged = map[int64]int64{} // user -> registration answered 201
		statuses     = map[int]int{}
		inOutage     int // requests sent after the crash and answered before the restart
		unavailable  int // 503s among them
		after        int // 201s to requests sent after the restart
		unexpected   int
	)
	for _, a := range answers {
		statuses[a.status]++
		switch a.status {
		case http.StatusCreated:
			if a.body != "" {
				t.Errorf("user %d: 201 %s, want a confirmed registration", a.user, a.body)
			}
			acknowledged[a.user] = a.regID
			if a.sent.After(restarting) {
				after++
			}
		case http.StatusServiceUnavailable:
			if a.retryAfter == "" {
				t.Errorf("user %d: 503 without Retry-After: %s", a.user, a.body)
			}
		default:
			if unexpected++; unexpected <= 10 {
				t.Errorf("user %d: got %d %s, want 201, or 503 while PostgreSQL is down", a.user, a.status, a.body)
			}
		}
		if a.sent.After(killed) && a.got.Before(restarting) {
			inOutage++
			if a.status == http.StatusServiceUnavailable {
				unavailable++
			} else if unexpected++; unexpected <= 10 {
				t.Errorf("user %d: got %d during the outage, want 503: %s", a.user, a.status, a.body)
			}
		}
	}
	for i, err := range transport {
		if i < 5 {
			t.Errorf("transport error (the server must answer): %v", err)
		}
	}
	if statuses[http.StatusInternalServerError] > 0 {
		t.Errorf("%d responses were 500; the errors logged:\n%s", statuses[http.StatusInternalServerError], failures(logs.String(), 20))
	}
	if inOutage == 0 {
		t.Error("no request was answered during the outage")
	}
	if after == 0 {
		t.Error("no registration succeeded after the restart")
	}

	// What the database kept.
	rows, err := db.Query(ctx, `SELECT user_id, id FROM event_registrations WHERE event_id = $1 AND status = 'confirmed'`, eventID)
	if err != nil {
		t.Fatal(err)
	}
	kept := map[int64]int64{} // user -> registration
	var userID, regID int64
	if _, err := pgx.ForEachRow(rows, []any{&userID, &regID}, func() error { kept[userID] = regID; return nil }); err != nil {
		t.Fatal(err)
	}
	var lost []int64
	for user, reg := range acknowledged {
		if got, ok := kept[user]; !ok || got != reg {
			lost = append(lost, user)
		}
	}
	var registeredCount, messages int
	if err := db.QueryRow(ctx, `SELECT registered_count FROM events WHERE id = $1`, eventID).Scan(&registeredCount); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE subject = $1 AND (payload->>'event_id')::bigint = $2`,
		events.SubjectRegistrationConfirmed, eventID).Scan(&messages); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests (%v); %d answered 201, %d of them in the table after the crash; %d of %d requests in the outage answered 503; "+
		"%d confirmed rows, registered_count %d, %d registration.confirmed messages; %d transport errors",
		len(answers), statuses, len(acknowledged), len(acknowledged)-len(lost), unavailable, inOutage,
		len(kept), registeredCount, messages, len(transport))
	if len(lost) > 0 {
		t.Errorf("%d registrations answered 201 are not in the table after the crash (users %v)", len(lost), firstOf(lost, 10))
	}
	if registeredCount != len(kept) {
		t.Errorf("registered_count = %d, but %d confirmed rows", registeredCount, len(kept))
	}
	if messages != len(kept) {
		t.Errorf("%d registration.confirmed messages in the outbox, but %d confirmed rows", messages, len(kept))
	}
}

// crashUsersIn inserts an organizer and n attendees and returns their IDs.
func crashUsersIn(t *testing.T, ctx context.Context, db interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
	QueryRow(context.Context, string, ...any) pgx.Row
}, n int) (int64, []int64) {
	t.Helper()
	var organizer int64
	if err := db.QueryRow(ctx, `INSERT INTO users (email, password_hash, name, role) VALUES ('organizer@example.com', 'x', 'Organizer', 'organizer') RETURNING id`).Scan(&organizer); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(ctx, `
		INSERT INTO users (email, password_hash, name, role)
		SELECT 'crash' || g || '@example.com', 'x', 'Attendee ' || g, 'attendee' FROM generate_series(1, $1::int) g
		RETURNING id`, n)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return organizer, ids
}

// crashEvent creates and publishes an event with room for everyone.
func crashEvent(t *testing.T, client *integration.Client, token string) int64 {
	t.Helper()
	r := client.Do(t, http.MethodPost, "/api/v1/events", token, map[string]any{
		"title": "Crash test", "description": "Registrations while PostgreSQL crashes", "category": "technology",
		"date": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339), "timezone": "UTC",
		"location": map[string]any{"name": "Hall", "address": "1 Main St", "city": "Berlin", "country": "DE", "lat": 52.52, "lng": 13.405},
		"capacity": 1_000_000, "price": 0, "currency": "EUR",
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("create event: got %d %s", r.Status, r.Raw)
	}
	id := integration.Data[struct {
		ID int64 `json:"id"`
	}](t, r).ID
	if r := client.Do(t, http.MethodPost, fmt.Sprintf("/api/v1/events/%d/publish", id), token, nil); r.Status != http.StatusOK {
		t.Fatalf("publish event: got %d %s", r.Status, r.Raw)
	}
	return id
}

// readiness returns /readyz's status and the state of each dependency it checks.
func readiness(t *testing.T, client *integration.Client) (int, map[string]string) {
	t.Helper()
	res, err := client.HTTP.Get(client.Base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Checks map[string]string `json:"checks"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("/readyz: %v", err)
	}
	return res.StatusCode, body.Checks
}

func signToken(t *testing.T, s *auth.Signer, user int64, role string) string {
	tok, err := s.Sign(auth.Identity{UserID: user, Role: role})
	if err != nil {
		t.Error(err)
	}
	return tok
}

// failures returns the first n lines of log that are not access log lines.
func failures(log string, n int) string {
	var out []string
	for line := range strings.Lines(log) {
		if !strings.Contains(line, "msg=request ") && len(out) < n {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

func firstOf(s []int64, n int) []int64 { return s[:min(n, len(s))] }
