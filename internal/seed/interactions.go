package seed

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/services/analytics"
	"github.com/events-platform/events-platform/services/events"
)

// Interactions are journeys: one visitor and one event. A journey is a view, now and then
// a click (to the tickets, the map) or a share a little later, and for some a registration
// or a favorite a few minutes after the view (a registration sometimes with a favorite
// too). Visitors are signed-in users, a few of them far more active than the rest, who
// mostly look at events of the categories they like, often in their city, or visitors who
// are not signed in, looking at any category; popular events draw most journeys. Of all
// interactions about 85% are views, 6% clicks, 2% shares, 4% registrations and 3%
// favorites: the default 15,000 give the demo the thousand-odd registrations and favorites
// it has always had.
const (
	// shareActions is the share of registrations and favorites among the interactions.
	shareActions = 0.07
	// registerNotFavorite is how often a journey with an action registers rather than
	// favorites; alsoFavorite, how often a registration's journey favorites the event too.
	registerNotFavorite = 0.65
	alsoFavorite        = 0.15
	// clickAfterView and shareAfterView are the chances that a journey without an action
	// clicks or shares after its view: those views are about 79% of the interactions, so
	// clicks come to 6% and shares to 2%.
	clickAfterView = 0.076
	shareAfterView = 0.025
	// anonymousJourneys is the share of the journeys without an action by visitors who are
	// not signed in.
	anonymousJourneys = 0.25
	// history is how far back interactions go: analytics reads periods of up to 90 days.
	history = 90 * 24 * time.Hour
)

// insertInteractions draws n interactions. The registrations and favorites go in first,
// through the events service (seats are confirmed up to the capacity, then the waitlist
// grows), then every interaction through analytics, in time order. It returns how many
// registrations, favorites and interactions it inserted.
func (g *gen) insertInteractions(ctx context.Context, db *pgxpool.Pool, n int, accounts []account, ids []int64, evs []genEvent,
	bar *progress) (int, int, int, error) {
	in := newInterest(evs)
	users := newWeighted(pareto(g.rng, len(accounts), 1.5)) // a few users are very active
	drafts := make([]draft, 0, n)
	regs, favs, drafts := g.actions(in, users, int(math.Round(float64(n)*shareActions)), accounts, ids, drafts)
	// Registrations arrive in time order, so the identity orders each waitlist as the
	// events service would have.
	sort.SliceStable(regs, func(i, j int) bool { return regs[i].CreatedAt.Before(regs[j].CreatedAt) })
	fixWaitlists(regs, evs)
	nr, err := events.ImportRegistrations(ctx, db, regs)
	if err != nil {
		return 0, 0, 0, err
	}
	nf, err := events.ImportFavorites(ctx, db, favs)
	if err != nil {
		return nr, 0, 0, err
	}

	drafts = g.browse(in, users, accounts, ids, n-len(drafts), drafts)
	// Written in time order, each chunk adds to the same pages of the rollups and indexes
	// as the chunk before rather than to pages all over three months: ten million take
	// half the time. A draft is small enough to keep them all until then.
	slices.SortFunc(drafts, func(a, b draft) int { return cmp.Compare(a.at, b.at) })
	if err := analytics.EnsurePartitions(ctx, db, g.now); err != nil {
		return nr, nf, 0, fmt.Errorf("analytics partitions: %w", err)
	}
	im := startImport(ctx, db, bar)
	for _, d := range drafts {
		if err = im.add(d.record(evs)); err != nil {
			break
		}
	}
	written, ierr := im.close()
	if err == nil {
		err = ierr
	}
	return nr, nf, written, err
}

// draft is an interaction drawn, in few bytes: millions are kept until they are sorted.
type draft struct {
	at      int64 // Unix milliseconds
	visitor int64 // the user's id, or (< 0) a visitor not signed in
	event   int32 // index in the events drawn
	typ     uint8 // index in draftTypes
}

