package engine

import (
	"math"
	"slices"
	"strings"

	"github.com/events-platform/events-platform/internal/english"
)

// Suggestion is one autocomplete entry: a title, category or city of indexed events, and
// how many of them use it.
type Suggestion struct {
	Text   string
	Kind   string // title, category or city
	Events int
}

// kinds of suggestion, in the order of doc.phrases.
var kinds = [3]string{"title", "category", "city"}

const noPhrase = math.MaxUint32

// suggestions are the titles, categories and cities of the indexed events with how many
// use each, sorted by their lower-case text so that those starting with a prefix are one
// range. Each is kept as first written.
type suggestions struct {
	list    []phrase
	byKey   map[phraseKey]uint32
	sorted  []uint32 // numbers of list, by lower
	pending []uint32 // added since the last sort
}

type phrase struct {
	kind   uint8
	text   string
	lower  string
	events int
}

type phraseKey struct {
	kind  uint8
	lower string
}

func newSuggestions() suggestions { return suggestions{byKey: map[phraseKey]uint32{}} }

// add counts d's title, category and city, and returns their numbers.
func (s *suggestions) add(d Doc) [3]uint32 {
	var out [3]uint32
	for k, text := range [3]string{d.Title, d.Category, d.City} {
		text = strings.TrimSpace(text)
		if text == "" {
			out[k] = noPhrase
			continue
		}
		key := phraseKey{uint8(k), strings.ToLower(text)}
		n, ok := s.byKey[key]
		if !ok {
			n = uint32(len(s.list))
			s.list = append(s.list, phrase{kind: key.kind, text: text, lower: key.lower})
			s.byKey[key] = n
			s.pending = append(s.pending, n)
		}
		s.list[n].events++
		out[k] = n
	}
	return out
}

// drop uncounts a removed document's phrases; a phrase no event uses any more is no
// longer suggested.
func (s *suggestions) drop(ps [3]uint32) {
	for _, n := range ps {
		if n != noPhrase {
			s.list[n].events--
		}
	}
}

func (s *suggestions) less(a, b uint32) int {
	return strings.Compare(s.list[a].lower, s.list[b].lower)
}

// sort orders every phrase (after a build).
func (s *suggestions) sort() {
	s.sorted = append(s.sorted, s.pending...)
	s.pending = nil
	slices.SortFunc(s.sorted, s.less)
}

// sortNew places the phrases added since the last sort (after a Put).
func (s *suggestions) sortNew() {
	for _, n := range s.pending {
		i, _ := slices.BinarySearchFunc(s.sorted, n, s.less)
		s.sorted = slices.Insert(s.sorted, i, n)
	}
	s.pending = nil
}

// starting returns up to limit phrases that start with prefix (lower case), those of the
// most events first, then alphabetically.
func (s *suggestions) starting(prefix string, limit int) []Suggestion {
	i, _ := slices.BinarySearchFunc(s.sorted, prefix, func(n uint32, p string) int { return strings.Compare(s.list[n].lower, p) })
	var top []uint32
	for ; i < len(s.sorted) && strings.HasPrefix(s.list[s.sorted[i]].lower, prefix); i++ {
		n := s.sorted[i]
		if s.list[n].events <= 0 {
			continue
		}
		j, _ := slices.BinarySearchFunc(top, n, func(a, b uint32) int {
			pa, pb := s.list[a], s.list[b]
			if pa.events != pb.events {
				return pb.events - pa.events
			}
			return strings.Compare(pa.lower, pb.lower)
		})
		if j < limit {
			top = slices.Insert(top, j, n)
			if len(top) > limit {
				top = top[:limit]
			}
		}
	}
	out := make([]Suggestion, len(top))
	for i, n := range top {
		p := s.list[n]
		out[i] = Suggestion{Text: p.text, Kind: kinds[p.kind], Events: p.events}
	}
	return out
}

func (s *suggestions) memoryBytes() uint64 {
	var n uint64
	for _, p := range s.list {
		n += uint64(len(p.text)+len(p.lower))*2 + 64
	}
	return n + uint64(len(s.sorted))*4
}

// Suggest returns up to limit titles, categories and cities that start with q (any case),
// those of the most events first. When fewer than limit do, q's words that no event uses
// are taken for typos and corrected to the nearest ones some event does, and the phrases
// starting with the corrected text follow. Searching for a suggestion finds its events:
// they hold each of its words.
func (ix *Index) Suggest(q string, limit int) []Suggestion {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	q = strings.ToLower(strings.TrimSpace(q))
	out := ix.suggest.starting(q, limit)
	if len(out) >= limit {
		return out
	}
	ws := english.Words(q)
	changed := false
	for i, w := range ws {
		last := i == len(ws)-1
		if ix.hasWord(w) || last && len(ix.withPrefix(w, 1)) > 0 {
			continue
		}
		c := ix.nearestWord(w)
		if c == "" && last {
			c = ix.nearestPrefix(w)
		}
		if c != "" {
			ws[i], changed = c, true
		}
	}
	if !changed {
		return out
	}
	fixed := strings.Join(ws, " ")
	for _, sg := range ix.suggest.starting(fixed, limit) {
		if len(out) < limit && !slices.Contains(out, sg) {
			out = append(out, sg)
		}
	}
	return out
}
