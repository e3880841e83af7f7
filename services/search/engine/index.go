// Package engine is search's in-memory index of the published, public events: an inverted
// index of their words by field (title; tags, category and city; description) as roaring
// bitmaps of document numbers, with the filters users combine (category, dates, price,
// place) as bitmaps too, so that every shape of query is a few bitmap operations and a walk
// in date order, whatever words and filters it combines.
//
// Documents are numbered in start order when the index is built, so a bitmap walked in
// order yields events soonest first and a date window is a range of numbers. Events added
// or changed later are appended (the delta) and an event's older number is dropped from
// the live set; Build again (from PostgreSQL) to renumber.
package engine

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/events-platform/events-platform/internal/english"
)

// Doc is what the index keeps of one event.
type Doc struct {
	ID          int64
	Title       string
	Tags        []string
	Category    string
	City        string
	Description string
	StartsAt    time.Time
	Price       float64
	Lat, Lng    *float64
}

// Fields, in the order relevance ranks them.
const (
	fieldTitle = iota // the title
	fieldHead         // tags, category and city
	fieldBody         // the description
	nFields
)

// doc is what a document's number stands for; its price and place are kept apart
// (Index.prices and Index.places), so that a filter testing every match reads only those.
type doc struct {
	id      int64
	starts  int64     // Unix seconds
	hash    uint64    // of everything the index holds of it: a Put that changes nothing is skipped
	phrases [3]uint32 // its title, category and city among the suggestions (noPhrase: none)
}

// Index is safe for concurrent use: searches share a read lock, changes take the write lock.
type Index struct {
	mu    sync.RWMutex
	docs  []doc
	base  uint32 // docs[:base] are in start order
	live  *roaring.Bitmap
	byID  map[int64]uint32
	terms map[string]uint32 // stem → term number
	known map[string]uint32 // word as written → term number: each word is stemmed once
	// postings[f][t]: the documents whose field f holds term t.
	postings [nFields][]*roaring.Bitmap
	// surface: every word as written (lower case), sorted, with its term: prefixes and
	// typos are looked up here.
	surface []surfaceWord
	cats    map[string]*roaring.Bitmap // by category, lower case
	// catOf is each document's category as a number in catNames (0: none), to count
	// the categories of few matches one by one.
	catOf    []uint16
	catNames []string
	catNums  map[string]uint16
	cities   map[string]*roaring.Bitmap // by city, lower case
	suggest  suggestions
	free     *roaring.Bitmap
	prices   []float64                        // by document number
	bands    [len(priceBands)]*roaring.Bitmap // bands[i]: price in (priceBands[i-1], priceBands[i]]
	places   []point                          // by document number (the zero point: none)
	placed   *roaring.Bitmap                  // the documents with a place
	cells    map[int64]*roaring.Bitmap        // by cell of cellDegrees
}

// priceBands are the upper bounds of the price bands: a price_max filter takes the bands
// below it whole and tests the prices of the band it falls in.
var priceBands = [...]float64{0, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000, math.Inf(1)}

// band returns the band of a price.
func band(price float64) int {
	i, _ := slices.BinarySearch(priceBands[:], price)
	return min(i, len(priceBands)-1)
}

type surfaceWord struct {
	word string
	term uint32
}

// New returns an empty index.
func New() *Index {
	ix := &Index{live: roaring.New(), byID: map[int64]uint32{}, terms: map[string]uint32{}, known: map[string]uint32{},
		cats: map[string]*roaring.Bitmap{}, cities: map[string]*roaring.Bitmap{}, free: roaring.New(), placed: roaring.New(),
		catNames: []string{""}, catNums: map[string]uint16{"": 0},
		cells: map[int64]*roaring.Bitmap{}, suggest: newSuggestions()}
	for i := range ix.bands {
		ix.bands[i] = roaring.New()
	}
	return ix
}

// Build returns an index of docs, numbered in start order.
func Build(docs []Doc) *Index {
	docs = slices.Clone(docs)
	slices.SortStableFunc(docs, func(a, b Doc) int {
		if c := a.StartsAt.Compare(b.StartsAt); c != 0 {
			return c
		}
		return cmpInt(a.ID, b.ID)
	})
	ix := New()
	for _, d := range docs {
		ix.add(d)
	}
	ix.base = uint32(len(ix.docs))
	ix.suggest.sort()
	for f := range ix.postings {
		for _, b := range ix.postings[f] {
			b.RunOptimize()
		}
	}
	return ix
}

// hash is a digest of everything the index holds of d.
func (d Doc) hash() uint64 {
	h := fnv.New64a()
	for _, s := range append([]string{d.Title, d.Category, d.City, d.Description}, d.Tags...) {
		_, _ = h.Write([]byte(s))
		_, _ = h.Write([]byte{0})
	}
	nums := []uint64{uint64(d.StartsAt.Unix()), math.Float64bits(d.Price)}
	if d.Lat != nil && d.Lng != nil {
		nums = append(nums, math.Float64bits(*d.Lat), math.Float64bits(*d.Lng))
	}
	for _, v := range nums {
		_, _ = h.Write(binary.LittleEndian.AppendUint64(nil, v))
	}
	return h.Sum64()
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Put adds the event, or replaces what the index holds of it. An event put again unchanged
// (its registrations changed, say) keeps its place.
func (ix *Index) Put(d Doc) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if n, ok := ix.byID[d.ID]; ok && ix.docs[n].hash == d.hash() {
		return
	}
	ix.remove(d.ID)
	ix.add(d)
	ix.suggest.sortNew()
}

