package retrain_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/services/analytics"
	"github.com/events-platform/events-platform/services/recommendations/model"
	"github.com/events-platform/events-platform/services/recommendations/registry"
	"github.com/events-platform/events-platform/services/recommendations/retrain"
	"github.com/events-platform/events-platform/test/integration"
)

// platform writes users, events and interactions the way the services would leave them.
type platform struct {
	t   *testing.T
	db  *pgxpool.Pool
	ctx context.Context
	org int64
}

func newPlatform(t *testing.T) *platform {
	t.Helper()
	db, _ := integration.Pool(t)
	p := &platform{t: t, db: db, ctx: context.Background()}
	if err := analytics.EnsurePartitions(p.ctx, db, time.Now()); err != nil {
		t.Fatal(err)
	}
	p.org = p.user("organizer")
	return p
}

func (p *platform) exec(sql string, args ...any) {
	p.t.Helper()
	if _, err := p.db.Exec(p.ctx, sql, args...); err != nil {
		p.t.Fatalf("%s: %v", strings.Fields(sql)[0:3], err)
	}
}

func (p *platform) user(role string) int64 {
	p.t.Helper()
	var id int64
	if err := p.db.QueryRow(p.ctx, `INSERT INTO users (email, password_hash, name, role)
		VALUES ('u' || gen_random_uuid() || '@example.com', 'x', 'User', $1) RETURNING id`, role).Scan(&id); err != nil {
		p.t.Fatal(err)
	}
	return id
}

func (p *platform) event(title, description, category string, tags ...string) int64 {
	p.t.Helper()
	var id int64
	if err := p.db.QueryRow(p.ctx, `INSERT INTO events (title, description, category, tags, starts_at, created_by, status)
		VALUES ($1, $2, $3, $4, now() + interval '30 days', $5, 'published') RETURNING id`,
		title, description, category, append([]string{}, tags...), p.org).Scan(&id); err != nil {
		p.t.Fatal(err)
	}
	return id
}

// interact records what a signed-in user's client sends analytics (view, click, share).
func (p *platform) interact(user, event int64, kind string, at time.Time) {
	p.t.Helper()
	p.exec(`INSERT INTO analytics_events (occurred_at, id, type, event_id, user_id, visitor, source)
		VALUES ($1, gen_random_uuid(), $2, $3, $4, $4, 'client')`, at, kind, event, user)
}

func (p *platform) favorite(user, event int64, at time.Time) {
	p.t.Helper()
	p.exec(`INSERT INTO favorites (user_id, event_id, created_at) VALUES ($1, $2, $3)`, user, event, at)
}

func (p *platform) register(user, event int64, status string, at time.Time) {
	p.t.Helper()
	p.exec(`INSERT INTO event_registrations (event_id, user_id, status, created_at) VALUES ($1, $2, $3, $4)`, event, user, status, at)
}

func (p *platform) feedback(user, event int64, action string, at time.Time) {
	p.t.Helper()
	p.exec(`INSERT INTO recommendation_feedback (user_id, event_id, action, created_at) VALUES ($1, $2, $3, $4)`, user, event, action, at)
}

func (p *platform) count(sql string, args ...any) int {
	p.t.Helper()
	var n int
	if err := p.db.QueryRow(p.ctx, sql, args...).Scan(&n); err != nil {
		p.t.Fatal(err)
	}
	return n
}

// history is what the live model knows a user did, by event.
func history(t *testing.T, snap *model.Snapshot, user int64) map[int64]float32 {
	t.Helper()
	out := map[int64]float32{}
	for _, h := range model.NewRanker(snap, nil).History(user) {
		out[h.Item] = h.Weight
	}
	return out
}

