package analytics

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/natsbus"
	"github.com/events-platform/events-platform/services/events"
	"github.com/events-platform/events-platform/test/integration"
)

// env is an analytics service with its own database and JetStream, the events service
// that publishes domain events into it, and a signer for tokens.
type env struct {
	t      *testing.T
	db     *pgxpool.Pool
	out    *integration.Outbox
	key    ed25519.PrivateKey
	svc    *Service
	api    *integration.Client
	events *integration.Client
}

func newEnv(t *testing.T, change ...func(*Options)) *env {
	t.Helper()
	db, _ := integration.Pool(t)
	out := integration.StartOutbox(t, db)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	e := &env{t: t, db: db, out: out, key: key}
	verifier := auth.NewVerifier("events-platform", key.Public().(ed25519.PublicKey))
	evs := events.New(events.Options{Log: quiet(), DB: db, Verifier: verifier, Version: "test"})
	evSrv := httptest.NewServer(evs.Handler())
	t.Cleanup(evSrv.Close)
	e.events = integration.NewClient(evSrv.URL)
	e.svc, e.api = e.start(out.Bus, verifier, change...)
	return e
}

// start runs an analytics replica until the test ends, and waits until it is ready.
func (e *env) start(bus *natsbus.Bus, verifier *auth.Verifier, change ...func(*Options)) (*Service, *integration.Client) {
	opts := Options{Log: quiet(), DB: e.db, Bus: bus, Verifier: verifier, Version: "test", Consumer: "analytics"}
	for _, c := range change {
		c(&opts)
	}
	svc := New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = svc.Run(ctx); close(done) }()
	srv := httptest.NewServer(svc.Handler())
	e.t.Cleanup(func() { srv.Close(); cancel(); <-done })
	waitFor(e.t, "partitions", func() bool { return svc.Ready(ctx) == nil })
	return svc, integration.NewClient(srv.URL)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// user inserts a user created at created (zero: now) and returns its id and a token.
