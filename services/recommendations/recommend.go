package recommendations

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/eventview"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/services/recommendations/model"
)

// GET /api/v1/recommendations/events: a page of upcoming events for the caller, ranked by
// the live model's hybrid (or one family of it), never one the user registered for,
// dismissed or organises, with no more than maxPerOrganizer from one organizer, each with
// a reason a person can read.

// maxPerOrganizer bounds one organizer's share of a page: a prolific organizer does not
// fill anyone's recommendations.
const maxPerOrganizer = 2

// Algorithms a caller may ask for.
const (
	algHybrid        = "hybrid"
	algCollaborative = "collaborative"
	algContent       = "content"
	algPopular       = "popular"
)

// Recommendation is an event recommended, how strongly, and why.
type Recommendation struct {
	eventview.Event
	Score  float64 `json:"score" doc:"The blend's score: higher ranks first"`
	Reason string  `json:"reason" doc:"Why, in words: \"because you registered for …\", \"similar to …\", \"popular in Berlin this week\""`
}

// Recommendations are a page of recommendations.
type Recommendations struct {
	Recommendations []Recommendation `json:"recommendations"`
	Algorithm       string           `json:"algorithm" doc:"What ranked them: the one asked for, or popular for anonymous callers and users without history"`
	ModelVersion    int64            `json:"model_version" doc:"The model that ranked them; 0 before the first retraining"`
}

type recommendInput struct {
	Limit     int    `query:"limit" minimum:"1" maximum:"100" default:"10" doc:"How many (1 to 100)"`
	Algorithm string `query:"algorithm" enum:"hybrid,collaborative,content,popular" default:"hybrid" doc:"Which model ranks"`
	Category  string `query:"category" maxLength:"100" doc:"Only this category"`
	City      string `query:"city" maxLength:"100" doc:"Only this city"`
	UserID    int64  `query:"user_id" minimum:"1" doc:"Whose recommendations: your own (the default), anyone's for admins"`
}

func (s *Service) handleRecommend(ctx context.Context, in *recommendInput) (*httpapi.Output[Recommendations], error) {
	start := time.Now()
	userID := int64(0)
	id, signedIn := auth.FromContext(ctx)
	switch {
	case in.UserID != 0 && !signedIn:
		return nil, httpapi.Unauthorized("sign in to read a user's recommendations")
	case in.UserID != 0 && in.UserID != id.UserID && !id.IsAdmin():
		return nil, httpapi.Forbidden("you may read only your own recommendations (user_id is yours, or leave it out)")
	case in.UserID != 0:
		userID = in.UserID
	case signedIn:
		userID = id.UserID
	}
	sv := s.view.Load()
	if sv == nil {
		return nil, httpapi.Unavailable()
	}
	q := query{alg: in.Algorithm, limit: in.Limit, city: normCity(in.City), category: normCity(in.Category)}
	if userID == 0 {
		q.alg = algPopular
	}
	key := q.cacheField(sv)
	if body, ok := s.cache.get(ctx, userKey(userID), key, sv); ok {
		s.metrics.observe(q.alg, true, start)
		return httpapi.OK(body), nil
	}
	out, err := s.recommend(ctx, sv, userID, q)
	if err != nil {
		return nil, s.fail(ctx, "recommend", err)
	}
	s.cache.put(ctx, userKey(userID), key, out)
	s.metrics.observe(q.alg, false, start)
	return httpapi.OK(out), nil
}

// query is what a page of recommendations is for.
type query struct {
	alg            string
	limit          int
	city, category string // lower case; "" for any
}

func (q query) cacheField(sv *served) string {
	return fmt.Sprintf("%s|%d|%s|%s|%d", q.alg, q.limit, q.city, q.category, sv.version.Version)
}

// scratch holds a request's per-item arrays, reused between requests.
type scratch struct {
	parts   map[model.Component][]float32
	blend   []float32
	allowed []bool
}

var scratches sync.Pool

