package curation

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Trending keeps every upcoming event's heat, updated as interactions arrive, and answers
// the hottest events, overall or by city and category, from a ranking that Rank rebuilds
// (on a short timer): a request reads the last ranking and never scans the events.
type Trending struct {
	mu     sync.Mutex
	events map[int64]*tracked
	ranked atomic.Pointer[ranking]
}

type tracked struct {
	heat           Heat
	city, category string // lower case
	startsAt       time.Time
}

// Scored is an event as trending ranks it.
type Scored struct {
	ID    int64
	Score float64
}

// ranking is one rebuild: the hottest first, overall and by filter, each list cut at
// rankDepth (a page is at most 100).
type ranking struct {
	all        []Scored
	byCity     map[string][]Scored
	byCategory map[string][]Scored
	byBoth     map[[2]string][]Scored
}

// rankDepth is how many events each list of a ranking keeps.
const rankDepth = 200

// NewTrending returns an empty index.
func NewTrending() *Trending {
	t := &Trending{events: map[int64]*tracked{}}
	t.ranked.Store(&ranking{})
	return t
}

// Track adds an event that may trend, or updates its city, category and start.
func (t *Trending) Track(id int64, city, category string, startsAt time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.events[id]
	if e == nil {
		e = &tracked{}
		t.events[id] = e
	}
	e.city, e.category, e.startsAt = fold(city), fold(category), startsAt
}

// Forget removes an event that may no longer trend (cancelled, held, private).
func (t *Trending) Forget(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.events, id)
}

// Add records an interaction of weight w with an event at a time; an event not tracked is
// ignored.
func (t *Trending) Add(id int64, w float64, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.events[id]; e != nil {
		e.heat = e.heat.Add(w, at)
	}
}

// Rank rebuilds the ranking as of now; events that started are dropped from the index.
func (t *Trending) Rank(now time.Time) {
	type row struct {
		Scored
		city, category string
	}
	t.mu.Lock()
	rows := make([]row, 0, len(t.events))
	for id, e := range t.events {
		if !e.startsAt.After(now) {
			delete(t.events, id)
			continue
		}
		rows = append(rows, row{Scored{id, HotScore(e.heat.Now(now), e.startsAt.Sub(now))}, e.city, e.category})
	}
	t.mu.Unlock()
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.ID, b.ID)) })
	r := &ranking{byCity: map[string][]Scored{}, byCategory: map[string][]Scored{}, byBoth: map[[2]string][]Scored{}}
	keep := func(list []Scored, s Scored) []Scored {
		if len(list) < rankDepth {
			list = append(list, s)
		}
		return list
	}
	for _, x := range rows {
		r.all = keep(r.all, x.Scored)
		r.byCity[x.city] = keep(r.byCity[x.city], x.Scored)
		r.byCategory[x.category] = keep(r.byCategory[x.category], x.Scored)
		k := [2]string{x.city, x.category}
		r.byBoth[k] = keep(r.byBoth[k], x.Scored)
	}
	t.ranked.Store(r)
}

// Top returns the hottest events of the last ranking, of a city and a category when
// given (any case), at most limit.
func (t *Trending) Top(city, category string, limit int) []Scored {
	r := t.ranked.Load()
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

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