func (e *env) user(role string, created time.Time) (int64, string) {
	e.t.Helper()
	if created.IsZero() {
		created = time.Now()
	}
	var id int64
	n := fmt.Sprint(time.Now().UnixNano())
	if err := e.db.QueryRow(context.Background(), `INSERT INTO users (email, password_hash, name, role, created_at) VALUES ($1, 'x', $2, $3, $4) RETURNING id`,
		role+n+"@example.com", "User "+n, role, created).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	tok, err := auth.NewSigner(e.key, "events-platform", 15*time.Minute).Sign(auth.Identity{UserID: id, Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	return id, tok
}

// event creates and publishes an event of the organizer, in city.
func (e *env) event(orgToken, city, category string) int64 {
	e.t.Helper()
	r := e.events.Do(e.t, "POST", "/api/v1/events", orgToken, map[string]any{
		"title": "Meetup in " + city, "description": "Talks", "category": category,
		"date": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339), "timezone": "UTC",
		"location": map[string]any{"name": "Hall", "address": "1 Main St", "city": city, "country": "DE", "lat": 52.52, "lng": 13.405},
		"capacity": 10, "price": 0, "currency": "EUR",
	})
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	id := integration.Data[struct {
		ID int64 `json:"id"`
	}](e.t, r).ID
	if r := e.events.Do(e.t, "POST", fmt.Sprintf("/api/v1/events/%d/publish", id), orgToken, nil); r.Status != http.StatusOK {
		e.t.Fatalf("publish: %d %s", r.Status, r.Raw)
	}
	return id
}

// item is one interaction as a client sends it.
func item(typ string, event int64, at time.Time, extra ...string) map[string]any {
	m := map[string]any{"type": typ, "occurred_at": at.UTC().Format(time.RFC3339Nano)}
	if event > 0 {
		m["event_id"] = event
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// send posts a batch and expects 202.
func (e *env) send(token string, items ...map[string]any) {
	e.t.Helper()
	r := e.api.Do(e.t, "POST", "/api/v1/analytics/interactions", token, map[string]any{"interactions": items})
	if r.Status != http.StatusAccepted {
		e.t.Fatalf("capture: %d %s", r.Status, r.Raw)
	}
	if got := integration.Data[Accepted](e.t, r).Accepted; got != len(items) {
		e.t.Fatalf("accepted %d, want %d", got, len(items))
	}
}

func (e *env) count(query string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestCaptureRefusesBadBatchesClearly(t *testing.T) {
	e := newEnv(t)
	_, org := e.user("organizer", time.Time{})
	ev := e.event(org, "Berlin", "music")
	now := time.Now()
	many := make([]map[string]any, maxBatch+1)
	for i := range many {
		many[i] = item("view", ev, now)
	}
	tests := []struct {
		name   string
		body   any
		status int
		fields []string // details' fields, in order
	}{
		{"not JSON", `{"interactions": [`, 400, nil},
		{"no items", map[string]any{"interactions": []any{}}, 400, nil},
		{"unknown type", map[string]any{"interactions": []any{item("like", ev, now)}}, 400, []string{"interactions[0].type"}},
		{"no event for a view", map[string]any{"interactions": []any{item("view", 0, now)}}, 400, []string{"interactions[0].event_id"}},
		{"no such event", map[string]any{"interactions": []any{item("view", ev, now), item("view", ev+1000, now)}}, 400, []string{"interactions[1].event_id"}},
		{"in the future", map[string]any{"interactions": []any{item("view", ev, now), item("view", ev, now.Add(time.Hour))}}, 400, []string{"interactions[1].occurred_at"}},
		{"older than the retention", map[string]any{"interactions": []any{item("click", ev, now.AddDate(-2, 0, 0))}}, 400, []string{"interactions[0].occurred_at"}},
		{"every problem at once", map[string]any{"interactions": []any{item("view", ev, now.Add(time.Hour)), item("share", 0, now)}}, 400,
			[]string{"interactions[0].occurred_at", "interactions[1].event_id"}},
		{"too many", map[string]any{"interactions": many}, 413, nil},
		{"too big", `{"interactions": [{"type": "view", "event_id": 1, "occurred_at": "` + now.Format(time.RFC3339) + `", "properties": {"x": "` + strings.Repeat("a", 2<<20) + `"}}]}`, 413, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.api.Do(t, "POST", "/api/v1/analytics/interactions", "", tt.body)
			if r.Status != tt.status || r.Success || r.Error.Code == "" {
				t.Fatalf("got %d %s, want %d in the error envelope", r.Status, r.Raw, tt.status)
			}
			var fields []string
			for _, d := range r.Error.Details {
				fields = append(fields, d.Field)
			}
			if tt.fields != nil && strings.Join(fields, " ") != strings.Join(tt.fields, " ") {
				t.Errorf("details' fields: got %q, want %q (%s)", fields, tt.fields, r.Raw)
			}
		})
	}
	if n := e.count(`SELECT count(*) FROM analytics_events`); n != 0 {
		t.Errorf("refused batches stored %d rows", n)
	}
}

func TestCaptureIsIdempotentAndKeepsNoAddress(t *testing.T) {
	e := newEnv(t)
	uid, tok := e.user("attendee", time.Time{})
	_, org := e.user("organizer", time.Time{})
	ev := e.event(org, "Berlin", "music")
	at := time.Now().Add(-time.Minute)
	batch := []map[string]any{item("view", ev, at, "id", "a1"), item("click", ev, at, "id", "a2"), item("search", 0, at, "id", "a3")}
	batch[2]["properties"] = map[string]any{"query": "jazz"}
	e.send(tok, batch...)
	e.send(tok, batch...) // a client retrying after a lost answer
	if n := e.count(`SELECT count(*) FROM analytics_events`); n != 3 {
		t.Errorf("rows after sending the same batch twice: %d, want 3", n)
	}
	if n := e.count(`SELECT views FROM analytics_event_hours WHERE event_id = $1`, ev); n != 1 {
		t.Errorf("views counted: %d, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM analytics_events WHERE user_id = $1 AND visitor = $1 AND source = 'client'`, uid); n != 3 {
		t.Errorf("signed-in rows with the user as visitor: %d, want 3", n)
	}
	if n := e.count(`SELECT count(*) FROM analytics_events WHERE properties->>'query' = 'jazz'`); n != 1 {
		t.Errorf("search with its properties: %d, want 1", n)
	}

	// Anonymous: two sessions are two viewers, the same session twice is one; a session
	// is stored only as a negative hash, and the same client id from someone else is a
	// different item.
	e.send("", item("view", ev, at, "session_id", "s-1", "id", "a1"), item("view", ev, at, "session_id", "s-1"),
		item("view", ev, at, "session_id", "s-2"))
	e.send("", item("view", ev, at, "session_id", "s-1", "id", "a1"))
	if n := e.count(`SELECT count(*) FROM analytics_events WHERE user_id IS NULL AND visitor < 0`); n != 3 {
		t.Errorf("anonymous rows: %d, want 3", n)
	}
	if n := e.count(`SELECT count(*) FROM analytics_event_viewers WHERE event_id = $1`, ev); n != 3 {
		t.Errorf("unique viewers: %d, want 3 (the user and two sessions)", n)
	}
	if n := e.count(`SELECT count(*) FROM analytics_events WHERE properties::text LIKE '%s-1%' OR properties::text LIKE '%127.0.0.1%'`); n != 0 {
		t.Errorf("a session id or an address is stored in clear in %d rows", n)
	}
	if n := e.count(`SELECT count(*) FROM analytics_salts`); n != 1 {
		t.Errorf("salts: %d, want today's", n)
	}
}

func TestDomainEventsAreRecordedOnceEvenWhenReplayed(t *testing.T) {
	e := newEnv(t)
	_, org := e.user("organizer", time.Time{})
	ev := e.event(org, "Berlin", "music")
	a, aTok := e.user("attendee", time.Time{})
	b, bTok := e.user("attendee", time.Time{})
	for _, tok := range []string{aTok, bTok} {
		if r := e.events.Do(t, "POST", fmt.Sprintf("/api/v1/events/%d/registrations", ev), tok, nil); r.Status != http.StatusCreated {
			t.Fatalf("register: %d %s", r.Status, r.Raw)
		}
	}
	if r := e.events.Do(t, "POST", fmt.Sprintf("/api/v1/events/%d/favorite", ev), aTok, nil); r.Status/100 != 2 {
		t.Fatalf("favorite: %d %s", r.Status, r.Raw)
	}
	if r := e.events.Do(t, "DELETE", fmt.Sprintf("/api/v1/events/%d/registrations/me", ev), bTok, nil); r.Status/100 != 2 {
		t.Fatalf("cancel: %d %s", r.Status, r.Raw)
	}
	hours := func() string {
		var regs, cancels, favs int64
		_ = e.db.QueryRow(context.Background(), `SELECT coalesce(sum(registrations), 0), coalesce(sum(cancellations), 0), coalesce(sum(favorites), 0)
			FROM analytics_event_hours WHERE event_id = $1`, ev).Scan(&regs, &cancels, &favs)
		return fmt.Sprintf("registrations %d, cancellations %d, favorites %d", regs, cancels, favs)
	}
	const want = "registrations 2, cancellations 1, favorites 1"
	waitFor(t, want, func() bool { return hours() == want })
	if n := e.count(`SELECT count(*) FROM analytics_events WHERE source = 'domain' AND user_id IN ($1, $2) AND visitor = user_id`, a, b); n != 4 {
		t.Errorf("domain rows: %d, want 4", n)
	}

	// A replay: the consumer is created anew from the start of the stream (as after a
	// lost consumer, or a second deployment), and every message is delivered again.
	ctx := context.Background()
	if err := e.out.Bus.JS.DeleteConsumer(ctx, natsbus.StreamName, "analytics"); err != nil {
		t.Fatal(err)
	}
	_, _ = e.start(e.out.Bus, auth.NewVerifier("events-platform", e.key.Public().(ed25519.PublicKey)), func(o *Options) { o.Consumer = "analytics-replay" })
	stream, err := e.out.Bus.JS.Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the replay", func() bool {
		c, err := stream.Consumer(ctx, "analytics-replay")
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.AckFloor.Stream > 0
	})
	if got := hours(); got != want {
		t.Errorf("after a replay: %s, want %s", got, want)
	}
	if n := e.count(`SELECT count(*) FROM analytics_events WHERE source = 'domain'`); n != 4 {
		t.Errorf("domain rows after a replay: %d, want 4", n)
	}
}

func TestNothingSentWhileNATSIsDownIsLost(t *testing.T) {
	e := newEnv(t)
	_, org := e.user("organizer", time.Time{})
	ev := e.event(org, "Berlin", "music")
	e.out.StopNATS(t)
	const n = 5
	for range n {
		_, tok := e.user("attendee", time.Time{})
		if r := e.events.Do(t, "POST", fmt.Sprintf("/api/v1/events/%d/registrations", ev), tok, nil); r.Status != http.StatusCreated {
			t.Fatalf("register while NATS is down: %d %s", r.Status, r.Raw)
		}
	}
	e.out.StartNATS(t)
	waitFor(t, "the registrations made while NATS was down", func() bool {
		return e.count(`SELECT coalesce(sum(registrations), 0) FROM analytics_event_hours WHERE event_id = $1`, ev) == n
	})
}