func getScratch(n int) *scratch {
	sc, _ := scratches.Get().(*scratch)
	if sc == nil || len(sc.blend) != n {
		sc = &scratch{parts: map[model.Component][]float32{}, blend: make([]float32, n), allowed: make([]bool, n)}
	}
	return sc
}

func (sc *scratch) part(c model.Component) []float32 {
	p := sc.parts[c]
	if p == nil {
		p = make([]float32, len(sc.blend))
		sc.parts[c] = p
	}
	return p
}

// pick is a candidate chosen for a page: its blended score, the component the score owes
// most to, and the history event it is most like (for the reason).
type pick struct {
	cand  int32
	score float32
	by    model.Component
	from  int64 // the history event it is like, for reasons; 0 for none
}

// recommend ranks a page for userID (0: anonymous) under q.
func (s *Service) recommend(ctx context.Context, sv *served, userID int64, q query) (Recommendations, error) {
	out := Recommendations{Algorithm: q.alg, ModelVersion: sv.version.Version, Recommendations: []Recommendation{}}
	var p *person
	if userID != 0 {
		var err error
		if p, err = s.loadPerson(ctx, sv, userID); err != nil {
			return out, err
		}
		if len(p.history) == 0 && p.interests == "" && q.alg != algPopular {
			// Cold start with nothing to go on: what is popular, near them first.
			out.Algorithm = algPopular
			s.metrics.fallbacks.WithLabelValues("no history").Inc()
		}
	}
	picks := rank(sv, p, q, out.Algorithm)
	if len(picks) == 0 {
		return out, nil
	}
	recs, err := s.describe(ctx, sv, p, q, picks)
	if err != nil {
		return out, err
	}
	out.Recommendations = recs
	return out, nil
}

// components are the model families an algorithm blends.
func components(alg string) []model.Component {
	switch alg {
	case algPopular:
		return []model.Component{model.PopularityModel}
	case algCollaborative:
		return []model.Component{model.KNNModel, model.ALSModel}
	case algContent:
		return []model.Component{model.ContentModel}
	}
	return model.Components
}

// rank scores every candidate for p (nil: anonymous) and picks the page: the blend of
// alg's components over the candidates allowed, popularity breaking ties and filling what
// the others leave empty, at most maxPerOrganizer per organizer.
func rank(sv *served, p *person, q query, alg string) []pick {
	rk := sv.ranker
	sc := getScratch(rk.Len())
	defer scratches.Put(sc)
	sv.allow(q, sc.allowed)
	if p != nil {
		for id := range p.excluded {
			if i, ok := rk.Index(id); ok {
				sc.allowed[i] = false
			}
		}
	}

	var hist []model.Interaction
	interests := ""
	if p != nil {
		hist, interests = p.history, p.interests
	}
	parts := map[model.Component][]float32{}
	weights := model.Weights{}
	snapWeights := rk.Snapshot().Weights
	for _, c := range components(alg) {
		if !rk.Has(c) {
			continue
		}
		buf := sc.part(c)
		if c == model.PopularityModel {
			popularity(sv, p, q, buf)
		} else {
			rk.Score(c, hist, interests, buf)
		}
		parts[c] = buf
		weights[c] = snapWeights[c]
		if alg != algHybrid {
			weights[c] = 1 // the family asked for, its members alike
		}
	}
	scales := model.Blend(parts, weights, sc.allowed, sc.blend)
	// Popularity orders what the model cannot tell apart (and fills the page when it
	// knows nothing of the user).
	for i, t := range sv.tie {
		if sc.allowed[i] {
			sc.blend[i] += t
		}
	}
	// The best first, then organizer by organizer no more than maxPerOrganizer.
	want := q.limit*4 + 20
	var picks []pick
	for len(picks) < q.limit {
		picks = picks[:0]
		perOrganizer := map[int64]int{}
		for _, it := range model.TopK(sc.blend, nil, want) {
			if !sc.allowed[it] || sc.blend[it] <= 0 {
				continue
			}
			ci := sv.candOf[it]
			c := sv.cands[ci]
			if perOrganizer[c.organizer] >= maxPerOrganizer {
				continue
			}
			perOrganizer[c.organizer]++
			pk := pick{cand: ci, score: sc.blend[it], by: model.PopularityModel}
			best := float32(0)
			for comp, scale := range scales {
				if v := parts[comp][it] * scale; v > best {
					best, pk.by = v, comp
				}
			}
			if pk.by != model.PopularityModel {
				pk.from, _ = rk.Because(hist, it)
			}
			picks = append(picks, pk)
			if len(picks) == q.limit {
				break
			}
		}
		if want >= rk.Len() || len(picks) == q.limit {
			break
		}
		want *= 4 // organizers filled the page: look deeper
	}
	return picks
}