var draftTypes = []string{"view", "click", "share", "register", "favorite"}

const (
	typeView uint8 = iota
	typeClick
	typeShare
	typeRegister
	typeFavorite
)

func newDraft(at time.Time, visitor int64, event int, typ uint8) draft {
	return draft{at: at.UnixMilli(), visitor: visitor, event: int32(event), typ: typ}
}

// record is d as analytics imports it.
func (d draft) record(evs []genEvent) analytics.Record {
	r := analytics.Record{OccurredAt: time.UnixMilli(d.at).UTC(), Type: draftTypes[d.typ], EventID: evs[d.event].id, UserID: d.visitor}
	if d.visitor < 0 {
		r.UserID, r.Visitor = 0, d.visitor
	}
	return r
}

// actions draws about n registrations and favorites, each after a view of its event by
// the same user, and returns them, appending them and those views to drafts. A user
// registers for or favorites an event once; a past event's seats are all there will be.
func (g *gen) actions(in *interest, users *weighted, n int, accounts []account, ids []int64, drafts []draft) (
	[]events.ImportRegistration, []events.ImportFavorite, []draft) {
	type pair struct{ u, e int }
	seen := map[pair]bool{}
	confirmed := map[int]int32{}
	var regs []events.ImportRegistration
	var favs []events.ImportFavorite
	for attempt := 0; len(regs)+len(favs) < n && attempt < 4*n; attempt++ {
		u := users.pick(g.rng)
		ei, ok := in.pick(g, accounts[u].tastes, accounts[u].city)
		if !ok {
			break // no event anyone can see
		}
		isReg := g.rng.Float64() < registerNotFavorite
		p := pair{u, ei}
		if !isReg {
			p.u = -u - 1 // favorites and registrations are separate sets
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		e := &in.evs[ei]
		// Within the month before it starts, as people register.
		viewed := g.visit(e, 30*24*time.Hour)
		acted := g.after(viewed, e, 20*time.Minute)
		if !isReg {
			favs = append(favs, events.ImportFavorite{UserID: ids[u], EventID: e.id, CreatedAt: acted})
			drafts = append(drafts, newDraft(acted, ids[u], ei, typeFavorite))
		} else {
			status := "confirmed"
			if confirmed[ei] >= e.capacity {
				if e.status == 1 {
					continue // a past event's waitlist is gone
				}
				status = "waitlisted"
			} else {
				confirmed[ei]++
			}
			var checkedIn time.Time
			if e.status == 1 && status == "confirmed" && g.rng.Float64() < 0.7 {
				checkedIn = e.start.Add(-time.Duration(g.rng.IntN(30)) * time.Minute)
			}
			regs = append(regs, events.ImportRegistration{EventID: e.id, UserID: ids[u], Status: status, CreatedAt: acted, CheckedInAt: checkedIn})
			drafts = append(drafts, newDraft(acted, ids[u], ei, typeRegister))
			if fav := (pair{-u - 1, ei}); g.rng.Float64() < alsoFavorite && !seen[fav] {
				seen[fav] = true
				at := g.after(acted, e, 5*time.Minute)
				favs = append(favs, events.ImportFavorite{UserID: ids[u], EventID: e.id, CreatedAt: at})
				drafts = append(drafts, newDraft(at, ids[u], ei, typeFavorite))
			}
		}
		drafts = append(drafts, newDraft(viewed, ids[u], ei, typeView))
	}
	return regs, favs, drafts
}

// browse appends n interactions of journeys without an action to drafts: a view, now and
// then a click or a share after it, by users and by visitors not signed in.
func (g *gen) browse(in *interest, users *weighted, accounts []account, ids []int64, n int, drafts []draft) []draft {
	sessions := max(2*len(accounts), 100) // visitors not signed in
	salt := g.rng.Uint64()
	journey := []struct {
		typ    uint8
		chance float64
	}{{typeView, 1}, {typeClick, clickAfterView}, {typeShare, shareAfterView}}
	for n > 0 {
		var (
			ei      int
			ok      bool
			user    int64
			session = -1
		)
		if g.rng.Float64() < anonymousJourneys {
			session = g.rng.IntN(sessions)
			ei, ok = in.pick(g, nil, g.cityPick.pick(g.rng))
		} else {
			u := users.pick(g.rng)
			user = ids[u]
			ei, ok = in.pick(g, accounts[u].tastes, accounts[u].city)
		}
		if !ok {
			return drafts // no event anyone can see
		}
		e := &in.evs[ei]
		viewed := g.visit(e, 60*24*time.Hour)
		for _, step := range journey {
			if n == 0 || g.rng.Float64() >= step.chance {
				continue
			}
			at, visitor := viewed, user
			if step.typ != typeView {
				at = g.after(viewed, e, 5*time.Minute)
			}
			if session >= 0 {
				visitor = anonymousVisitor(salt, session, at)
			}
			drafts = append(drafts, newDraft(at, visitor, ei, step.typ))
			n--
		}
	}
	return drafts
}

// anonymousVisitor is how analytics numbers a visitor not signed in: a negative hash of
// their session, a new one each UTC day.
func anonymousVisitor(salt uint64, session int, at time.Time) int64 {
	day := uint64(at.Unix() / 86400)
	h := mix64(salt ^ uint64(session)*0x9e3779b97f4a7c15 ^ day*0xbf58476d1ce4e5b9)
	return -int64(h>>1) - 1
}

// mix64 is SplitMix64's finalizer: every bit of x moves about half of the result's.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// visit draws when a visitor looked at e: within lookback before it starts (or before now,
// for one under way or ahead), after it was published and within the history; an hour or
// more before the end of that span when there is that much room; seldom at night in the
// event's city.
func (g *gen) visit(e *genEvent, lookback time.Duration) time.Time {
	last := g.until(e)
	room := min(last.Sub(e.published), lookback, last.Sub(g.now.Add(-history)))
	if room <= time.Hour {
		return last.Add(-room / 2).Truncate(time.Millisecond)
	}
	var at time.Time
	for range 3 {
		at = last.Add(-time.Hour - time.Duration(g.rng.Int64N(int64(room-time.Hour))))
		if h := at.In(g.zones[e.city]).Hour(); h >= 7 || g.rng.Float64() < 0.3 {
			break
		}
	}
	return at.Truncate(time.Millisecond)
}

// after draws a moment up to d after at, before e starts and before now.
func (g *gen) after(at time.Time, e *genEvent, d time.Duration) time.Time {
	d = min(d, g.until(e).Sub(at)/2)
	if d <= time.Second {
		return at
	}
	return at.Add(time.Second + time.Duration(g.rng.Int64N(int64(d-time.Second)))).Truncate(time.Millisecond)
}

// until is when interest in e ends: when it starts, or now.
func (g *gen) until(e *genEvent) time.Time {
	if g.now.Before(e.start) {
		return g.now
	}
	return e.start
}

// interest picks the events visitors look at: of a category, in a city when it has some,
// popular events more often. Only published and completed events are seen.
type interest struct {
	evs       []genEvent
	byCat     map[uint8][]int
	byCatCity map[catCity][]int
	all       []int
	pickers   map[any]*weighted
}

type catCity struct{ cat, city uint8 }

func newInterest(evs []genEvent) *interest {
	in := &interest{evs: evs, byCat: map[uint8][]int{}, byCatCity: map[catCity][]int{}, pickers: map[any]*weighted{}}
	for i, e := range evs {
		if e.status <= 1 {
			in.byCat[e.cat] = append(in.byCat[e.cat], i)
			in.byCatCity[catCity{e.cat, e.city}] = append(in.byCatCity[catCity{e.cat, e.city}], i)
			in.all = append(in.all, i)
		}
	}
	return in
}

// pick returns the index of an event for a visitor in city: of a category they like
// (tastes) most of the time, else of any, often in their city. It reports false when
// there is no event to see.
func (in *interest) pick(g *gen, tastes []int, city int) (int, bool) {
	cat := uint8(g.catPick.pick(g.rng))
	if len(tastes) > 0 && g.rng.Float64() < 0.8 {
		cat = uint8(tastes[skewed(g.rng, len(tastes))])
	}
	var k any = cat
	idx := in.byCat[cat]
	if g.rng.Float64() < 0.6 {
		if local := (catCity{cat, uint8(city)}); len(in.byCatCity[local]) > 0 {
			idx, k = in.byCatCity[local], local
		}
	}
	if len(idx) == 0 {
		idx, k = in.all, "all" // none of the category: any event
	}
	if len(idx) == 0 {
		return 0, false
	}
	w, ok := in.pickers[k]
	if !ok {
		ws := make([]float64, len(idx))
		for j, i := range idx {
			ws[j] = float64(in.evs[i].weight)
		}
		w = newWeighted(ws)
		in.pickers[k] = w
	}
	return idx[w.pick(g.rng)], true
}

// fixWaitlists re-assigns statuses after sorting by time: per event, the first capacity
// registrations are confirmed and the rest waitlisted.
func fixWaitlists(regs []events.ImportRegistration, evs []genEvent) {
	capOf := make(map[int64]int32, len(evs))
	past := make(map[int64]bool)
	for _, e := range evs {
		capOf[e.id] = e.capacity
		past[e.id] = e.status == 1
	}
	count := map[int64]int32{}
	for i := range regs {
		r := &regs[i]
		if count[r.EventID] < capOf[r.EventID] || past[r.EventID] {
			r.Status = "confirmed"
			count[r.EventID]++
		} else {
			r.Status = "waitlisted"
			r.CheckedInAt = time.Time{}
		}
	}
}

// importChunk is how many records go to analytics.Import at once: as many as it writes in
// one transaction.
const importChunk = 50_000

// importer writes analytics records through analytics.Import, a chunk at a time, while
// the next chunks are made.
type importer struct {
	buf     []analytics.Record
	chunks  chan []analytics.Record
	done    chan struct{} // closed when the writers have returned; then written and err are final
	mu      sync.Mutex
	written int
	err     error
}

// importWriters is how many chunks are written at once: PostgreSQL's work on one (the
// COPY, the rollups, the commit) overlaps another's.
const importWriters = 2

func startImport(ctx context.Context, db *pgxpool.Pool, bar *progress) *importer {
	im := &importer{buf: make([]analytics.Record, 0, importChunk), chunks: make(chan []analytics.Record, importWriters),
		done: make(chan struct{})}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range importWriters {
		wg.Go(func() {
			for chunk := range im.chunks {
				n, err := analytics.Import(ctx, db, chunk)
				im.mu.Lock()
				im.written += n
				bar.Add(n)
				if err != nil && im.err == nil {
					im.err = err
					cancel()
				}
				im.mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		cancel()
		close(im.done)
	}()
	return im
}

// add queues r; it returns the error that stopped the writing, if it stopped.
func (im *importer) add(r analytics.Record) error {
	im.buf = append(im.buf, r)
	if len(im.buf) < importChunk {
		return nil
	}
	return im.flush()
}

func (im *importer) flush() error {
	if len(im.buf) == 0 {
		return nil
	}
	select {
	case im.chunks <- im.buf:
	case <-im.done:
		return im.err
	}
	im.buf = make([]analytics.Record, 0, importChunk)
	return nil
}

// close writes what is queued, waits for the writing to end and returns how many records
// were written.
func (im *importer) close() (int, error) {
	err := im.flush()
	close(im.chunks)
	<-im.done
	if err == nil {
		err = im.err
	}
	return im.written, err
}
