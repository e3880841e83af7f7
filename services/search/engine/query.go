package engine

import (
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/events-platform/events-platform/internal/english"
)

// Query is one search: words and filters, a sort, and where the page starts.
type Query struct {
	Q        string
	Category string
	City     string
	From, To time.Time // To zero: no end
	PriceMax *float64
	Free     bool
	Lat, Lng *float64
	RadiusKm float64
	Sort     string // relevance (default with words), date, distance
	After    *Cursor
	Limit    int
}

// Cursor is where a page ends: its last hit's tier, start and id, or, by distance, its
// distance and id.
type Cursor struct {
	Tier   int
	Starts int64
	Km     float64
	ID     int64
}

// Hit is one event found.
type Hit struct {
	ID int64
	// Tier orders relevance, best first: the events of a category or city the words name
	// (0 to 5), then the others (6 to 11); within each, every word in the title as
	// written, then with the last as a prefix, the same within title, tags, category and
	// city, then anywhere. Within a tier the sooner event comes first.
	Tier       int
	Starts     int64
	DistanceKm *float64
}

// Facet is a value and how many matches carry it.
type Facet struct {
	Value string
	Count int
}

// Result is a page of hits and, counted exactly over every match, the total and facets.
type Result struct {
	Hits      []Hit
	Total     int
	Match     string // fulltext, prefix, fuzzy or filters
	Corrected string // the query searched, when typos were corrected
	Category  []Facet
	Dates     []Facet // next_7_days, next_30_days, next_90_days, later
	// Marks are the stems of the words that matched (as typed, as prefixes, corrected), to
	// highlight them.
	Marks Marks
}

// maxExpansions bounds the words a prefix or a typo stands for, the most used first.
const maxExpansions = 64

// Search runs q at now.
func (ix *Index) Search(q Query, now time.Time) Result {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if q.Limit <= 0 {
		q.Limit = 20
	}
	from := now
	if q.From.After(from) {
		from = q.From
	}
	filter, exact := ix.filter(q, from)
	res := Result{Match: "filters"}
	pq := parse(q.Q)
	var tiers []*roaring.Bitmap
	if len(pq.alts) == 0 {
		tiers = []*roaring.Bitmap{ix.without(filter, pq.excluded)}
	} else {
		tiers, res.Match, res.Corrected, res.Marks = ix.matchWords(q.Q, pq, ix.without(filter, pq.excluded))
		tiers = ix.boost(tiers, pq)
	}
	if exact != nil {
		for i, t := range tiers {
			tiers[i] = ix.keep(t, exact)
		}
	}
	all := roaring.FastOr(tiers...)
	res.Total = int(all.GetCardinality())
	res.Category, res.Dates = ix.facets(all, now)
	switch {
	case q.Sort == "distance" && q.Lat != nil:
		res.Hits = ix.nearest(all, *q.Lat, *q.Lng, q.Limit, q.After)
	case q.Sort == "date" || len(pq.alts) == 0:
		res.Hits = ix.soonest([]*roaring.Bitmap{all}, q.After, q.Limit)
	default:
		res.Hits = ix.soonest(tiers, q.After, q.Limit)
	}
	if q.Lat != nil {
		p := pointOf(*q.Lat, *q.Lng)
		for i := range res.Hits {
			if res.Hits[i].DistanceKm != nil {
				continue // measured already
			}
			km := kmOfChord2(p.chord2(ix.places[ix.byID[res.Hits[i].ID]]))
			res.Hits[i].DistanceKm = &km
		}
	}
	return res
}

// parsed is a query as people write it (PostgreSQL's websearch syntax): alternatives
// separated by "or", each words that must all match; "-word" excludes a word; a "quoted
// phrase" stands for its words (they must all match; their order is not checked).
type parsed struct {
	alts     [][]string
	excluded []string
	// typing: the last word of the last alternative may be unfinished (it is not quoted
	// and no space follows it), so it matches as a prefix too.
	typing bool
}

