package curation

import (
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
	mu sync.Mutex
	// events are kept in a slice, in no order, with where each is: ranking walks it
	// densely rather than a map of pointers.
	events     []tracked
	index      map[int64]int32
	settled    map[int64]Heat
	recent     map[int64]Heat
	picks      []int64 // editors' picks in their order
	cities     names
	categories names
	ranked     atomic.Pointer[ranking]
}

type tracked struct {
	id             int64
	city, category int32 // in cities and categories
	startsAt       time.Time
	quality        float64
}

// names numbers the cities or categories (lower case) the board has met, so that ranking
// groups events by number rather than by hashing strings.
type names struct {
	ids  map[string]int32
	list []string
}

func (n *names) id(name string) int32 {
	name = fold(name)
	if id, ok := n.ids[name]; ok {
		return id
	}
	if n.ids == nil {
		n.ids = map[string]int32{}
	}
	id := int32(len(n.list))
	n.ids[name] = id
	n.list = append(n.list, name)
	return id
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
	b := &Board{index: map[int64]int32{}, settled: map[int64]Heat{}, recent: map[int64]Heat{}}
	b.ranked.Store(&ranking{})
	return b
}

// Track adds an event that may be shown, or updates its city, category and start.
func (b *Board) Track(id int64, city, category string, startsAt time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	i, ok := b.index[id]
	if !ok {
		i = int32(len(b.events))
		b.index[id] = i
		b.events = append(b.events, tracked{id: id})
	}
	e := &b.events[i]
	e.city, e.category, e.startsAt = b.cities.id(city), b.categories.id(category), startsAt
}

// SetQuality records an event's quality score (an event not tracked is ignored).
func (b *Board) SetQuality(id int64, q float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i, ok := b.index[id]; ok {
		b.events[i].quality = q
	}
}

// Forget removes an event that may no longer be shown (cancelled, held, private); its
// heat is kept, should it come back.
func (b *Board) Forget(id int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.forget(id)
}