func TestInteractionsAreWeighedDecayedAndFiltered(t *testing.T) {
	p := newPlatform(t)
	now := time.Now().UTC().Truncate(time.Second)
	a, b := p.user("attendee"), p.user("attendee")
	var ev []int64
	for i := range 10 {
		ev = append(ev, p.event(fmt.Sprintf("Event %d", i), "", "music"))
	}
	p.interact(a, ev[1], "view", now)
	p.interact(a, ev[1], "view", now.Add(-time.Minute))
	p.interact(a, ev[1], "click", now.Add(-720*time.Hour)) // one half-life old: 2 × ½
	p.favorite(a, ev[2], now)
	p.register(a, ev[3], "confirmed", now)
	p.register(a, ev[4], "cancelled", now) // left out
	p.register(a, ev[5], "waitlisted", now)
	p.interact(a, ev[6], "view", now.Add(-5000*time.Hour)) // beyond the window
	p.exec(`INSERT INTO analytics_events (occurred_at, id, type, event_id, user_id, visitor, source)
		VALUES ($1, gen_random_uuid(), 'view', $2, NULL, -12345, 'client')`, now, ev[7]) // anonymous
	p.feedback(a, ev[7], "clicked", now)
	p.exec(`INSERT INTO analytics_events (occurred_at, id, type, event_id, user_id, visitor, source)
		VALUES ($1, gen_random_uuid(), 'favorite', $2, $3, $3, 'domain')`, now, ev[8], a) // the favorites table counts, not this
	p.interact(a, ev[9], "view", now)
	p.interact(a, ev[9], "click", now)
	p.feedback(a, ev[9], "dismissed", now.Add(-time.Hour)) // a dismissed event leaves the user's history
	p.interact(b, ev[2], "share", now)
	p.interact(b, ev[1], "view", now.Add(time.Hour)) // after the run's now: the next run's

	var out strings.Builder
	res, err := retrain.Run(p.ctx, p.db, retrain.Options{Now: now, HalfLife: retrain.DefaultHalfLife, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Interactions != 8 {
		t.Errorf("interactions = %d, want 8 (a's 2 views and click of event 1, favorite, 2 registrations and click from feedback; b's share)", res.Interactions)
	}
	// Too few users to evaluate, and nothing live: the first model is promoted unjudged.
	if !res.Promoted || !strings.Contains(res.Reason, "too little data to evaluate") || !strings.Contains(res.Reason, "first model") {
		t.Errorf("promoted = %v, reason %q; want promoted as the first model with too little data to evaluate", res.Promoted, res.Reason)
	}
	_, snap, err := registry.Live(p.ctx, p.db)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]float32{ev[1]: 1 + 1 + 1, ev[2]: 3, ev[3]: 5, ev[5]: 5, ev[7]: 2}
	got := history(t, snap, a)
	if len(got) != len(want) {
		t.Errorf("a's history = %v, want %v", got, want)
	}
	for e, w := range want {
		if g, ok := got[e]; !ok || g < w-1e-3 || g > w+1e-3 {
			t.Errorf("a's weight on event %d = %v (present %v), want %v", e, g, ok, w)
		}
	}
	if got := history(t, snap, b); len(got) != 1 || got[ev[2]] != 2 {
		t.Errorf("b's history = %v, want only event %d with a share's 2", got, ev[2])
	}
}

// community is a taste planted in the data: its users mostly do things with its events,
// whose texts say what they are.
type community struct {
	users, events []int64
}

// plant makes two communities, jazz lovers and programmers, of n users each and 10
// events each, and gives each user about 7 interactions spread over the 30 days before
// now, nearly all within the community (one event of each is far more popular), plus one
// stray view of the other community.
func plant(p *platform, n int, now time.Time, rng *rand.Rand) []community {
	p.t.Helper()
	themes := []struct{ category, title, description string }{
		{"music", "Jazz night: %s quartet", "Live jazz with saxophone, double bass and drums; swing and bebop standards."},
		{"technology", "Go programming workshop: %s", "Hands-on coding: write concurrent Go programs, tests and benchmarks with the compiler."},
	}
	names := []string{"north", "south", "east", "west", "river", "hill", "park", "harbour", "old town", "station"}
	cs := make([]community, len(themes))
	for c, th := range themes {
		for _, name := range names {
			cs[c].events = append(cs[c].events, p.event(fmt.Sprintf(th.title, name), th.description, th.category))
		}
		for range n {
			cs[c].users = append(cs[c].users, p.user("attendee"))
		}
	}
	for c := range cs {
		own, other := cs[c].events, cs[1-c].events
		for _, u := range cs[c].users {
			picks := rng.Perm(len(own))[:6]
			if !slices.Contains(picks, 0) {
				picks[0] = 0 // the community's hit
			}
			for j, e := range picks {
				at := now.Add(-time.Duration(30-4*j) * 24 * time.Hour).Add(time.Duration(rng.IntN(3600)) * time.Second)
				p.interact(u, own[e], "view", at)
				switch rng.IntN(4) {
				case 0:
					p.register(u, own[e], "confirmed", at.Add(time.Minute))
				case 1:
					p.interact(u, own[e], "click", at.Add(time.Minute))
				}
			}
			p.interact(u, other[rng.IntN(len(other))], "view", now.Add(-29*24*time.Hour))
		}
	}
	return cs
}

func TestTheGatePromotesABetterModelAndRefusesAWorseOne(t *testing.T) {
	p := newPlatform(t)
	rng := rand.New(rand.NewPCG(1, 2))
	t1 := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	cs := plant(p, 24, t1, rng)

	// --evaluate judges and stores nothing.
	var out strings.Builder
	res, err := retrain.Run(p.ctx, p.db, retrain.Options{Now: t1, Evaluate: true, Out: &out, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 0 || p.count(`SELECT count(*) FROM recommendation_models`) != 0 || !strings.Contains(out.String(), "nothing stored") {
		t.Fatalf("--evaluate stored version %d (%d rows); output:\n%s", res.Version, p.count(`SELECT count(*) FROM recommendation_models`), out.String())
	}

	out.Reset()
	first, err := retrain.Run(p.ctx, p.db, retrain.Options{Now: t1, HalfLife: retrain.DefaultHalfLife, Out: &out, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first run:\n%s", out.String())
	blend, pop := first.Metrics.Models["blend"].NDCG, first.Metrics.Models["popularity"].NDCG
	if !first.Promoted || first.Version == 0 || blend <= pop {
		t.Fatalf("first run: promoted %v, version %d, blend NDCG %.3f vs popularity %.3f; want promoted, beating popularity", first.Promoted, first.Version, blend, pop)
	}
	// Half the 48 users with held-out interactions tune the blend, the other half judge it.
	if got, tuned := first.Metrics.Gate.Users, first.Metrics.Validation.Users; got != 24 || tuned != 24 {
		t.Errorf("users evaluated = %d and tuned on = %d, want 24 and 24", got, tuned)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("promoted version %d: NDCG@10 %.3f", first.Version, blend)) {
		t.Errorf("output does not announce the promotion:\n%s", out.String())
	}
	for _, col := range []string{"P@10", "R@10", "NDCG@10", "coverage", "seconds", "popularity", "itemknn", "als", "content", "blend"} {
		if !strings.Contains(out.String(), col) {
			t.Errorf("the table has no %q:\n%s", col, out.String())
		}
	}
	if n := p.count(`SELECT count(*) FROM outbox WHERE subject = $1 AND (payload->>'version')::bigint = $2`, registry.SubjectModelPromoted, first.Version); n != 1 {
		t.Errorf("outbox rows announcing version %d = %d, want 1", first.Version, n)
	}
	live, snap, err := registry.Live(p.ctx, p.db)
	if err != nil || live.Version != first.Version {
		t.Fatalf("live = %d, %v; want %d", live.Version, err, first.Version)
	}
	if live.Users != 48 || live.Items != 20 || live.Interactions == 0 || live.SizeBytes == 0 || len(live.Parameters) < 10 {
		t.Errorf("live row = %+v", live)
	}
	// The served model was trained on everything, the holdout included, and recommends
	// within the community: a jazz lover's best unseen event is a jazz night.
	jazz := cs[0].users[0]
	seen := history(t, snap, jazz)
	if len(seen) < 6 {
		t.Errorf("jazz lover's history in the served model = %d events, want the holdout's too (≥ 6)", len(seen))
	}
	if top := best(snap, seen); !slices.Contains(cs[0].events, top) {
		t.Errorf("a jazz lover's best unseen event is %d, not a jazz night (%v)", top, cs[0].events)
	}

	// New interactions after the live model was trained: every user views two more of
	// their community's events. A model of popularity alone must not replace it.
	for c := range cs {
		for i, u := range cs[c].users {
			for j := range 2 {
				p.interact(u, cs[c].events[(i+j)%len(cs[c].events)], "view", t1.Add(time.Duration(10+j*10+i)*time.Minute))
			}
		}
	}
	t2 := t1.Add(90 * time.Minute)
	out.Reset()
	second, err := retrain.Run(p.ctx, p.db, retrain.Options{Now: t2, HalfLife: retrain.DefaultHalfLife, Out: &out, Seed: 1,
		Models: []model.Component{model.PopularityModel}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("second run:\n%s", out.String())
	g := second.Metrics.Gate
	if second.Promoted || g.LiveNDCG == nil || g.LiveVersion != first.Version || g.LiveUsers < 20 {
		t.Fatalf("second run: promoted %v, gate %+v; want refused against live version %d on ≥ 20 users", second.Promoted, g, first.Version)
	}
	if want := fmt.Sprintf("since live version %d was trained %.3f is below its %.3f", first.Version, *g.CandidateSinceLive, *g.LiveNDCG); !strings.Contains(second.Reason, want) {
		t.Errorf("reason %q does not name the live model's NDCG (%q)", second.Reason, want)
	}
	if !strings.Contains(out.String(), "refused: ") {
		t.Errorf("output does not say it refused:\n%s", out.String())
	}
	if live, _, err := registry.Live(p.ctx, p.db); err != nil || live.Version != first.Version {
		t.Errorf("live after a refusal = %d, %v; want still %d", live.Version, err, first.Version)
	}
	refused, snap2, err := registry.Get(p.ctx, p.db, second.Version)
	if err != nil || refused.Status != registry.StatusRefused || refused.Reason != second.Reason || snap2 == nil {
		t.Errorf("refused version %d = %+v, %v; want kept with its reason and model", second.Version, refused, err)
	}
	if n := p.count(`SELECT count(*) FROM outbox WHERE subject = $1`, registry.SubjectModelPromoted); n != 1 {
		t.Errorf("outbox rows = %d, want only the first promotion's", n)
	}
}

// best is the blend's best event for a history, among those not in it.
func best(snap *model.Snapshot, seen map[int64]float32) int64 {
	r := model.NewRanker(snap, nil)
	var hist []model.Interaction
	for e, w := range seen {
		hist = append(hist, model.Interaction{Item: e, Weight: w})
	}
	parts := map[model.Component][]float32{}
	for _, c := range model.Components {
		if r.Has(c) {
			parts[c] = make([]float32, r.Len())
			r.Score(c, hist, "", parts[c])
		}
	}
	blend, allowed := make([]float32, r.Len()), make([]bool, r.Len())
	for i := range allowed {
		_, ok := seen[r.ID(int32(i))]
		allowed[i] = !ok
	}
	model.Blend(parts, snap.Weights, allowed, blend)
	top := int32(0)
	for i, v := range blend {
		if v > blend[top] {
			top = int32(i)
		}
	}
	return r.ID(top)
}

// A live model this build cannot read (an older encoding, say) cannot be served either:
// the candidate is judged as if nothing were live, and replaces it.
func TestAnUnreadableLiveModelIsReplaced(t *testing.T) {
	p := newPlatform(t)
	now := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	plant(p, 12, now, rand.New(rand.NewPCG(3, 4)))
	p.exec(`INSERT INTO recommendation_models (status, parameters, metrics, users, items, interactions, training_seconds, size_bytes, model)
		VALUES ('promoted', '{}', '{}', 0, 0, 0, 0, 3, 'old')`)
	res, err := retrain.Run(p.ctx, p.db, retrain.Options{Now: now, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Promoted || !strings.Contains(res.Reason, "live version 1 cannot be read by this build") {
		t.Errorf("promoted %v, reason %q; want promoted, saying the live model could not be read", res.Promoted, res.Reason)
	}
	if live, _, err := registry.Live(p.ctx, p.db); err != nil || live.Version != res.Version {
		t.Errorf("live = %d, %v; want %d", live.Version, err, res.Version)
	}
}

func TestAnEmptyDatabaseStoresNothing(t *testing.T) {
	p := newPlatform(t)
	var out strings.Builder
	res, err := retrain.Run(p.ctx, p.db, retrain.Options{Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 0 || !strings.Contains(out.String(), "no interactions to learn from") {
		t.Errorf("version %d, output %q; want nothing stored and said so", res.Version, out.String())
	}
	if n := p.count(`SELECT count(*) FROM recommendation_models`); n != 0 {
		t.Errorf("%d versions stored, want none", n)
	}
}

func TestAFailingDatabaseIsAnError(t *testing.T) {
	p := newPlatform(t)
	p.db.Close()
	if _, err := retrain.Run(p.ctx, p.db, retrain.Options{}); err == nil {
		t.Error("Run on a closed pool: no error")
	}
}

// A run with nothing new since the live model was trained stores nothing (it would repeat
// the live model); --force trains anyway.
func TestNothingNewSinceTheLiveModelStoresNothing(t *testing.T) {
	p := newPlatform(t)
	now := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	plant(p, 12, now.Add(-time.Minute), rand.New(rand.NewPCG(5, 6)))
	first, err := retrain.Run(p.ctx, p.db, retrain.Options{Now: now, Seed: 1})
	if err != nil || !first.Promoted {
		t.Fatalf("first run: %+v, %v", first, err)
	}
	var out strings.Builder
	again, err := retrain.Run(p.ctx, p.db, retrain.Options{Now: now.Add(time.Minute), Seed: 1, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if again.Version != 0 || !strings.Contains(out.String(), "nothing new since live version") {
		t.Errorf("a run with nothing new stored version %d; output:\n%s", again.Version, out.String())
	}
	forced, err := retrain.Run(p.ctx, p.db, retrain.Options{Now: now.Add(time.Minute), Seed: 1, Force: true})
	if err != nil || forced.Version == 0 {
		t.Errorf("--force stored version %d, %v; want a new version", forced.Version, err)
	}
}