func parse(q string) parsed {
	var p parsed
	var cur []string
	end := func() {
		if len(cur) > 0 {
			p.alts = append(p.alts, withoutStopWords(cur))
			cur = nil
		}
	}
	rest := q
	for {
		rest = strings.TrimLeft(rest, " \t\n")
		if rest == "" {
			break
		}
		p.typing = false
		switch {
		case rest[0] == '"':
			phrase, after, _ := strings.Cut(rest[1:], `"`)
			cur, rest = append(cur, english.Words(phrase)...), after
			continue
		}
		tok, after, found := strings.Cut(rest, " ")
		rest = after
		switch {
		case strings.HasPrefix(tok, "-") && len(tok) > 1:
			p.excluded = append(p.excluded, english.Words(tok[1:])...)
		case strings.EqualFold(tok, "or"):
			end()
		default:
			ws := english.Words(tok)
			cur = append(cur, ws...)
			p.typing = !found && len(ws) > 0 && !strings.ContainsAny(q[len(q)-1:], " \t\n")
		}
	}
	end()
	return p
}

// withoutStopWords drops stop words unless nothing else is left.
func withoutStopWords(ws []string) []string {
	var out []string
	for _, w := range ws {
		if !english.IsStopWord(w) {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return ws
	}
	return out
}

// without returns the documents of b that hold none of the words, in any field.
func (ix *Index) without(b *roaring.Bitmap, excluded []string) *roaring.Bitmap {
	for _, w := range excluded {
		if t, ok := ix.terms[english.Stem(w)]; ok {
			b = b.Clone()
			for f := range nFields {
				b.AndNot(ix.postings[f][t])
			}
		}
	}
	return b
}

// filter is the live documents the filters of q let through, from from on, as bitmaps
// narrow them; exact, when not nil, is the test each document of the result must pass too
// (the distance within the cells a circle touches), left to the caller so that it is made
// only on the documents the words match.
func (ix *Index) filter(q Query, from time.Time) (f *roaring.Bitmap, exact func(n uint32) bool) {
	f = ix.startsBetween(from.Unix(), q.To)
	f.And(ix.live)
	for _, by := range []struct {
		value string
		of    map[string]*roaring.Bitmap
	}{{q.Category, ix.cats}, {q.City, ix.cities}} {
		if by.value == "" {
			continue
		}
		b, ok := by.of[strings.ToLower(strings.TrimSpace(by.value))]
		if !ok {
			return roaring.New(), nil
		}
		f.And(b)
	}
	if q.Free {
		f.And(ix.free)
	} else if q.PriceMax != nil {
		max := *q.PriceMax
		b := band(max)
		cheaper := roaring.FastOr(ix.bands[:b]...)
		if max >= priceBands[b] {
			cheaper.Or(ix.bands[b]) // the band's every price
		} else {
			cheaper.Or(ix.keep(roaring.And(f, ix.bands[b]), func(n uint32) bool { return ix.prices[n] <= max }))
		}
		f.And(cheaper)
	}
	if q.Lat != nil {
		// Distances need a place: only placed events, and within a radius, those in the
		// cells its circle touches, each then tested.
		lat, lng, r := *q.Lat, *q.Lng, q.RadiusKm
		cells := ix.placed
		if r > 0 {
			if c := ix.cover(lat, lng, r); c != nil {
				cells = c
			}
			exact = ix.within(pointOf(lat, lng), r)
		}
		f.And(cells)
	}
	return f, exact
}

// startsBetween returns the documents that start at or after from and, unless to is zero,
// before to: a range of the numbered base and a test of each later addition.
func (ix *Index) startsBetween(from int64, to time.Time) *roaring.Bitmap {
	end := int64(math.MaxInt64)
	if !to.IsZero() {
		end = to.Unix()
	}
	lo := sort.Search(int(ix.base), func(i int) bool { return ix.docs[i].starts >= from })
	hi := sort.Search(int(ix.base), func(i int) bool { return ix.docs[i].starts >= end })
	b := roaring.New()
	if lo < hi {
		b.AddRange(uint64(lo), uint64(hi))
	}
	for n := int(ix.base); n < len(ix.docs); n++ {
		if s := ix.docs[n].starts; s >= from && s < end {
			b.Add(uint32(n))
		}
	}
	return b
}

// keep returns the documents of b that pass ok.
func (ix *Index) keep(b *roaring.Bitmap, ok func(n uint32) bool) *roaring.Bitmap {
	var kept []uint32
	it := b.ManyIterator()
	buf := make([]uint32, 256)
	for n := it.NextMany(buf); n > 0; n = it.NextMany(buf) {
		for _, m := range buf[:n] {
			if ok(m) {
				kept = append(kept, m)
			}
		}
	}
	out := roaring.New()
	out.AddMany(kept)
	return out
}

// wordMatch is one query word's documents in the fields up to each field, exactly and as
// a prefix (or typo) too.
type wordMatch struct {
	exact, loose [nFields]*roaring.Bitmap
}

// matchWords returns the relevance tiers of the documents of filter that hold every word of
// one of the alternatives: exact words first, then the word being typed (or, when that
// finds nothing, every word) as a prefix, then, when neither finds anything, words no event
// uses corrected to the nearest ones that some do. With them come how the words matched
// and the words to highlight.
func (ix *Index) matchWords(q string, p parsed, filter *roaring.Bitmap) (tiers []*roaring.Bitmap, match, corrected string, marks Marks) {
	last := len(p.alts) - 1
	typed := func(a, i int) bool { return p.typing && a == last && i == len(p.alts[a])-1 }
	marks = marksOf(p.alts, nil)
	if p.typing {
		marks.prefixes = p.alts[last][len(p.alts[last])-1:]
	}
	tiers = ix.altTiers(p.alts, typed, filter)
	if !empty(tiers) {
		if tiers[0].IsEmpty() && tiers[2].IsEmpty() && tiers[4].IsEmpty() {
			return tiers, "prefix", "", marks // only as a prefix of longer words
		}
		return tiers, "fulltext", "", marks
	}
	if tiers = ix.altTiers(p.alts, func(int, int) bool { return true }, filter); !empty(tiers) {
		return tiers, "prefix", "", marksOf(p.alts, slices.Concat(p.alts...))
	}
	fixed := make([][]string, len(p.alts))
	fixes := map[string]string{}
	for a, alt := range p.alts {
		fixed[a] = slices.Clone(alt)
		for i, w := range alt {
			if ix.hasWord(w) || len(ix.withPrefix(w, 1)) > 0 {
				continue
			}
			c := ix.nearestWord(w)
			if c == "" && typed(a, i) {
				c = ix.nearestPrefix(w) // a typo in a word not yet finished
			}
			if c != "" {
				fixed[a][i], fixes[w] = c, c
			}
		}
	}
	if len(fixes) == 0 {
		return nil, "fulltext", "", marks
	}
	tiers = ix.altTiers(fixed, typed, filter)
	marks = marksOf(fixed, nil)
	if p.typing {
		marks.prefixes = fixed[last][len(fixed[last])-1:]
	}
	return tiers, "fuzzy", rewrite(q, fixes), marks
}

// rewrite returns q with the words fixes names replaced, the rest as written.
func rewrite(q string, fixes map[string]string) string {
	var b strings.Builder
	at := 0
	for _, sp := range spans(q) {
		if fix, ok := fixes[sp.word]; ok {
			b.WriteString(q[at:sp.start])
			b.WriteString(fix)
			at = sp.end
		}
	}
	b.WriteString(q[at:])
	return b.String()
}

// Tiers: a query's matches come in nTiers tiers; each of the six tiers of matchWords is
// split in two, the events of a category or city the words name first.
const nTiers = 12

// boost puts first the events of a category or city that a word of the query names: as
// written, or, for the word being typed, as at most the first half of the name. "berlin
// techno" finds techno events in Berlin before techno events elsewhere that mention
// Berlin, and "tech" finds technology events before techno ones, where "techno" (more than
// half of "technology") finds techno events first.
func (ix *Index) boost(tiers []*roaring.Bitmap, p parsed) []*roaring.Bitmap {
	if tiers == nil {
		return nil
	}
	var named []*roaring.Bitmap
	for a, alt := range p.alts {
		for i, w := range alt {
			typed := p.typing && a == len(p.alts)-1 && i == len(alt)-1
			for _, m := range []map[string]*roaring.Bitmap{ix.cats, ix.cities} {
				for name, b := range m {
					if name == w || typed && len(w) >= 3 && 2*len(w) <= len(name) && strings.HasPrefix(name, w) {
						named = append(named, b)
					}
				}
			}
		}
	}
	out := make([]*roaring.Bitmap, 0, nTiers)
	in := roaring.FastOr(named...)
	for _, t := range tiers {
		out = append(out, roaring.And(t, in))
	}
	for _, t := range tiers {
		out = append(out, roaring.AndNot(t, in))
	}
	return out
}

// altTiers returns the tiers of the alternatives, tier by tier united: a document is in the
// best tier any alternative puts it in.
func (ix *Index) altTiers(alts [][]string, prefixed func(alt, i int) bool, filter *roaring.Bitmap) []*roaring.Bitmap {
	var out []*roaring.Bitmap
	for a, alt := range alts {
		ts := ix.tiers(alt, func(i int) bool { return prefixed(a, i) }, filter)
		if out == nil {
			out = ts
			continue
		}
		for i := range out {
			out[i].Or(ts[i])
		}
	}
	seen := roaring.New()
	for _, t := range out {
		t.AndNot(seen)
		seen.Or(t)
	}
	return out
}

func empty(bs []*roaring.Bitmap) bool {
	for _, b := range bs {
		if !b.IsEmpty() {
			return false
		}
	}
	return true
}

func (ix *Index) hasWord(w string) bool {
	_, ok := ix.terms[english.Stem(w)]
	return ok
}

// tiers returns, for words, the six relevance tiers (see Hit.Tier) within filter, each
// without the documents of the ones before.
func (ix *Index) tiers(qw []string, prefixed func(int) bool, filter *roaring.Bitmap) []*roaring.Bitmap {
	ms := make([]wordMatch, len(qw))
	for i, w := range qw {
		var loose []uint32
		if prefixed(i) {
			loose = ix.withPrefix(w, maxExpansions)
		}
		exact, ok := ix.terms[english.Stem(w)]
		for f := range nFields {
			e := roaring.New()
			if ok {
				e = ix.postings[f][exact]
			}
			l := e
			if len(loose) > 0 {
				bs := []*roaring.Bitmap{e}
				for _, t := range loose {
					bs = append(bs, ix.postings[f][t])
				}
				l = roaring.FastOr(bs...)
			}
			if f > 0 {
				e, l = roaring.Or(ms[i].exact[f-1], e), roaring.Or(ms[i].loose[f-1], l)
			}
			ms[i].exact[f], ms[i].loose[f] = e, l
		}
	}
	// allWithin(of, f, loose): the documents of of where every word is in a field up to
	// f, the rarest word first.
	allWithin := func(of *roaring.Bitmap, f int, loose bool) *roaring.Bitmap {
		bs := make([]*roaring.Bitmap, len(ms))
		for i, m := range ms {
			bs[i] = m.exact[f]
			if loose {
				bs[i] = m.loose[f]
			}
		}
		slices.SortFunc(bs, func(a, b *roaring.Bitmap) int { return cmpInt(int64(a.GetCardinality()), int64(b.GetCardinality())) })
		acc := roaring.And(bs[0], of)
		for _, b := range bs[1:] {
			if acc.IsEmpty() {
				break
			}
			acc.And(b)
		}
		return acc
	}
	// Every tier is within the last, the widest: the others narrow it, not the filter.
	widest := allWithin(filter, nFields-1, true)
	var out []*roaring.Bitmap
	seen := roaring.New()
	for f := range nFields {
		for _, loose := range []bool{false, true} {
			t := widest
			if f < nFields-1 || !loose {
				t = allWithin(widest, f, loose)
			}
			t.AndNot(seen)
			seen.Or(t)
			out = append(out, t)
		}
	}
	return out
}

// nearestWord returns the word within one edit (two for long words) of w that the most
// documents use, or "".
func (ix *Index) nearestWord(w string) string {
	maxEdits := 1
	if len(w) >= 8 {
		maxEdits = 2
	}
	if len(w) < 4 {
		return ""
	}
	best, bestN := "", uint64(0)
	for _, s := range ix.surface {
		if d := len(s.word) - len(w); d > maxEdits || d < -maxEdits {
			continue
		}
		if editDistance(w, s.word, maxEdits) <= maxEdits {
			if n := ix.docCount(s.term); n > bestN {
				best, bestN = s.word, n
			}
		}
	}
	return best
}

// nearestPrefix returns the beginning of a word, within one edit of w, that the most
// documents' words start with, or "": a typo in a word being typed ("confr" for "confe",
// the start of "conference").
func (ix *Index) nearestPrefix(w string) string {
	if len(w) < 4 {
		return ""
	}
	best, bestN := "", uint64(0)
	for _, s := range ix.surface {
		for _, n := range []int{len(w) - 1, len(w), len(w) + 1} {
			if n > len(s.word) {
				continue
			}
			p := s.word[:n]
			if editDistance(w, p, 1) <= 1 {
				if c := ix.docCount(s.term); c > bestN || c == bestN && p < best {
					best, bestN = p, c
				}
				break
			}
		}
	}
	return best
}

// editDistance is the Damerau–Levenshtein (optimal string alignment) distance of a and b,
// or more than limit as soon as it must be.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// soonest returns up to limit hits of the tiers in order, each tier soonest first, after
// the cursor.
func (ix *Index) soonest(tiers []*roaring.Bitmap, after *Cursor, limit int) []Hit {
	var hits []Hit
	for t, b := range tiers {
		if after != nil && t < after.Tier {
			continue
		}
		hits = ix.walk(b, t, after, limit-len(hits), hits)
		if len(hits) >= limit {
			break
		}
	}
	return hits
}

// walk appends the first n hits of one tier: its numbered base in order, merged with its
// later additions sorted.
func (ix *Index) walk(b *roaring.Bitmap, tier int, after *Cursor, n int, hits []Hit) []Hit {
	past := func(d doc) bool {
		return after == nil || tier > after.Tier || d.starts > after.Starts || d.starts == after.Starts && d.id > after.ID
	}
	var delta []uint32
	if !b.IsEmpty() && b.Maximum() >= ix.base {
		it := b.Iterator()
		it.AdvanceIfNeeded(ix.base)
		for it.HasNext() {
			if m := it.Next(); past(ix.docs[m]) {
				delta = append(delta, m)
			}
		}
		slices.SortFunc(delta, func(x, y uint32) int { return ix.order(ix.docs[x], ix.docs[y]) })
	}
	it := b.Iterator()
	if after != nil && tier == after.Tier {
		it.AdvanceIfNeeded(uint32(sort.Search(int(ix.base), func(i int) bool { return ix.docs[i].starts >= after.Starts })))
	}
	taken := 0
	for taken < n {
		var m uint32
		baseOK := it.HasNext() && it.PeekNext() < ix.base
		switch {
		case baseOK && (len(delta) == 0 || ix.order(ix.docs[it.PeekNext()], ix.docs[delta[0]]) < 0):
			m = it.Next()
			if !past(ix.docs[m]) {
				continue
			}
		case len(delta) > 0:
			m, delta = delta[0], delta[1:]
		default:
			return hits
		}
		d := ix.docs[m]
		hits = append(hits, Hit{ID: d.id, Tier: tier, Starts: d.starts})
		taken++
	}
	return hits
}

func (ix *Index) order(a, b doc) int {
	if a.starts != b.starts {
		return cmpInt(a.starts, b.starts)
	}
	return cmpInt(a.id, b.id)
}

// facets counts every match by category and by when it starts.
func (ix *Index) facets(all *roaring.Bitmap, now time.Time) (cats, dates []Facet) {
	total := all.GetCardinality()
	if total*16 < uint64(len(ix.docs)) {
		// Few matches: one by one.
		counts := make([]int, len(ix.catNames))
		it := all.ManyIterator()
		buf := make([]uint32, 256)
		for n := it.NextMany(buf); n > 0; n = it.NextMany(buf) {
			for _, m := range buf[:n] {
				counts[ix.catOf[m]]++
			}
		}
		for c, n := range counts[1:] {
			if n > 0 {
				cats = append(cats, Facet{ix.catNames[c+1], n})
			}
		}
	} else {
		for name, b := range ix.cats {
			if n := int(all.AndCardinality(b)); n > 0 {
				cats = append(cats, Facet{name, n})
			}
		}
	}
	slices.SortFunc(cats, func(a, b Facet) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Value, b.Value)
	})
	day := 24 * time.Hour
	n := ix.countBefore(all, now.Add(7*day).Unix(), now.Add(30*day).Unix(), now.Add(90*day).Unix())
	week, month, quarter := n[0], n[1]-n[0], n[2]-n[1]
	for _, f := range []Facet{{"next_7_days", week}, {"next_30_days", month}, {"next_90_days", quarter}, {"later", int(total) - n[2]}} {
		if f.Count > 0 {
			dates = append(dates, f)
		}
	}
	return cats, dates
}

// countBefore counts the documents of b that start before each of the times, in order: by
// rank over the numbered base, which is in start order, and one by one after it.
func (ix *Index) countBefore(b *roaring.Bitmap, times ...int64) []int {
	n := make([]int, len(times))
	for i, t := range times {
		if at := sort.Search(int(ix.base), func(j int) bool { return ix.docs[j].starts >= t }); at > 0 {
			n[i] = int(b.Rank(uint32(at - 1)))
		}
	}
	if !b.IsEmpty() && b.Maximum() >= ix.base {
		it := b.Iterator()
		it.AdvanceIfNeeded(ix.base)
		for it.HasNext() {
			s := ix.docs[it.Next()].starts
			for i, t := range times {
				if s < t {
					n[i]++
				}
			}
		}
	}
	return n
}