// Remove drops the event (unpublished, made private, deleted); an unknown id is no error.
func (ix *Index) Remove(id int64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(id)
}

func (ix *Index) remove(id int64) {
	if n, ok := ix.byID[id]; ok {
		ix.live.Remove(n)
		delete(ix.byID, id)
		ix.suggest.drop(ix.docs[n].phrases)
	}
}

// Delta is how many documents were added after the index was built: they are walked less
// cheaply than the numbered ones, and the numbers of the events they replaced stay taken
// until the index is built again.
func (ix *Index) Delta() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.docs) - int(ix.base)
}

// Len is how many events the index holds.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byID)
}

func (ix *Index) add(d Doc) {
	n := uint32(len(ix.docs))
	ix.docs = append(ix.docs, doc{id: d.ID, starts: d.StartsAt.Unix(), hash: d.hash(), phrases: ix.suggest.add(d)})
	ix.prices = append(ix.prices, d.Price)
	var at point
	if d.Lat != nil && d.Lng != nil {
		at = pointOf(*d.Lat, *d.Lng)
		ix.placed.Add(n)
		cellBitmap(ix.cells, cellOf(*d.Lat, *d.Lng)).Add(n)
	}
	ix.places = append(ix.places, at)
	ix.live.Add(n)
	ix.byID[d.ID] = n
	ix.index(fieldTitle, n, d.Title)
	ix.index(fieldHead, n, strings.Join(d.Tags, " ")+" "+d.Category+" "+d.City)
	ix.index(fieldBody, n, d.Description)
	cat := strings.ToLower(d.Category)
	if cat != "" {
		cellBitmap(ix.cats, cat).Add(n)
	}
	c, ok := ix.catNums[cat]
	if !ok && len(ix.catNames) <= math.MaxUint16 {
		c = uint16(len(ix.catNames))
		ix.catNums[cat] = c
		ix.catNames = append(ix.catNames, cat)
	}
	ix.catOf = append(ix.catOf, c)
	if d.City != "" {
		cellBitmap(ix.cities, strings.ToLower(d.City)).Add(n)
	}
	if d.Price == 0 {
		ix.free.Add(n)
	}
	ix.bands[band(d.Price)].Add(n)
}

func cellBitmap[K comparable](m map[K]*roaring.Bitmap, k K) *roaring.Bitmap {
	b, ok := m[k]
	if !ok {
		b = roaring.New()
		m[k] = b
	}
	return b
}

func (ix *Index) index(f int, n uint32, text string) {
	for _, w := range english.Words(text) {
		t := ix.term(w)
		ix.postings[f][t].Add(n)
	}
}

// term returns the number of w's stem, adding it and w's surface form when new.
func (ix *Index) term(w string) uint32 {
	if t, ok := ix.known[w]; ok {
		return t
	}
	s := english.Stem(w)
	t, ok := ix.terms[s]
	if !ok {
		t = uint32(len(ix.terms))
		ix.terms[s] = t
		for f := range ix.postings {
			ix.postings[f] = append(ix.postings[f], roaring.New())
		}
	}
	i, found := slices.BinarySearchFunc(ix.surface, w, func(e surfaceWord, w string) int { return strings.Compare(e.word, w) })
	if !found {
		ix.surface = slices.Insert(ix.surface, i, surfaceWord{word: w, term: t})
	}
	ix.known[w] = t
	return t
}

// withPrefix returns the terms of the words that start with p, at most limit of them, those
// of the most documents first.
func (ix *Index) withPrefix(p string, limit int) []uint32 {
	i, _ := slices.BinarySearchFunc(ix.surface, p, func(e surfaceWord, w string) int { return strings.Compare(e.word, w) })
	seen := map[uint32]bool{}
	var out []uint32
	for ; i < len(ix.surface) && strings.HasPrefix(ix.surface[i].word, p); i++ {
		if t := ix.surface[i].term; !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	if len(out) > limit {
		sort.Slice(out, func(a, b int) bool { return ix.docCount(out[a]) > ix.docCount(out[b]) })
		out = out[:limit]
	}
	return out
}

func (ix *Index) docCount(t uint32) uint64 {
	var n uint64
	for f := range ix.postings {
		n += ix.postings[f][t].GetCardinality()
	}
	return n
}

// MemoryBytes estimates the index's size: bitmaps, documents and words.
func (ix *Index) MemoryBytes() uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := uint64(len(ix.docs))*(40+8+24+2) + uint64(len(ix.byID))*24 + ix.live.GetSizeInBytes() + ix.free.GetSizeInBytes() + ix.placed.GetSizeInBytes()
	for f := range ix.postings {
		for _, b := range ix.postings[f] {
			n += b.GetSizeInBytes() + 8
		}
	}
	for _, m := range []map[int64]*roaring.Bitmap{ix.cells} {
		for _, b := range m {
			n += b.GetSizeInBytes() + 16
		}
	}
	for _, m := range []map[string]*roaring.Bitmap{ix.cats, ix.cities} {
		for k, b := range m {
			n += b.GetSizeInBytes() + uint64(len(k))
		}
	}
	n += ix.suggest.memoryBytes()
	for _, s := range ix.surface {
		n += 2*uint64(len(s.word)) + 64 // the sorted list and the map
	}
	return n + uint64(len(ix.terms))*40
}
