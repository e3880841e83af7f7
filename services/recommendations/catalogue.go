package recommendations

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/events-platform/events-platform/services/recommendations/model"
	"github.com/events-platform/events-platform/services/recommendations/registry"
)

// The catalogue is what may be recommended at all: published, public events that
// moderation approved and that have not started. It is read whole from PostgreSQL (a few columns and the text of each
// event) every refreshEvery and soon after a domain event changes one; everything the
// exclusion rules need per event lives here, so a request touches the database only for
// the caller's own history and the page's events.

// refreshEvery bounds how stale the catalogue gets without domain events.
const refreshEvery = time.Minute

// candidate is an event that may be recommended.
type candidate struct {
	id        int64
	organizer int64
	city      string // lower case, for matching
	category  string // lower case
	startsAt  time.Time
	// registered is the event's registrations: popularity before any model exists.
	registered int
	item       int32 // the ranker's index
}

// served is one consistent view a request reads: the live model and the catalogue it
// was joined with. It is swapped whole (an atomic pointer) when either changes, so a
// request never mixes two models or two catalogues.
type served struct {
	version registry.Version // Version 0: no model yet
	ranker  *model.Ranker
	cands   []candidate
	// candOf is, by ranker item, the candidate it is, or -1 (a past event the model
	// learnt from).
	candOf   []int32
	byID     map[int64]int32
	loadedAt time.Time
	// Per ranker item, worked out once per view rather than per request: mask reports a
	// candidate; pop is its popularity (its time-decayed interactions in the model, or,
	// for an event the model has not seen, its registrations weighed as retraining weighs
	// one); tie is a thousandth of pop over the best, which orders what the models cannot
	// tell apart. byCity and byCategory list the candidates' items by (lower-case) value.
	mask       []bool
	pop, tie   []float32
	byCity     map[string][]int32
	byCategory map[string][]int32
}

// catalogueRow is an event as the catalogue reads it.
type catalogueRow struct {
	candidate
	doc model.Doc
}

func (s *Service) loadCatalogue(ctx context.Context) ([]catalogueRow, error) {
	rows, err := s.db.Query(ctx, `
		SELECT id, created_by, lower(city), lower(category), starts_at, registered_count,
		       title, description, category, tags
		FROM events
		WHERE status = 'published' AND visibility = 'public' AND moderation = 'approved' AND starts_at > now()`)
	if err != nil {
		return nil, fmt.Errorf("load catalogue: %w", err)
	}
	defer rows.Close()
	var out []catalogueRow
	for rows.Next() {
		var r catalogueRow
		if err := rows.Scan(&r.id, &r.organizer, &r.city, &r.category, &r.startsAt, &r.registered,
			&r.doc.Title, &r.doc.Description, &r.doc.Category, &r.doc.Tags); err != nil {
			return nil, fmt.Errorf("load catalogue: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load catalogue: %w", err)
	}
	return out, nil
}

// emptySnapshot stands in for a model before the first retraining: no items, no
// components but what the catalogue gives (popularity by registrations).
func emptySnapshot() *model.Snapshot {
	return &model.Snapshot{Weights: model.Weights{model.PopularityModel: 1}}
}

// join builds what requests read from a model and a catalogue: the ranker knows the
// model's items and the catalogue's new events (by their text).
func join(v registry.Version, snap *model.Snapshot, rows []catalogueRow, now time.Time) *served {
	if snap == nil {
		snap = emptySnapshot()
	}
	extra := make(map[int64]model.Doc)
	for _, r := range rows {
		extra[r.id] = r.doc
	}
	rk := model.NewRanker(snap, extra)
	sv := &served{version: v, ranker: rk, cands: make([]candidate, 0, len(rows)), byID: make(map[int64]int32, len(rows)), loadedAt: now}
	sv.candOf = make([]int32, rk.Len())
	for i := range sv.candOf {
		sv.candOf[i] = -1
	}
	n := rk.Len()
	sv.mask, sv.pop, sv.tie = make([]bool, n), make([]float32, n), make([]float32, n)
	sv.byCity, sv.byCategory = map[string][]int32{}, map[string][]int32{}
	var top float32
	for _, r := range rows {
		c := r.candidate
		c.item, _ = rk.Index(c.id) // every catalogue event has a slot
		sv.byID[c.id] = int32(len(sv.cands))
		sv.candOf[c.item] = int32(len(sv.cands))
		sv.cands = append(sv.cands, c)
		sv.mask[c.item] = true
		sv.byCity[c.city] = append(sv.byCity[c.city], c.item)
		sv.byCategory[c.category] = append(sv.byCategory[c.category], c.item)
		pop := float32(weightRegister * c.registered)
		if int(c.item) < len(snap.Popularity) {
			pop = snap.Popularity[c.item]
		}
		// Every candidate may fill a page, so none is exactly 0.
		sv.pop[c.item] = max(pop, 0) + math.SmallestNonzeroFloat32
		top = max(top, sv.pop[c.item])
	}
	for i, v := range sv.pop {
		if top > 0 {
			sv.tie[i] = 1e-3 * v / top
		}
	}
	return sv
}

// allow marks in allowed the candidates q may show: all, or those of its city and
// category.
func (sv *served) allow(q query, allowed []bool) {
	switch {
	case q.city == "" && q.category == "":
		copy(allowed, sv.mask)
	case q.city != "":
		clear(allowed)
		for _, i := range sv.byCity[q.city] {
			allowed[i] = q.category == "" || sv.cands[sv.candOf[i]].category == q.category
		}
	default:
		clear(allowed)
		for _, i := range sv.byCategory[q.category] {
			allowed[i] = true
		}
	}
}

// normCity folds a city for matching as the catalogue stores it.
func normCity(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
