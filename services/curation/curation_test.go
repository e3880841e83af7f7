package curation

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/test/integration"
)

// env is a curation service with its own database and JetStream, and a signer for tokens.
type env struct {
	t   testing.TB
	db  *pgxpool.Pool
	key ed25519.PrivateKey
	svc *Service
	api *integration.Client
}

func newEnv(t testing.TB) *env {
	t.Helper()
	db, _ := integration.Pool(t)
	out := integration.StartOutbox(t, db)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	e := &env{t: t, db: db, key: key}
	verifier := auth.NewVerifier("events-platform", key.Public().(ed25519.PublicKey))
	e.svc = New(Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Bus: out.Bus,
		Verifier: verifier, Version: "test", TrustAfter: 2, RankEvery: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = e.svc.Run(ctx); close(done) }()
	srv := httptest.NewServer(e.svc.Handler())
	t.Cleanup(func() { srv.Close(); cancel(); <-done })
	e.api = integration.NewClient(srv.URL)
	integration.WaitFor(t, "board", func() bool { return e.svc.Ready(ctx) == nil })
	return e
}

// user inserts a user and returns its id and a token.
func (e *env) user(role string) (int64, string) {
	e.t.Helper()
	var id int64
	n := fmt.Sprint(time.Now().UnixNano())
	if err := e.db.QueryRow(context.Background(), `INSERT INTO users (email, password_hash, name, role)
		VALUES ($1, 'x', $2, $3) RETURNING id`, role+n+"@example.com", "User "+n, role).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	tok, err := auth.NewSigner(e.key, "events-platform", 15*time.Minute).Sign(auth.Identity{UserID: id, Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	return id, tok
}

// ev describes an event to insert.
type ev struct {
	organizer      int64
	title, desc    string
	category, city string
	in             time.Duration // starts this far from now
	status, vis    string
	moderation     string
	heldAgo        time.Duration // with moderation held: held this long ago
}

func (e *env) event(x ev) int64 {
	e.t.Helper()
	x.status = cmp.Or(x.status, "published")
	x.vis = cmp.Or(x.vis, "public")
	x.moderation = cmp.Or(x.moderation, "approved")
	x.category = cmp.Or(x.category, "music")
	if x.title == "" {
		x.title = "Event " + fmt.Sprint(time.Now().UnixNano())
	}
	if x.in == 0 {
		x.in = 72 * time.Hour
	}
	var heldAt *time.Time
	if x.moderation != "approved" {
		t := time.Now().Add(-x.heldAgo)
		heldAt = &t
	}
	var id int64
	if err := e.db.QueryRow(context.Background(), `INSERT INTO events (title, description, category, starts_at, city, status,
		visibility, created_by, moderation, moderated_at, published_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $6 <> 'draft' THEN now() END) RETURNING id`,
		x.title, x.desc, x.category, time.Now().Add(x.in), x.city, x.status, x.vis, x.organizer, x.moderation, heldAt).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.db.Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatal(err)
	}
}

// hours records an event's interactions in analytics' hourly counts, ago before now.
func (e *env) hours(event int64, ago time.Duration, views, favorites, registrations int) {
	e.t.Helper()
	e.exec(`INSERT INTO analytics_event_hours (event_id, hour, views, favorites, registrations)
		VALUES ($1, date_trunc('hour', now() - $2::interval), $3, $4, $5)
		ON CONFLICT (event_id, hour) DO UPDATE SET views = analytics_event_hours.views + excluded.views,
			favorites = analytics_event_hours.favorites + excluded.favorites,
			registrations = analytics_event_hours.registrations + excluded.registrations`,
		event, fmt.Sprintf("%d seconds", int(ago.Seconds())), views, favorites, registrations)
}

// rebuild builds the board afresh, as Sync does every RebuildEvery: it reads the hours
// recorded before it.
func (e *env) rebuild() {
	e.t.Helper()
	e.svc.syncMu.Lock()
	e.svc.follow = nil
	e.svc.syncMu.Unlock()
	e.sync()
}

func (e *env) sync() {
	e.t.Helper()
	if err := e.svc.Sync(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// ids returns the ids of a list response.
func ids(t testing.TB, r integration.Response) []int64 {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	var list []struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(r.Data, &list); err != nil {
		t.Fatal(err)
	}
	out := make([]int64, len(list))
	for i, x := range list {
		out[i] = x.ID
	}
	return out
}

// subjects returns the outbox's subjects and payloads for an event, oldest first.
func (e *env) outbox(prefix string) []map[string]any {
	e.t.Helper()
	rows, err := e.db.Query(context.Background(), `SELECT payload FROM outbox WHERE subject LIKE $1 || '%' ORDER BY id`, prefix)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		var m map[string]any
		if err := rows.Scan(&m); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// Trending on hand-built histories: an older event with many views ranks below a new
// one with a burst; city and category filter; held, private, cancelled and started
// events are never listed; the board follows changes.
func TestTrendingRanksRecentActivity(t *testing.T) {
	e := newEnv(t)
	org, _ := e.user("organizer")
	old := e.event(ev{organizer: org, city: "Berlin", category: "music"})
	burst := e.event(ev{organizer: org, city: "Berlin", category: "tech"})
	quiet := e.event(ev{organizer: org, city: "Munich", category: "music"})
	held := e.event(ev{organizer: org, city: "Berlin", moderation: "held"})
	private := e.event(ev{organizer: org, city: "Berlin", vis: "private"})
	cancelled := e.event(ev{organizer: org, city: "Berlin", status: "cancelled"})
	for _, id := range []int64{held, private, cancelled} {
		e.hours(id, 0, 500, 50, 50)
	}
	for d := 70; d < 80; d++ {
		e.hours(old, time.Duration(d)*time.Hour, 40, 0, 0) // 400 views three days ago
	}
	e.hours(burst, 0, 10, 5, 20)
	e.hours(quiet, 0, 1, 0, 0)
	e.rebuild()

	if got := ids(t, e.api.Do(t, "GET", "/api/v1/curation/trending", "", nil)); !slices.Equal(got, []int64{burst, old, quiet}) {
		t.Errorf("trending: %v, want the burst %d, the old crowd %d, the quiet %d", got, burst, old, quiet)
	}
	if got := ids(t, e.api.Do(t, "GET", "/api/v1/curation/trending?city=BERLIN", "", nil)); !slices.Equal(got, []int64{burst, old}) {
		t.Errorf("Berlin: %v, want [%d %d]", got, burst, old)
	}
	if got := ids(t, e.api.Do(t, "GET", "/api/v1/curation/trending?category=music&limit=1", "", nil)); !slices.Equal(got, []int64{old}) {
		t.Errorf("music, 1: %v, want [%d]", got, old)
	}
	r := e.api.Do(t, "GET", "/api/v1/curation/trending?city=Berlin", "", nil)
	var first []TrendingEvent
	if err := json.Unmarshal(r.Data, &first); err != nil || len(first) == 0 || first[0].Title == "" || first[0].TrendingScore <= 0 {
		t.Errorf("a trending event carries the event and its score: %s", r.Raw)
	}

	// Changes are followed: the burst is cancelled, the held event approved.
	e.exec(`UPDATE events SET status = 'cancelled' WHERE id = $1`, burst)
	e.exec(`UPDATE events SET moderation = 'approved', moderated_at = now() WHERE id = $1`, held)
	e.sync()
	if got := ids(t, e.api.Do(t, "GET", "/api/v1/curation/trending?city=berlin", "", nil)); !slices.Equal(got, []int64{held, old}) {
		t.Errorf("after cancelling %d and approving %d: %v", burst, held, got)
	}

	for _, q := range []string{"limit=0", "limit=101", "limit=ten", "city=" + strings.Repeat("x", 101)} {
		if r := e.api.Do(t, "GET", "/api/v1/curation/trending?"+q, "", nil); r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400 or 422", q, r.Status)
		}
	}
}

// A burst of registrations lifts an event as soon as analytics counts it and the board
// follows: the hours being counted are read again whole at every look.
func TestTrendingFollowsTheCurrentHour(t *testing.T) {
	e := newEnv(t)
	org, _ := e.user("organizer")
	a := e.event(ev{organizer: org})
	b := e.event(ev{organizer: org})
	e.hours(a, 0, 30, 0, 0)
	e.sync()
	if got := ids(t, e.api.Do(t, "GET", "/api/v1/curation/trending", "", nil)); !slices.Equal(got, []int64{a, b}) {
		t.Fatalf("before the burst: %v", got)
	}
	e.hours(b, 0, 0, 0, 40)
	e.sync()
	if got := ids(t, e.api.Do(t, "GET", "/api/v1/curation/trending", "", nil)); !slices.Equal(got, []int64{b, a}) {
		t.Errorf("after the burst: %v, want %d first", got, b)
	}
	e.sync() // read again, not added again
	sc := e.svc.board.Load()
	top := sc.Trending("", "", 2)
	if want := HotScore(40*WeightRegister, 72*time.Hour); top[0].Score > want+0.05 {
		t.Errorf("score %.3f after a second look, want at most %.3f: counted twice", top[0].Score, want)
	}
}

// Featured: editors' picks in their order, then the best by quality; only editors pick.
func TestFeaturedPicksAndQuality(t *testing.T) {
	e := newEnv(t)
	org, orgTok := e.user("organizer")
	_, editor := e.user("editor")
	_, attendee := e.user("attendee")
	plain := e.event(ev{organizer: org, city: "Berlin"})
	rich := e.event(ev{organizer: org, city: "Berlin", desc: strings.Repeat("A long and careful description of the evening. ", 8)})
	picked := e.event(ev{organizer: org, city: "Munich"})
	held := e.event(ev{organizer: org, city: "Berlin", moderation: "held"})
	for _, id := range []int64{plain, rich, picked, held} {
		if err := e.svc.Score(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	for _, tok := range []string{"", attendee, orgTok} {
		if r := e.api.Do(t, "PUT", "/api/v1/curation/picks/"+fmt.Sprint(picked), tok, nil); r.Status != 401 && r.Status != 403 {
			t.Errorf("a pick by %q: status %d, want 401/403", tok, r.Status)
		}
	}
	if r := e.api.Do(t, "PUT", "/api/v1/curation/picks/"+fmt.Sprint(picked), editor, nil); r.Status != 200 {
		t.Fatalf("pick: %d %s", r.Status, r.Raw)
	}
	if r := e.api.Do(t, "PUT", "/api/v1/curation/picks/"+fmt.Sprint(held), editor, nil); r.Status != 409 {
		t.Errorf("picking a held event: %d, want 409", r.Status)
	}
	if r := e.api.Do(t, "PUT", "/api/v1/curation/picks/999999", editor, nil); r.Status != 404 {
		t.Errorf("picking no event: %d, want 404", r.Status)
	}
	e.sync()
	if got := ids(t, e.api.Do(t, "GET", "/api/v1/curation/featured", "", nil)); !slices.Equal(got, []int64{picked, rich, plain}) {
		t.Errorf("featured: %v, want the pick %d, then %d (better description), then %d", got, picked, rich, plain)
	}
	if got := ids(t, e.api.Do(t, "GET", "/api/v1/curation/featured?city=berlin", "", nil)); !slices.Equal(got, []int64{rich, plain}) {
		t.Errorf("featured in Berlin: %v", got)
	}
	// A second pick put first; an unpick.
	if r := e.api.Do(t, "PUT", "/api/v1/curation/picks/"+fmt.Sprint(plain), editor, map[string]int{"position": 1}); r.Status != 200 {
		t.Fatalf("pick at 1: %d %s", r.Status, r.Raw)
	}
	e.sync()
	if got := ids(t, e.api.Do(t, "GET", "/api/v1/curation/featured", "", nil)); !slices.Equal(got, []int64{plain, picked, rich}) {
		t.Errorf("featured after picking %d first: %v", plain, got)
	}
	if r := e.api.Do(t, "DELETE", "/api/v1/curation/picks/"+fmt.Sprint(plain), editor, nil); r.Status != 200 {
		t.Errorf("unpick: %d", r.Status)
	}
	if r := e.api.Do(t, "DELETE", "/api/v1/curation/picks/"+fmt.Sprint(plain), editor, nil); r.Status != 404 {
		t.Errorf("unpick again: %d, want 404", r.Status)
	}
}
