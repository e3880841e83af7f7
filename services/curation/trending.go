package curation

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Board keeps what trending and featured rank: every upcoming event that may be shown
// (published, public, approved) with its city, category, start and quality, the heat of
// every event that people interacted with, and the editors' picks. Rank rebuilds the
// rankings from them (on a short timer); a request reads the last rankings and never
// scans the events.
//
// Heat is kept in two parts, so that the interactions of the hours still being counted
// can be read again whole at each look, without adding anything twice: settled heat (the
// hours that are done, added once) and recent heat (replaced at every look).
type Board struct {
	mu      sync.Mutex
	events  map[int64]*tracked
	settled map[int64]Heat
	recent  map[int64]Heat
	picks   []int64 // editors' picks in their order
	ranked  atomic.Pointer[ranking]
}

type tracked struct {
	city, category string // lower case
	startsAt       time.Time
	quality        float64
}

// Scored is an event as trending or featured ranks it.
type Scored struct {
	ID    int64
	Score float64
	Pick  bool // an editor's pick (featured)
}

// ranking is one rebuild: the hottest first, overall and by filter, and the featured
// (picks, then the best by quality), overall and by city; each list cut at rankDepth (a
// page is at most 100).
type ranking struct {
	at         time.Time
	all        []Scored
	byCity     map[string][]Scored
	byCategory map[string][]Scored
	byBoth     map[[2]string][]Scored
	featured   []Scored
	featuredIn map[string][]Scored
}

// rankDepth is how many events each list of a ranking keeps.
const rankDepth = 200

// forgetHeat is the heat below which an event's settled heat is dropped (a view decays to
// it in about five days).
const forgetHeat = 1.0 / 1024

// NewBoard returns an empty board.
func NewBoard() *Board {
	b := &Board{events: map[int64]*tracked{}, settled: map[int64]Heat{}, recent: map[int64]Heat{}}
	b.ranked.Store(&ranking{})
	return b
}

// Track adds an event that may be shown, or updates its city, category and start.
func (b *Board) Track(id int64, city, category string, startsAt time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.events[id]
	if e == nil {
		e = &tracked{}
		b.events[id] = e
	}
	e.city, e.category, e.startsAt = fold(city), fold(category), startsAt
}

// SetQuality records an event's quality score (an event not tracked is ignored).
func (b *Board) SetQuality(id int64, q float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.events[id]; e != nil {
		e.quality = q
	}
}

// Forget removes an event that may no longer be shown (cancelled, held, private); its
// heat is kept, should it come back.
func (b *Board) Forget(id int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.events, id)
}

// Add adds an interaction of weight w at a time to an event's settled heat.
func (b *Board) Add(id int64, w float64, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.settled[id] = b.settled[id].Add(w, at)
}

// SetRecent replaces the recent heat of every event.
func (b *Board) SetRecent(recent map[int64]Heat) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.recent = recent
}

// SetPicks replaces the editors' picks, in their order.
func (b *Board) SetPicks(ids []int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.picks = slices.Clone(ids)
}

// Rank rebuilds the rankings as of now; events that started are dropped.
func (b *Board) Rank(now time.Time) {
	type row struct {
		Scored
		quality        float64
		city, category string
	}
	b.mu.Lock()
	rows := make([]row, 0, len(b.events))
	for id, e := range b.events {
		if !e.startsAt.After(now) {
			delete(b.events, id)
			continue
		}
		heat := b.settled[id].Now(now) + b.recent[id].Now(now)
		rows = append(rows, row{Scored{ID: id, Score: HotScore(heat, e.startsAt.Sub(now))}, e.quality, e.city, e.category})
	}
	for id, h := range b.settled {
		if h.Now(now) < forgetHeat {
			delete(b.settled, id)
		}
	}
	var picks []row
	for _, id := range b.picks {
		if e := b.events[id]; e != nil {
			picks = append(picks, row{Scored{ID: id, Score: e.quality, Pick: true}, e.quality, e.city, e.category})
		}
	}
	b.mu.Unlock()

	r := &ranking{at: now, byCity: map[string][]Scored{}, byCategory: map[string][]Scored{}, byBoth: map[[2]string][]Scored{},
		featuredIn: map[string][]Scored{}}
	keep := func(list []Scored, s Scored) []Scored {
		if len(list) < rankDepth {
			list = append(list, s)
		}
		return list
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.ID, b.ID)) })
	for _, x := range rows {
		r.all = keep(r.all, x.Scored)
		r.byCity[x.city] = keep(r.byCity[x.city], x.Scored)
		r.byCategory[x.category] = keep(r.byCategory[x.category], x.Scored)
		k := [2]string{x.city, x.category}
		r.byBoth[k] = keep(r.byBoth[k], x.Scored)
	}
	// Featured: the picks in the editors' order, then by quality, the hotter first among
	// equals (rows are in hot order, and the sort is stable).
	picked := map[int64]bool{}
	for _, p := range picks {
		picked[p.ID] = true
		r.featured = keep(r.featured, p.Scored)
		r.featuredIn[p.city] = keep(r.featuredIn[p.city], p.Scored)
	}
	slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(b.quality, a.quality) })
	for _, x := range rows {
		if picked[x.ID] {
			continue
		}
		s := Scored{ID: x.ID, Score: x.quality}
		r.featured = keep(r.featured, s)
		r.featuredIn[x.city] = keep(r.featuredIn[x.city], s)
	}
	b.ranked.Store(r)
}

// Trending returns the hottest events of the last ranking, of a city and a category when
// given (any case), at most limit, and when the ranking was made.
func (b *Board) Trending(city, category string, limit int) ([]Scored, time.Time) {
	r := b.ranked.Load()
	city, category = fold(city), fold(category)
	var list []Scored
	switch {
	case city != "" && category != "":
		list = r.byBoth[[2]string{city, category}]
	case city != "":
		list = r.byCity[city]
	case category != "":
		list = r.byCategory[category]
	default:
		list = r.all
	}
	return slices.Clone(list[:min(limit, len(list))]), r.at
}

// Featured returns the editors' picks and then the best events by quality, of a city when
// given, at most limit, and when the ranking was made.
func (b *Board) Featured(city string, limit int) ([]Scored, time.Time) {
	r := b.ranked.Load()
	list := r.featured
	if city = fold(city); city != "" {
		list = r.featuredIn[city]
	}
	return slices.Clone(list[:min(limit, len(list))]), r.at
}

// Len is how many events may be shown.
func (b *Board) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.events)
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