// forget removes id from events, moving the last event into its place.
func (b *Board) forget(id int64) {
	i, ok := b.index[id]
	if !ok {
		return
	}
	last := len(b.events) - 1
	b.events[i] = b.events[last]
	b.index[b.events[i].id] = i
	b.events = b.events[:last]
	delete(b.index, id)
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

// Rank rebuilds the rankings as of now; events that started are dropped. Each list keeps
// its best rankDepth as the events go by (a bounded heap), so ranking is linear in the
// events, without sorting them all.
func (b *Board) Rank(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var (
		all, featured = &top{}, &top{}
		byCity        = make([]*top, len(b.cities.list)) // by the city's number
		byCat         = make([]*top, len(b.categories.list))
		featuredIn    = make([]*top, len(b.cities.list))
		byBoth        = map[int64]*top{} // by city << 32 | category
		picked        = map[int64]bool{}
	)
	for _, id := range b.picks {
		picked[id] = true
	}
	// The heat of the events tracked, by their place: the heat maps are walked once
	// (fewer events have heat than may be shown).
	heat := make([]float64, len(b.events))
	for id, h := range b.settled {
		v := h.Now(now)
		if v < forgetHeat {
			delete(b.settled, id)
		} else if i, ok := b.index[id]; ok {
			heat[i] += v
		}
	}
	for id, h := range b.recent {
		if i, ok := b.index[id]; ok {
			heat[i] += h.Now(now)
		}
	}
	var started []int64
	for i := range b.events {
		e := &b.events[i]
		if !e.startsAt.After(now) {
			started = append(started, e.id)
			continue
		}
		id := e.id
		hot := HotScore(heat[i], e.startsAt.Sub(now))
		x := entry{id: id, first: hot}
		all.offer(x)
		at(byCity, e.city).offer(x)
		at(byCat, e.category).offer(x)
		k := int64(e.city)<<32 | int64(e.category)
		if byBoth[k] == nil {
			byBoth[k] = &top{}
		}
		byBoth[k].offer(x)
		if !picked[id] {
			// Featured after the picks: by quality, the hotter first among equals.
			f := entry{id: id, first: e.quality, second: hot}
			featured.offer(f)
			at(featuredIn, e.city).offer(f)
		}
	}
	for _, id := range started {
		b.forget(id)
	}

	r := &ranking{all: all.sorted(), byCity: map[string][]Scored{}, byCategory: map[string][]Scored{},
		byBoth: map[[2]string][]Scored{}, featuredIn: map[string][]Scored{}}
	for i, t := range byCity {
		if t != nil {
			r.byCity[b.cities.list[i]] = t.sorted()
		}
	}
	for i, t := range byCat {
		if t != nil {
			r.byCategory[b.categories.list[i]] = t.sorted()
		}
	}
	for k, t := range byBoth {
		r.byBoth[[2]string{b.cities.list[k>>32], b.categories.list[int32(k)]}] = t.sorted()
	}
	// The picks that may be shown, in the editors' order, then the rest.
	keep := func(list []Scored, s Scored) []Scored {
		if len(list) < rankDepth {
			list = append(list, s)
		}
		return list
	}
	for _, id := range b.picks {
		if i, ok := b.index[id]; ok {
			e := b.events[i]
			s := Scored{ID: id, Score: e.quality, Pick: true}
			r.featured = keep(r.featured, s)
			city := b.cities.list[e.city]
			r.featuredIn[city] = keep(r.featuredIn[city], s)
		}
	}
	for _, s := range featured.sorted() {
		r.featured = keep(r.featured, s)
	}
	for i, t := range featuredIn {
		if t != nil {
			city := b.cities.list[i]
			for _, s := range t.sorted() {
				r.featuredIn[city] = keep(r.featuredIn[city], s)
			}
		}
	}
	b.ranked.Store(r)
}

// at returns the i-th top of list, made when missing.
func at(list []*top, i int32) *top {
	if list[i] == nil {
		list[i] = &top{}
	}
	return list[i]
}

// entry is an event being ranked: by first, then second, both higher first, then by id.
type entry struct {
	id            int64
	first, second float64
}

func (a entry) better(b entry) bool {
	if a.first != b.first {
		return a.first > b.first
	}
	if a.second != b.second {
		return a.second > b.second
	}
	return a.id < b.id
}

// top keeps the best rankDepth entries offered: a heap with the worst kept at its root,
// so that most offers are one comparison.
type top struct{ h []entry }

func (t *top) offer(x entry) {
	if len(t.h) < rankDepth {
		t.h = append(t.h, x)
		for i := len(t.h) - 1; i > 0; {
			parent := (i - 1) / 2
			if !t.h[parent].better(t.h[i]) {
				break
			}
			t.h[parent], t.h[i] = t.h[i], t.h[parent]
			i = parent
		}
		return
	}
	if !x.better(t.h[0]) {
		return
	}
	t.h[0] = x
	for i := 0; ; {
		worst, l, r := i, 2*i+1, 2*i+2
		if l < len(t.h) && t.h[worst].better(t.h[l]) {
			worst = l
		}
		if r < len(t.h) && t.h[worst].better(t.h[r]) {
			worst = r
		}
		if worst == i {
			return
		}
		t.h[i], t.h[worst] = t.h[worst], t.h[i]
		i = worst
	}
}

// sorted returns what t kept, the best first, as ranked events (scored by first).
func (t *top) sorted() []Scored {
	slices.SortFunc(t.h, func(a, b entry) int {
		if a.better(b) {
			return -1
		}
		return 1
	})
	out := make([]Scored, len(t.h))
	for i, x := range t.h {
		out[i] = Scored{ID: x.id, Score: x.first}
	}
	return out
}

// Trending returns the hottest events of the last ranking, of a city and a category when
// given (any case), at most limit.
func (b *Board) Trending(city, category string, limit int) []Scored {
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
	return slices.Clone(list[:min(limit, len(list))])
}

// Featured returns the editors' picks and then the best events by quality, of a city when
// given, at most limit.
func (b *Board) Featured(city string, limit int) []Scored {
	r := b.ranked.Load()
	list := r.featured
	if city = fold(city); city != "" {
		list = r.featuredIn[city]
	}
	return slices.Clone(list[:min(limit, len(list))])
}

// Len is how many events may be shown.
func (b *Board) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.events)
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
