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
	t      testing.TB
	db     *pgxpool.Pool
	out    *integration.Outbox
	key    ed25519.PrivateKey
	svc    *Service
	api    *integration.Client
	events *integration.Client
}

func newEnv(t testing.TB, change ...func(*Options)) *env {
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
	integration.WaitFor(e.t, "partitions", func() bool { return svc.Ready(ctx) == nil })
	return svc, integration.NewClient(srv.URL)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

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
	integration.WaitFor(t, want, func() bool { return hours() == want })
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
	integration.WaitFor(t, "the replay", func() bool {
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
	integration.WaitFor(t, "the registrations made while NATS was down", func() bool {
		return e.count(`SELECT coalesce(sum(registrations), 0) FROM analytics_event_hours WHERE event_id = $1`, ev) == n
	})
}

// The fixed data set of the read tests, in UTC, days before today (d1 and d2):
//
//	event E (organizer O, Berlin, music), event F (O, Paris, tech), event G (P, Berlin, music)
//	user A: views E at d1 10:00 and 10:30, clicks E at d1 10:05, views E at d2 15:00,
//	        shares E at d2 15:20; then favorites E and registers for E (now, domain events)
//	user B: views E at d1 11:00; registers for E (now)
//	session s1 (anonymous): views E at d2 15:10; views F at d2 16:00
//	user A: views G at d2 09:00
//
// By hand, over [d1, now]: E has 5 views, 3 unique viewers (A, B, s1), 1 click, 1 share,
// 1 favorite, 2 registrations, conversion 2/3. By day: d1 3 views (2 viewers), d2 2 views
// (2 viewers), today 0 views, 2 registrations, 1 favorite. By hour on d1: 10:00 2 views
// and 1 click, 11:00 1 view.
type fixture struct {
	e, f, g         int64
	a, b            int64
	aTok, oTok      string
	pTok, adminTok  string
	d1, d2, today   time.Time
	registeredAfter time.Time
}

func newFixture(e *env) fixture {
	e.t.Helper()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	fx := fixture{d1: today.AddDate(0, 0, -3), d2: today.AddDate(0, 0, -2), today: today}
	var bTok string
	_, fx.oTok = e.user("organizer", time.Time{})
	_, fx.pTok = e.user("organizer", time.Time{})
	_, fx.adminTok = e.user("admin", time.Time{})
	fx.a, fx.aTok = e.user("attendee", time.Time{})
	fx.b, bTok = e.user("attendee", time.Time{})
	fx.e = e.event(fx.oTok, "Berlin", "music")
	fx.f = e.event(fx.oTok, "Paris", "technology")
	fx.g = e.event(fx.pTok, "Berlin", "music")
	at := func(d time.Time, hh, mm int) time.Time {
		return d.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
	}
	e.send(fx.aTok, item("view", fx.e, at(fx.d1, 10, 0)), item("view", fx.e, at(fx.d1, 10, 30)), item("click", fx.e, at(fx.d1, 10, 5)),
		item("view", fx.e, at(fx.d2, 15, 0)), item("share", fx.e, at(fx.d2, 15, 20)), item("view", fx.g, at(fx.d2, 9, 0)))
	e.send(bTok, item("view", fx.e, at(fx.d1, 11, 0)))
	e.send("", item("view", fx.e, at(fx.d2, 15, 10), "session_id", "s1"), item("view", fx.f, at(fx.d2, 16, 0), "session_id", "s1"))
	if r := e.events.Do(e.t, "POST", fmt.Sprintf("/api/v1/events/%d/favorite", fx.e), fx.aTok, nil); r.Status/100 != 2 {
		e.t.Fatalf("favorite: %d %s", r.Status, r.Raw)
	}
	for _, tok := range []string{fx.aTok, bTok} {
		if r := e.events.Do(e.t, "POST", fmt.Sprintf("/api/v1/events/%d/registrations", fx.e), tok, nil); r.Status != http.StatusCreated {
			e.t.Fatalf("register: %d %s", r.Status, r.Raw)
		}
	}
	integration.WaitFor(e.t, "the registrations and the favorite", func() bool {
		return e.count(`SELECT coalesce(sum(registrations + favorites), 0) FROM analytics_event_hours WHERE event_id = $1`, fx.e) == 3
	})
	return fx
}

func (e *env) get(path, token string) integration.Response {
	e.t.Helper()
	return e.api.Do(e.t, "GET", path, token, nil)
}

func ptr[T any](v T) *T { return &v }

func TestEventStatsMatchTheHandCount(t *testing.T) {
	e := newEnv(t)
	fx := newFixture(e)
	from, to := fx.d1.Format(time.DateOnly), fx.today.Format(time.DateOnly)
	path := fmt.Sprintf("/api/v1/analytics/events/%d/stats?from=%s&to=%s&interval=day", fx.e, from, to)
	r := e.get(path, fx.oTok)
	if r.Status != http.StatusOK {
		t.Fatalf("stats: %d %s", r.Status, r.Raw)
	}
	st := integration.Data[EventStats](t, r)
	want := Counts{Views: 5, UniqueViewers: ptr[int64](3), Clicks: 1, Shares: 1, Favorites: 1, Registrations: 2, Conversion: ptr(2.0 / 3)}
	if got := st.Totals; fmt.Sprint(counts(got)) != fmt.Sprint(counts(want)) {
		t.Errorf("totals: got %v, want %v", counts(got), counts(want))
	}
	wantDays := []string{
		fx.d1.Format(time.DateOnly) + " views 3 viewers 2 regs 0 favs 0",
		fx.d2.Format(time.DateOnly) + " views 2 viewers 2 regs 0 favs 0",
		fx.today.AddDate(0, 0, -1).Format(time.DateOnly) + " views 0 viewers 0 regs 0 favs 0",
		fx.today.Format(time.DateOnly) + " views 0 viewers 0 regs 2 favs 1",
	}
	var gotDays []string
	for _, b := range st.Series {
		gotDays = append(gotDays, fmt.Sprintf("%s views %d viewers %d regs %d favs %d", b.Start.Format(time.DateOnly), b.Views, *b.UniqueViewers, b.Registrations, b.Favorites))
	}
	if strings.Join(gotDays, "\n") != strings.Join(wantDays, "\n") {
		t.Errorf("series:\n%s\nwant:\n%s", strings.Join(gotDays, "\n"), strings.Join(wantDays, "\n"))
	}

	r = e.get(fmt.Sprintf("/api/v1/analytics/events/%d/stats?from=%s&to=%s&interval=hour", fx.e,
		fx.d1.Add(10*time.Hour).Format(time.RFC3339), fx.d1.Add(12*time.Hour).Format(time.RFC3339)), fx.adminTok)
	if r.Status != http.StatusOK {
		t.Fatalf("hourly stats: %d %s", r.Status, r.Raw)
	}
	st = integration.Data[EventStats](t, r)
	if len(st.Series) != 2 || st.Series[0].Views != 2 || st.Series[0].Clicks != 1 || st.Series[1].Views != 1 || st.Series[0].UniqueViewers != nil {
		t.Errorf("hourly series: %+v", st.Series)
	}

	r = e.api.Do(t, "GET", fmt.Sprintf("/api/v1/analytics/events/%d/stats.csv?from=%s&to=%s", fx.e, from, to), fx.oTok, nil)
	lines := strings.Split(strings.TrimSpace(string(r.Raw)), "\n")
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || len(lines) != 5 ||
		lines[1] != fx.d1.Format(time.RFC3339)+",3,2,1,0,0,0,0,0,0.0000" {
		t.Errorf("CSV: %d %s\n%s", r.Status, r.Header.Get("Content-Type"), r.Raw)
	}

	for _, tt := range []struct {
		name, path, token string
		status            int
	}{
		{"someone else's event", path, fx.pTok, 403},
		{"an attendee", path, fx.aTok, 403},
		{"anonymous", path, "", 401},
		{"no such event", fmt.Sprintf("/api/v1/analytics/events/%d/stats", fx.g+100), fx.adminTok, 404},
		{"from after to", fmt.Sprintf("/api/v1/analytics/events/%d/stats?from=%s&to=%s", fx.e, to, from), fx.oTok, 400},
		{"a year by the hour", fmt.Sprintf("/api/v1/analytics/events/%d/stats?from=2026-01-01&to=2026-12-31&interval=hour", fx.e), fx.oTok, 400},
		{"unknown interval", fmt.Sprintf("/api/v1/analytics/events/%d/stats?interval=minute", fx.e), fx.oTok, 400},
		{"not a time", fmt.Sprintf("/api/v1/analytics/events/%d/stats?from=yesterday", fx.e), fx.oTok, 400},
	} {
		if r := e.get(tt.path, tt.token); r.Status != tt.status || r.Error.Message == "" {
			t.Errorf("%s: got %d %s, want %d", tt.name, r.Status, r.Raw, tt.status)
		}
	}
}

// counts renders Counts with its pointers dereferenced, for comparing.
func counts(c Counts) string {
	v, conv := int64(-1), -1.0
	if c.UniqueViewers != nil {
		v = *c.UniqueViewers
	}
	if c.Conversion != nil {
		conv = *c.Conversion
	}
	return fmt.Sprintf("views %d viewers %d clicks %d shares %d favs %d unfavs %d regs %d cancels %d conversion %.4f",
		c.Views, v, c.Clicks, c.Shares, c.Favorites, c.Unfavorites, c.Registrations, c.Cancellations, conv)
}

func TestOverviewsMatchTheHandCount(t *testing.T) {
	e := newEnv(t)
	fx := newFixture(e)

	// The organizer O over d2 (one day) against d1: E 2 views (before: 3), F 1 view
	// (before: 0); G is someone else's.
	r := e.get(fmt.Sprintf("/api/v1/analytics/organizers/me/overview?from=%s&to=%s", fx.d2.Format(time.DateOnly), fx.d2.Format(time.DateOnly)), fx.oTok)
	if r.Status != http.StatusOK {
		t.Fatalf("organizer overview: %d %s", r.Status, r.Raw)
	}
	o := integration.Data[OrganizerOverview](t, r)
	if o.EventCount != 2 || len(o.Events) != 2 || o.Events[0].EventID != fx.e || o.Events[1].EventID != fx.f {
		t.Fatalf("events: %+v", o.Events)
	}
	if got, want := counts(o.Events[0].Counts), counts(Counts{Views: 2, UniqueViewers: ptr[int64](2), Shares: 1, Conversion: ptr(0.0)}); got != want {
		t.Errorf("E: %s, want %s", got, want)
	}
	if tr := o.Events[0].Trend; tr.PreviousViews != 3 || tr.ViewsChange == nil || fmt.Sprintf("%.4f", *tr.ViewsChange) != "-0.3333" {
		t.Errorf("E's trend: %+v", tr)
	}
	if tr := o.Events[1].Trend; tr.PreviousViews != 0 || tr.ViewsChange != nil {
		t.Errorf("F's trend: %+v", tr)
	}
	r = e.api.Do(t, "GET", fmt.Sprintf("/api/v1/analytics/organizers/me/overview.csv?from=%s&to=%s", fx.d2.Format(time.DateOnly), fx.d2.Format(time.DateOnly)), fx.oTok, nil)
	if lines := strings.Split(strings.TrimSpace(string(r.Raw)), "\n"); r.Status != http.StatusOK || len(lines) != 3 ||
		!strings.HasPrefix(lines[0], "event_id,title,") || !strings.HasPrefix(lines[1], fmt.Sprintf("%d,Meetup in Berlin,", fx.e)) {
		t.Errorf("organizer CSV: %d\n%s", r.Status, r.Raw)
	}
	// Totals: 3 views, viewers A and s1 (s1 viewed both: once).
	if got, want := counts(o.Totals), counts(Counts{Views: 3, UniqueViewers: ptr[int64](2), Shares: 1, Conversion: ptr(0.0)}); got != want {
		t.Errorf("totals: %s, want %s", got, want)
	}

	// The platform over [d1, today]: active A, B (d1); A, s1 (d2); A, B (today: their
	// registrations). G counts too.
	r = e.get(fmt.Sprintf("/api/v1/analytics/overview?from=%s&to=%s", fx.d1.Format(time.DateOnly), fx.today.Format(time.DateOnly)), fx.adminTok)
	if r.Status != http.StatusOK {
		t.Fatalf("overview: %d %s", r.Status, r.Raw)
	}
	ov := integration.Data[Overview](t, r)
	var active []string
	for _, a := range ov.DailyActive {
		active = append(active, fmt.Sprintf("%s %d/%d", a.Day, a.Users, a.Visitors))
	}
	wantActive := []string{fx.d1.Format(time.DateOnly) + " 2/2", fx.d2.Format(time.DateOnly) + " 1/2", fx.today.Format(time.DateOnly) + " 2/2"}
	if strings.Join(active, ", ") != strings.Join(wantActive, ", ") {
		t.Errorf("daily active (users/visitors): %s, want %s", strings.Join(active, ", "), strings.Join(wantActive, ", "))
	}
	if got, want := counts(ov.Totals), counts(Counts{Views: 7, Clicks: 1, Shares: 1, Favorites: 1, Registrations: 2}); got != want {
		t.Errorf("totals: %s, want %s", got, want)
	}
	// Weekly: who was active in each week the days fall in (A and B on d1; A and s1 on d2;
	// A and B today), each once a week.
	who := map[time.Time]map[string]bool{}
	for d, vs := range map[time.Time][]string{fx.d1: {"A", "B"}, fx.d2: {"A", "s1"}, fx.today: {"A", "B"}} {
		w := weekOf(d)
		if who[w] == nil {
			who[w] = map[string]bool{}
		}
		for _, v := range vs {
			who[w][v] = true
		}
	}
	var wantWeeks []string
	for w := weekOf(fx.d1); !w.After(fx.today); w = w.AddDate(0, 0, 7) {
		users := 0
		for v := range who[w] {
			if v != "s1" {
				users++
			}
		}
		wantWeeks = append(wantWeeks, fmt.Sprintf("%s %d/%d", w.Format(time.DateOnly), users, len(who[w])))
	}
	var weeks []string
	for _, a := range ov.WeeklyActive {
		weeks = append(weeks, fmt.Sprintf("%s %d/%d", a.Day, a.Users, a.Visitors))
	}
	if strings.Join(weeks, ", ") != strings.Join(wantWeeks, ", ") {
		t.Errorf("weekly active (users/visitors): %s, want %s", strings.Join(weeks, ", "), strings.Join(wantWeeks, ", "))
	}
	top := func(rs []Ranked) string {
		var s []string
		for _, r := range rs {
			s = append(s, fmt.Sprintf("%s %d/%d", r.Name, r.Views, r.Registrations))
		}
		return strings.Join(s, ", ")
	}
	if got, want := top(ov.TopCities), "Berlin 6/2, Paris 1/0"; got != want {
		t.Errorf("top cities: %s, want %s", got, want)
	}
	if got, want := top(ov.TopCategories), "music 6/2, technology 1/0"; got != want {
		t.Errorf("top categories: %s, want %s", got, want)
	}
	if len(ov.TopEvents) != 3 || ov.TopEvents[0].EventID != fx.e {
		t.Errorf("top events: %+v", ov.TopEvents)
	}
	if len(ov.Registrations) != 1 || ov.Registrations[0].Count != 2 {
		t.Errorf("registrations by day: %+v", ov.Registrations)
	}
	if r := e.get("/api/v1/analytics/overview", fx.oTok); r.Status != http.StatusForbidden {
		t.Errorf("an organizer's platform overview: %d, want 403", r.Status)
	}
}

func TestFunnelMatchesTheHandCount(t *testing.T) {
	e := newEnv(t)
	fx := newFixture(e)
	from := fx.d1.Format(time.DateOnly)
	for _, tt := range []struct {
		query, token string
		want         string // visitors per step
	}{
		// A: view → favorite → register; B: view → register; s1: view (E and F); A: view G.
		// Visitors, not pairs: A viewed two events, s1 two.
		{"steps=view,favorite,register", fx.adminTok, "view 3, favorite 1, register 1"},
		{"steps=view,register", fx.adminTok, "view 3, register 2"},
		{fmt.Sprintf("steps=view,register&event_id=%d", fx.e), fx.oTok, "view 3, register 2"},
		// Order matters: nobody registered before viewing... the favorite came first.
		{"steps=register,view", fx.adminTok, "register 2, view 0"},
		{"steps=favorite,register", fx.adminTok, "favorite 1, register 1"},
	} {
		r := e.get("/api/v1/analytics/funnel?from="+from+"&"+tt.query, tt.token)
		if r.Status != http.StatusOK {
			t.Errorf("%s: %d %s", tt.query, r.Status, r.Raw)
			continue
		}
		f := integration.Data[Funnel](t, r)
		var got []string
		for _, s := range f.Steps {
			got = append(got, fmt.Sprintf("%s %d", s.Type, s.Visitors))
		}
		if strings.Join(got, ", ") != tt.want {
			t.Errorf("%s: %s, want %s", tt.query, strings.Join(got, ", "), tt.want)
		}
	}
	r := e.get("/api/v1/analytics/funnel?steps=view,register&from="+from, fx.adminTok)
	f := integration.Data[Funnel](t, r)
	if f.Steps[1].DropOff == nil || fmt.Sprintf("%.4f %.4f", *f.Steps[1].Rate, *f.Steps[1].DropOff) != "0.6667 0.3333" || f.Steps[0].DropOff != nil {
		t.Errorf("drop-off: %+v %+v", f.Steps[0], f.Steps[1])
	}
	for _, tt := range []struct {
		query, token string
		status       int
	}{
		{"steps=view,like", fx.adminTok, 400},
		{"steps=view", fx.adminTok, 400},
		{"steps=view,view", fx.adminTok, 400},
		{"", fx.adminTok, 400},
		{"steps=view,register", fx.oTok, 403},
		{fmt.Sprintf("steps=view,register&event_id=%d", fx.g), fx.oTok, 403},
		{"steps=view,register&from=2026-01-01&to=2026-12-31", fx.adminTok, 400},
	} {
		if r := e.get("/api/v1/analytics/funnel?"+tt.query, tt.token); r.Status != tt.status {
			t.Errorf("%q: %d %s, want %d", tt.query, r.Status, r.Raw, tt.status)
		}
	}
}

func TestRetentionMatchesTheHandCount(t *testing.T) {
	e := newEnv(t)
	_, org := e.user("organizer", time.Time{})
	ev := e.event(org, "Berlin", "music")
	_, admin := e.user("admin", time.Now().AddDate(-1, 0, 0))
	// A cohort three weeks back (its Monday, 09:00): U1 active in weeks 0 and 1, U2 in
	// week 2, U3 never; a cohort two weeks back: U4 active in week 0 and this week (2).
	monday := time.Now().UTC().Truncate(24 * time.Hour)
	for monday.Weekday() != time.Monday {
		monday = monday.AddDate(0, 0, -1)
	}
	w0 := monday.AddDate(0, 0, -21).Add(9 * time.Hour)
	w1 := w0.AddDate(0, 0, 7)
	_, u1 := e.user("attendee", w0)
	_, u2 := e.user("attendee", w0.Add(time.Hour))
	e.user("attendee", w0.Add(2*time.Hour))
	_, u4 := e.user("attendee", w1)
	e.send(u1, item("view", ev, w0.Add(3*time.Hour)), item("view", ev, w0.AddDate(0, 0, 8)))
	e.send(u2, item("click", ev, w0.AddDate(0, 0, 15)))
	e.send(u4, item("view", ev, w1.Add(time.Hour)), item("view", ev, monday.Add(time.Minute)))

	r := e.get("/api/v1/analytics/retention?cohort=week&from="+w0.Format(time.DateOnly), admin)
	if r.Status != http.StatusOK {
		t.Fatalf("retention: %d %s", r.Status, r.Raw)
	}
	ret := integration.Data[Retention](t, r)
	var got []string
	for _, c := range ret.Cohorts {
		got = append(got, fmt.Sprintf("%s: %d users, active %v", c.Start, c.Users, c.Active))
	}
	// The organizer signed up this week: a cohort of one, never active.
	want := []string{
		w0.Format(time.DateOnly) + ": 3 users, active [1 1 1 0]",
		w1.Format(time.DateOnly) + ": 1 users, active [1 0 1]",
		monday.Format(time.DateOnly) + ": 1 users, active [0]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cohorts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(ret.Cohorts) > 0 && fmt.Sprintf("%.4f", ret.Cohorts[0].Rates[1]) != "0.3333" {
		t.Errorf("rates: %v", ret.Cohorts[0].Rates)
	}
	if r := e.get("/api/v1/analytics/retention", org); r.Status != http.StatusForbidden {
		t.Errorf("an organizer's retention: %d, want 403", r.Status)
	}
	if r := e.get("/api/v1/analytics/retention?cohort=day", admin); r.Status != http.StatusBadRequest {
		t.Errorf("cohort=day: %d, want 400", r.Status)
	}
}

func TestPartitionsAreMadeAheadAndDroppedAfterTheRetention(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, org := e.user("organizer", time.Time{})
	ev := e.event(org, "Berlin", "music")
	now := time.Now().UTC()
	names := func() []string {
		rows, err := e.db.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			WHERE i.inhparent = 'analytics_events'::regclass ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n string
			_ = rows.Scan(&n)
			out = append(out, n)
		}
		return out
	}
	month := func(t time.Time) string { return partitionName(monthOf(t)) }
	got := names()
	// From the month 13 months back to two months ahead: 16.
	if len(got) != 16 || got[0] != month(now.AddDate(0, -13, 0)) || got[15] != month(now.AddDate(0, 2, 0)) {
		t.Fatalf("partitions at start: %v", got)
	}

	// Next month takes rows with no manual step; a month far ahead is refused clearly.
	old := row{OccurredAt: now.AddDate(0, -12, 0), ID: itemID("t", "old"), Type: "view", EventID: ev, Visitor: 1, Source: sourceClient}
	next := row{OccurredAt: monthOf(now).AddDate(0, 1, 3), ID: itemID("t", "next"), Type: "view", EventID: ev, Visitor: 1, Source: sourceClient}
	if err := e.svc.writer.write(ctx, []row{old, next}); err != nil {
		t.Fatalf("rows for last year and next month: %v", err)
	}
	far := row{OccurredAt: now.AddDate(5, 0, 0), ID: itemID("t", "far"), Type: "view", EventID: ev, Visitor: 1, Source: sourceClient}
	err := e.svc.writer.write(ctx, []row{far})
	if err == nil || !strings.Contains(err.Error(), "no partition of analytics_events holds a row's month") {
		t.Fatalf("a row five years ahead: %v, want a clear error", err)
	}
	e.send(org, item("view", ev, now)) // and the service goes on

	// Three months on: the three oldest months go (with their rows and rollups), three
	// more are made ahead.
	if err := e.svc.Maintain(ctx, now.AddDate(0, 3, 0)); err != nil {
		t.Fatal(err)
	}
	got = names()
	if len(got) != 16 || got[0] != month(now.AddDate(0, -10, 0)) || got[15] != month(now.AddDate(0, 5, 0)) {
		t.Errorf("partitions three months on: %v", got)
	}
	if n := e.count(`SELECT count(*) FROM analytics_events`); n != 2 {
		t.Errorf("rows after dropping last year's months: %d, want next month's and today's", n)
	}
	if n := e.count(`SELECT count(*) FROM analytics_event_hours WHERE hour < $1`, now.AddDate(0, -10, 0)); n != 0 {
		t.Errorf("expired hourly rollups left: %d", n)
	}
	if n := e.count(`SELECT coalesce(sum(views), 0) FROM analytics_event_hours`); n != 2 {
		t.Errorf("views kept in the rollup: %d, want 2", n)
	}
}
