package recommendations

import (
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
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/natsbus"
	"github.com/events-platform/events-platform/services/recommendations/model"
	"github.com/events-platform/events-platform/services/recommendations/registry"
	"github.com/events-platform/events-platform/test/integration"
)

// env is a recommendations service with its own database, JetStream and cache keys, and
// a signer for tokens.
type env struct {
	t   testing.TB
	db  *pgxpool.Pool
	key ed25519.PrivateKey
	svc *Service
	api *integration.Client
	rdb *goredis.Client
}

func newEnv(t testing.TB) *env {
	t.Helper()
	db, _ := integration.Pool(t)
	out := integration.StartOutbox(t, db)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	opts, err := goredis.ParseURL(integration.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	e := &env{t: t, db: db, key: key, rdb: rdb}
	verifier := auth.NewVerifier("events-platform", key.Public().(ed25519.PublicKey))
	e.svc = New(Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Redis: rdb, Bus: out.Bus,
		Verifier: verifier, Version: "test", CachePrefix: integration.KeyPrefix(t)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = e.svc.Run(ctx); close(done) }()
	srv := httptest.NewServer(e.svc.Handler())
	t.Cleanup(func() { srv.Close(); cancel(); <-done })
	e.api = integration.NewClient(srv.URL)
	integration.WaitFor(t, "catalogue", func() bool { return e.svc.Ready(ctx) == nil })
	return e
}

// user inserts a user and returns its id and a token.
func (e *env) user(role, city string, interests ...string) (int64, string) {
	e.t.Helper()
	var id int64
	n := fmt.Sprint(time.Now().UnixNano())
	if interests == nil {
		interests = []string{}
	}
	if err := e.db.QueryRow(context.Background(), `INSERT INTO users (email, password_hash, name, role, city, interests)
		VALUES ($1, 'x', $2, $3, $4, $5) RETURNING id`, role+n+"@example.com", "User "+n, role, city, interests).Scan(&id); err != nil {
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
	organizer   int64
	title, desc string
	category    string
	city        string
	in          time.Duration // starts this far from now
	status, vis string
	registered  int
}

func (e *env) event(x ev) int64 {
	e.t.Helper()
	if x.status == "" {
		x.status = "published"
	}
	if x.vis == "" {
		x.vis = "public"
	}
	if x.in == 0 {
		x.in = 72 * time.Hour
	}
	var id int64
	if err := e.db.QueryRow(context.Background(), `INSERT INTO events (title, description, category, starts_at, city, status, visibility, created_by, registered_count)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		x.title, x.desc, x.category, time.Now().Add(x.in), x.city, x.status, x.vis, x.organizer, x.registered).Scan(&id); err != nil {
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

// promote trains a model on interactions (user, event, weight) with the events' text
// from the database, stores it as the live version and has the service load it.
func (e *env) promote(interactions [][3]int64, cfg model.Config) int64 {
	e.t.Helper()
	ctx := context.Background()
	b := model.NewBuilder()
	now := time.Now().Unix()
	for _, in := range interactions {
		b.Add(in[0], in[1], float32(in[2]), now)
	}
	d := b.Dataset()
	docs := make([]model.Doc, d.NItems())
	for i, id := range d.ItemIDs {
		if err := e.db.QueryRow(ctx, `SELECT title, description, category, tags FROM events WHERE id = $1`, id).
			Scan(&docs[i].Title, &docs[i].Description, &docs[i].Category, &docs[i].Tags); err != nil {
			e.t.Fatal(err)
		}
	}
	snap := model.Train(d, docs, cfg)
	tx, err := e.db.Begin(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	v, err := registry.Insert(ctx, tx, registry.Version{Status: registry.StatusPromoted, Parameters: json.RawMessage(`{}`),
		Metrics: json.RawMessage(`{}`), Users: d.NUsers(), Items: d.NItems(), Interactions: int64(d.Len())}, snap)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.Reload(ctx, true); err != nil {
		e.t.Fatal(err)
	}
	return v
}

type page struct {
	Recommendations []struct {
		ID        int64   `json:"id"`
		Title     string  `json:"title"`
		CreatedBy int64   `json:"created_by"`
		Score     float64 `json:"score"`
		Reason    string  `json:"reason"`
	} `json:"recommendations"`
	SimilarEvents []struct {
		ID     int64  `json:"id"`
		Title  string `json:"title"`
		Reason string `json:"reason"`
	} `json:"similar_events"`
	Algorithm    string `json:"algorithm"`
	ModelVersion int64  `json:"model_version"`
}

func (e *env) get(path, token string) page {
	e.t.Helper()
	r := e.api.Do(e.t, "GET", path, token, nil)
	if r.Status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, r.Status, r.Raw)
	}
	return integration.Data[page](e.t, r)
}

func (p page) ids() []int64 {
	var out []int64
	for _, r := range p.Recommendations {
		out = append(out, r.ID)
	}
	for _, r := range p.SimilarEvents {
		out = append(out, r.ID)
	}
	return out
}

// world is two communities, jazz and programming: 8 upcoming events each (by 4 organizers
// per side), users who registered for some of their side's, and a model trained on them.
type world struct {
	jazz, code   []int64
	side         map[int64]string // event → "jazz" or "code"
	fans, coders []int64
	fanToken     string
	version      int64
	interactions [][3]int64
}

func (e *env) world() *world {
	w := &world{side: map[int64]string{}}
	var orgs []int64
	for range 8 {
		id, _ := e.user(auth.RoleOrganizer, "Berlin")
		orgs = append(orgs, id)
	}
	for i := range 8 {
		w.jazz = append(w.jazz, e.event(ev{organizer: orgs[i%4], title: fmt.Sprintf("Jazz night %d", i), desc: "saxophone quartet and swing improvisation", category: "music", city: "Berlin"}))
		w.code = append(w.code, e.event(ev{organizer: orgs[4+i%4], title: fmt.Sprintf("Go workshop %d", i), desc: "programming compilers and debugging", category: "tech", city: "Munich"}))
	}
	for _, id := range w.jazz {
		w.side[id] = "jazz"
	}
	for _, id := range w.code {
		w.side[id] = "code"
	}
	var in [][3]int64
	for u := range 12 {
		fan, tok := e.user(auth.RoleAttendee, "Berlin")
		coder, _ := e.user(auth.RoleAttendee, "Munich")
		if u == 0 {
			w.fanToken = tok
		}
		w.fans, w.coders = append(w.fans, fan), append(w.coders, coder)
		for k := range 4 {
			in = append(in, [3]int64{fan, w.jazz[(u+k)%8], 1}, [3]int64{coder, w.code[(u+k)%8], 1})
		}
	}
	// The first fan registered for two jazz nights: the service reads it from the table.
	for _, id := range w.jazz[:2] {
		e.exec(`INSERT INTO event_registrations (event_id, user_id, status) VALUES ($1, $2, 'confirmed')`, id, w.fans[0])
	}
	w.interactions = in
	w.version = e.promote(in, model.Config{KNN: model.KNNParams{K: 20}, ALS: model.ALSParams{Factors: 8, Iterations: 8, Seed: 1}})
	return w
}

func TestRecommendsTheUsersSideWithReasonsAndNeverWhatTheyRegisteredFor(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	p := e.get("/api/v1/recommendations/events?limit=4", w.fanToken) // the 4 jazz nights the fan has not seen
	if p.Algorithm != "hybrid" || p.ModelVersion != w.version || len(p.Recommendations) != 4 {
		t.Fatalf("got algorithm %q, model %d, %d recommendations; want hybrid, %d, 4", p.Algorithm, p.ModelVersion, len(p.Recommendations), w.version)
	}
	perOrganizer := map[int64]int{}
	for _, r := range p.Recommendations {
		if w.side[r.ID] != "jazz" {
			t.Errorf("a jazz fan was recommended %q", r.Title)
		}
		if r.ID == w.jazz[0] || r.ID == w.jazz[1] {
			t.Errorf("recommended %q, which the user registered for", r.Title)
		}
		if r.Reason == "" || r.Score <= 0 {
			t.Errorf("%q: reason %q, score %v", r.Title, r.Reason, r.Score)
		}
		perOrganizer[r.CreatedBy]++
	}
	for org, n := range perOrganizer {
		if n > maxPerOrganizer {
			t.Errorf("organizer %d has %d of the page, want at most %d", org, n, maxPerOrganizer)
		}
	}
	reasons := fmt.Sprint(p.Recommendations)
	if !strings.Contains(reasons, "because you registered for “Jazz night") && !strings.Contains(reasons, "similar to “Jazz night") {
		t.Errorf("no reason names a jazz night the user knows: %s", reasons)
	}
}

func TestNeverRecommendsPastCancelledDraftPrivateOrDismissedEvents(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	org, _ := e.user(auth.RoleOrganizer, "Berlin")
	text := ev{organizer: org, title: "Jazz night special", desc: "saxophone quartet and swing improvisation", category: "music", city: "Berlin"}
	hidden := map[int64]string{}
	for _, x := range []struct {
		why    string
		change func(*ev)
	}{
		{"past", func(x *ev) { x.in = -2 * time.Hour }},
		{"cancelled", func(x *ev) { x.status = "cancelled" }},
		{"draft", func(x *ev) { x.status = "draft" }},
		{"private", func(x *ev) { x.vis = "private" }},
		{"unlisted", func(x *ev) { x.vis = "unlisted" }},
	} {
		y := text
		x.change(&y)
		hidden[e.event(y)] = x.why
	}
	if err := e.svc.Reload(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	p := e.get("/api/v1/recommendations/events?limit=20&algorithm=content", w.fanToken)
	for _, id := range p.ids() {
		if why, bad := hidden[id]; bad {
			t.Errorf("recommended a %s event", why)
		}
	}
	// A dismissed event never comes back, though the cache held a page with it.
	first := p.Recommendations[0].ID
	r := e.api.Do(t, "POST", "/api/v1/recommendations/feedback", w.fanToken, map[string]any{"event_id": first, "action": "dismissed"})
	if r.Status != http.StatusOK {
		t.Fatalf("feedback: %d %s", r.Status, r.Raw)
	}
	for _, alg := range []string{"hybrid", "content", "collaborative", "popular"} {
		for _, id := range e.get("/api/v1/recommendations/events?limit=20&algorithm="+alg, w.fanToken).ids() {
			if id == first {
				t.Errorf("%s recommended the dismissed event %d", alg, id)
			}
		}
	}
}

func TestColdStartAnonymousAndNewEvents(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	// Anonymous: popular events, the algorithm says so.
	p := e.get("/api/v1/recommendations/events?limit=4", "")
	if p.Algorithm != "popular" || len(p.Recommendations) != 4 {
		t.Fatalf("anonymous: %q with %d", p.Algorithm, len(p.Recommendations))
	}
	// A new user with stated interests and no history gets content matches.
	_, tok := e.user(auth.RoleAttendee, "Munich", "programming", "compilers")
	p = e.get("/api/v1/recommendations/events?limit=4", tok)
	for _, r := range p.Recommendations {
		if w.side[r.ID] != "code" {
			t.Errorf("a user interested in programming was recommended %q (%s)", r.Title, r.Reason)
		}
	}
	// A new user with nothing but a city gets that city's popular events first.
	_, tok = e.user(auth.RoleAttendee, "Munich")
	p = e.get("/api/v1/recommendations/events?limit=3", tok)
	if p.Algorithm != "popular" {
		t.Errorf("no history, no interests: algorithm %q, want popular", p.Algorithm)
	}
	for _, r := range p.Recommendations {
		if w.side[r.ID] != "code" || !strings.Contains(r.Reason, "Munich") {
			t.Errorf("a Munich user without history got %q (%s), want Munich's popular events", r.Title, r.Reason)
		}
	}
	// A new event, unknown to the model, is recommended from its text before any retraining.
	org, _ := e.user(auth.RoleOrganizer, "Berlin")
	fresh := e.event(ev{organizer: org, title: "Saxophone swing jam", desc: "jazz quartet improvisation", category: "music", city: "Berlin"})
	if err := e.svc.Reload(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, id := range e.get("/api/v1/recommendations/events?limit=10&algorithm=content", w.fanToken).ids() {
		found = found || id == fresh
	}
	if !found {
		t.Error("the new jazz event is not among a jazz fan's content recommendations")
	}
}

func TestPermissionsAndBadParameters(t *testing.T) {
	e := newEnv(t)
	me, tok := e.user(auth.RoleAttendee, "Berlin")
	other, _ := e.user(auth.RoleAttendee, "Berlin")
	_, admin := e.user(auth.RoleAdmin, "")
	for _, tt := range []struct {
		path, token string
		want        int
	}{
		{fmt.Sprintf("/api/v1/recommendations/events?user_id=%d", me), tok, http.StatusOK},
		{fmt.Sprintf("/api/v1/recommendations/events?user_id=%d", other), tok, http.StatusForbidden},
		{fmt.Sprintf("/api/v1/recommendations/events?user_id=%d", other), admin, http.StatusOK},
		{fmt.Sprintf("/api/v1/recommendations/events?user_id=%d", other), "", http.StatusUnauthorized},
		{"/api/v1/recommendations/events?user_id=999999", admin, http.StatusNotFound},
		{"/api/v1/recommendations/events?algorithm=magic", tok, http.StatusBadRequest},
		{"/api/v1/recommendations/events?limit=0", tok, http.StatusBadRequest},
		{"/api/v1/recommendations/events?limit=1000", tok, http.StatusBadRequest},
		{"/api/v1/recommendations/events?limit=ten", tok, http.StatusBadRequest},
		{"/api/v1/recommendations/events/0/similar", tok, http.StatusBadRequest},
		{"/api/v1/recommendations/events/424242/similar", tok, http.StatusNotFound},
		{"/api/v1/recommendations/models", tok, http.StatusForbidden},
		{"/api/v1/recommendations/models", "", http.StatusUnauthorized},
		{"/api/v1/recommendations/models", admin, http.StatusOK},
	} {
		r := e.api.Do(t, "GET", tt.path, tt.token, nil)
		if r.Status != tt.want || (r.Status >= 400 && (r.Success || r.Error.Message == "")) {
			t.Errorf("GET %s: %d %s, want %d with an error envelope", tt.path, r.Status, r.Raw, tt.want)
		}
	}
	for _, body := range []any{
		map[string]any{"event_id": 1, "action": "loved"},
		map[string]any{"event_id": 0, "action": "clicked"},
		"{not json",
	} {
		if r := e.api.Do(t, "POST", "/api/v1/recommendations/feedback", tok, body); r.Status != http.StatusBadRequest {
			t.Errorf("feedback %v: %d %s, want 400", body, r.Status, r.Raw)
		}
	}
	if r := e.api.Do(t, "POST", "/api/v1/recommendations/feedback", tok, map[string]any{"event_id": 424242, "action": "clicked"}); r.Status != http.StatusNotFound {
		t.Errorf("feedback on an unknown event: %d %s, want 404", r.Status, r.Raw)
	}
	if r := e.api.Do(t, "POST", "/api/v1/recommendations/feedback", "", map[string]any{"event_id": 1, "action": "clicked"}); r.Status != http.StatusUnauthorized {
		t.Errorf("anonymous feedback: %d, want 401", r.Status)
	}
}

func TestSimilarEventsAreUpcomingAndAlike(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	org, _ := e.user(auth.RoleOrganizer, "Berlin")
	past := e.event(ev{organizer: org, title: "Jazz night past", desc: "saxophone quartet and swing improvisation", category: "music", in: -time.Hour})
	if err := e.svc.Reload(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	p := e.get(fmt.Sprintf("/api/v1/recommendations/events/%d/similar?limit=5", w.jazz[3]), "")
	if len(p.SimilarEvents) == 0 {
		t.Fatal("no similar events")
	}
	for _, s := range p.SimilarEvents {
		if w.side[s.ID] != "jazz" || s.ID == w.jazz[3] || s.ID == past {
			t.Errorf("similar to a jazz night: %q", s.Title)
		}
	}
	// A private event's similar events are its organizer's to read, and stay so once read.
	organizer, orgToken := e.user(auth.RoleOrganizer, "Berlin")
	private := e.event(ev{organizer: organizer, title: "Jazz night private", desc: "saxophone quartet", category: "music", vis: "private"})
	_, stranger := e.user(auth.RoleAttendee, "Berlin")
	path := fmt.Sprintf("/api/v1/recommendations/events/%d/similar?limit=3", private)
	if r := e.api.Do(t, "GET", path, orgToken, nil); r.Status != http.StatusOK {
		t.Errorf("the organizer: %d %s", r.Status, r.Raw)
	}
	if r := e.api.Do(t, "GET", path, stranger, nil); r.Status != http.StatusNotFound {
		t.Errorf("another user, after the organizer's read: %d %s, want 404", r.Status, r.Raw)
	}
	// An event the model never saw is compared by its text.
	unseen := e.event(ev{organizer: org, title: "Compiler debugging clinic", desc: "programming", category: "tech", in: 24 * time.Hour})
	if err := e.svc.Reload(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	for _, s := range e.get(fmt.Sprintf("/api/v1/recommendations/events/%d/similar?limit=3", unseen), "").SimilarEvents {
		if w.side[s.ID] != "code" {
			t.Errorf("similar to a compiler clinic: %q", s.Title)
		}
	}
}

// Promoting a model while requests run: none fails, and each answer is wholly one
// model's (here the two models put a user on opposite sides).
func TestHotSwapUnderConcurrentRequests(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	user, tok := e.user(auth.RoleAttendee, "")
	// Model A: the user went to jazz nights; model B: to workshops.
	a := slices.Concat(w.interactions, [][3]int64{{user, w.jazz[5], 3}, {user, w.jazz[6], 3}})
	b := slices.Concat(w.interactions, [][3]int64{{user, w.code[5], 3}, {user, w.code[6], 3}})
	cfg := model.Config{Components: []model.Component{model.KNNModel}, KNN: model.KNNParams{K: 20}, Weights: model.Weights{model.KNNModel: 1}}
	va := e.promote(a, cfg)
	want := map[int64]string{va: "jazz"}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for range 6 {
		wg.Go(func() {
			for ctx.Err() == nil {
				r, err := e.api.Request("GET", "/api/v1/recommendations/events?limit=3&algorithm=collaborative", tok, nil)
				mu.Lock()
				switch {
				case err != nil:
					failures = append(failures, err.Error())
				case r.Status != http.StatusOK:
					failures = append(failures, fmt.Sprintf("%d %s", r.Status, r.Raw))
				default:
					var p page
					_ = json.Unmarshal(r.Data, &p)
					side, known := want[p.ModelVersion]
					for _, rec := range p.Recommendations {
						if known && w.side[rec.ID] != side {
							failures = append(failures, fmt.Sprintf("model %d answered %q", p.ModelVersion, rec.Title))
						}
					}
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	vb := e.promote(b, cfg)
	mu.Lock()
	want[vb] = "code"
	mu.Unlock()
	time.Sleep(300 * time.Millisecond)
	stop()
	wg.Wait()
	if len(failures) > 0 {
		t.Errorf("%d bad answers during the swap, first: %s", len(failures), failures[0])
	}
	if p := e.get("/api/v1/recommendations/events?limit=3&algorithm=collaborative", tok); p.ModelVersion != vb {
		t.Errorf("after the swap: model %d, want %d", p.ModelVersion, vb)
	}
}

// A promotion announced on NATS reaches the replica without a restart; one it did not
// hear of is found by the periodic reload.
func TestPromotionsReachTheReplica(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	ctx := context.Background()
	insert := func(announce bool) int64 {
		_, snap, err := registry.Live(ctx, e.db)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := e.db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		v, err := registry.Insert(ctx, tx, registry.Version{Status: registry.StatusPromoted, Parameters: json.RawMessage(`{}`), Metrics: json.RawMessage(`{}`)}, snap)
		if err != nil {
			t.Fatal(err)
		}
		if announce {
			if err := natsbus.Enqueue(ctx, tx, registry.SubjectModelPromoted, registry.Promoted{Version: v}); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		return v
	}
	served := func() int64 { return e.svc.view.Load().version.Version }
	if served() != w.version {
		t.Fatalf("serving %d, want %d", served(), w.version)
	}
	v := insert(true)
	integration.WaitFor(t, "the announced model", func() bool { return served() == v })
	v = insert(false)
	if err := e.svc.Reload(ctx, false); err != nil {
		t.Fatal(err)
	}
	if served() != v {
		t.Errorf("after a periodic reload: serving %d, want %d", served(), v)
	}
}

// A registration, announced as a domain event, forgets the user's cached pages: the event
// registered for leaves their recommendations at once.
func TestARegistrationForgetsCachedPages(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	first := e.get("/api/v1/recommendations/events?limit=3", w.fanToken).Recommendations[0].ID
	ctx := context.Background()
	tx, err := e.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO event_registrations (event_id, user_id, status) VALUES ($1, $2, 'confirmed')`, first, w.fans[0]); err != nil {
		t.Fatal(err)
	}
	if err := natsbus.Enqueue(ctx, tx, "platform.registration.confirmed", map[string]any{"version": 1, "event_id": first, "user_id": w.fans[0]}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	integration.WaitFor(t, "the page without the event registered for", func() bool {
		return !slices.Contains(e.get("/api/v1/recommendations/events?limit=3", w.fanToken).ids(), first)
	})
}

// A held event is recommended to no one, popular or not, and its similar events are its
// organizer's only; once approved (announced as curation does) it is recommended like any
// other, and held again its similar events are hidden again though a page was cached.
func TestHeldEventsAreNeverRecommended(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	ctx := context.Background()
	organizer, orgToken := e.user(auth.RoleOrganizer, "Berlin")
	admin, _ := e.user(auth.RoleAdmin, "")
	_, stranger := e.user(auth.RoleAttendee, "Berlin")
	held := e.event(ev{organizer: organizer, title: "Jazz night held", desc: "saxophone quartet and swing improvisation",
		category: "music", city: "Berlin", registered: 1000})
	e.exec(`UPDATE events SET moderation = 'held', moderated_at = now() WHERE id = $1`, held)
	if err := e.svc.Reload(ctx, false); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, token string }{
		{"/api/v1/recommendations/events?limit=20", ""},
		{"/api/v1/recommendations/events?limit=20&city=Berlin", ""},
		{"/api/v1/recommendations/events?limit=20&algorithm=hybrid", w.fanToken},
		{"/api/v1/recommendations/events?limit=20&algorithm=content", w.fanToken},
		{"/api/v1/recommendations/events?limit=20&algorithm=collaborative", w.fanToken},
		{"/api/v1/recommendations/events?limit=20&algorithm=popular", w.fanToken},
		{fmt.Sprintf("/api/v1/recommendations/events/%d/similar?limit=20", w.jazz[3]), ""},
	} {
		if slices.Contains(e.get(tc.path, tc.token).ids(), held) {
			t.Errorf("GET %s recommends the held event", tc.path)
		}
	}
	similar := fmt.Sprintf("/api/v1/recommendations/events/%d/similar?limit=3", held)
	similarTo := func(token string) int {
		t.Helper()
		return e.api.Do(t, "GET", similar, token, nil).Status
	}
	if got := similarTo(orgToken); got != http.StatusOK {
		t.Errorf("similar to a held event, its organizer: %d", got)
	}
	for name, tok := range map[string]string{"another user": stranger, "anonymous": ""} {
		if got := similarTo(tok); got != http.StatusNotFound {
			t.Errorf("similar to a held event, %s: %d, want 404", name, got)
		}
	}

	// Approved, as the curation service does it: the decision and its domain event in one
	// transaction; the announcement reloads the catalogue.
	tx, err := e.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `UPDATE events SET moderation = 'approved', moderated_by = $2, moderated_at = now() WHERE id = $1`, held, admin); err != nil {
		t.Fatal(err)
	}
	if err := natsbus.Enqueue(ctx, tx, "platform.moderation.approved", map[string]any{"version": 1, "event_id": held, "organizer_id": organizer,
		"decision": "approved", "actor_id": admin}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	integration.WaitFor(t, "the approved event in the catalogue", func() bool {
		_, ok := e.svc.view.Load().byID[held]
		return ok
	})
	// Pages not asked for before: a cached page lasts its two minutes, as for any new event.
	if !slices.Contains(e.get("/api/v1/recommendations/events?limit=5", "").ids(), held) {
		t.Error("the approved event is not among the popular ones")
	}
	if !slices.Contains(e.get("/api/v1/recommendations/events?limit=10&algorithm=content", w.fanToken).ids(), held) {
		t.Error("the approved jazz night is not among a jazz fan's content recommendations")
	}
	if got := similarTo(stranger); got != http.StatusOK {
		t.Errorf("similar to the approved event: %d", got)
	}

	e.exec(`UPDATE events SET moderation = 'held', moderated_by = NULL, moderated_at = now() WHERE id = $1`, held)
	if err := e.svc.Reload(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got := similarTo(stranger); got != http.StatusNotFound {
		t.Errorf("similar to the event held again, its page cached while approved: %d, want 404", got)
	}
}
