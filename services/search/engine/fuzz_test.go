package engine

import (
	"testing"
	"unicode/utf8"
)

// FuzzSearchText: any query text is searched without a panic, every hit is a live event
// the index holds, and a page never repeats an event.
func FuzzSearchText(f *testing.F) {
	for _, q := range []string{"tech", "jazz or techno", `"techno night" -berlin`, "-", `"`, "or or", " -go meet ", "kubernets", "ß ǅ İ", "\x00"} {
		f.Add(q)
	}
	ix := Build(fixture())
	f.Fuzz(func(t *testing.T, q string) {
		if !utf8.ValidString(q) {
			return // the service refuses it at the edge
		}
		r := ix.Search(Query{Q: q, Limit: 50}, now)
		seen := map[int64]bool{}
		for _, h := range r.Hits {
			if _, ok := ix.byID[h.ID]; !ok || seen[h.ID] {
				t.Fatalf("%q: hit %d unknown or repeated in %v", q, h.ID, r.Hits)
			}
			seen[h.ID] = true
		}
		if len(r.Hits) > r.Total || r.Total > ix.Len() {
			t.Fatalf("%q: %d hits, total %d, %d events", q, len(r.Hits), r.Total, ix.Len())
		}
	})
}