// popularity writes each candidate's popularity (see served.pop), twice as much in the
// user's own city when no city was asked.
func popularity(sv *served, p *person, q query, out []float32) {
	copy(out, sv.pop)
	if p != nil && q.city == "" && p.city != "" {
		for _, i := range sv.byCity[p.city] {
			out[i] *= 2
		}
	}
}

// describe reads the picked events (as they are now: one that stopped being
// recommendable since the catalogue was loaded is left out) and the titles the reasons
// name, in one query.
func (s *Service) describe(ctx context.Context, sv *served, p *person, q query, picks []pick) ([]Recommendation, error) {
	ids := make([]int64, 0, 2*len(picks))
	for _, pk := range picks {
		ids = append(ids, sv.cands[pk.cand].id)
		if pk.from != 0 {
			ids = append(ids, pk.from)
		}
	}
	events, err := s.loadEvents(ctx, ids)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]Recommendation, 0, len(picks))
	for _, pk := range picks {
		ev, ok := events[sv.cands[pk.cand].id]
		if !ok || !recommendable(ev, now) {
			continue
		}
		out = append(out, Recommendation{Event: ev, Score: round4(pk.score), Reason: reason(pk, ev, events[pk.from], p, q)})
	}
	return out, nil
}

// loadEvents reads events by id.
func (s *Service) loadEvents(ctx context.Context, ids []int64) (map[int64]eventview.Event, error) {
	rows, err := s.db.Query(ctx, `SELECT `+eventview.Columns("")+` FROM events WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("load events: %w", err)
	}
	defer rows.Close()
	out := make(map[int64]eventview.Event, len(ids))
	for rows.Next() {
		ev, err := eventview.Scan(rows)
		if err != nil {
			return nil, fmt.Errorf("load events: %w", err)
		}
		out[ev.ID] = ev
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load events: %w", err)
	}
	return out, nil
}

// recommendable reports whether an event may be shown: published, public, approved by
// moderation, not started.
func recommendable(ev eventview.Event, now time.Time) bool {
	return ev.Status == "published" && ev.Visibility == "public" && ev.Moderation == "approved" && ev.StartsAt().After(now)
}

// reason says in words why an event was picked.
func reason(pk pick, ev, from eventview.Event, p *person, q query) string {
	switch {
	case pk.by == model.PopularityModel:
		if city := eventCity(ev); city != "" && (q.city != "" || (p != nil && normCity(city) == p.city)) {
			return fmt.Sprintf("popular in %s this week", city)
		}
		return "popular this week"
	case from.ID != 0 && p != nil && p.registered[from.ID]:
		return fmt.Sprintf("because you registered for “%s”", from.Title)
	case from.ID != 0 && p != nil && p.saved[from.ID]:
		return fmt.Sprintf("because you saved “%s”", from.Title)
	case from.ID != 0:
		return fmt.Sprintf("similar to “%s”", from.Title)
	case pk.by == model.ContentModel && p != nil && p.interests != "":
		return "matches your interests"
	}
	return "picked for you from what you did"
}

func eventCity(ev eventview.Event) string {
	if ev.Location == nil {
		return ""
	}
	return ev.Location.City
}

// round4 is a score as clients see it: four decimals are plenty to rank by.
func round4(v float32) float64 { return math.Round(float64(v)*1e4) / 1e4 }
