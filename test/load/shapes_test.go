package main

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Every shape makes queries the API accepts and the obvious search can translate, each
// unique, and the catalogue's names are distinct.
func TestShapes(t *testing.T) {
	qs := newQuerySource(1)
	seen := map[string]bool{}
	names := map[string]bool{}
	for i := range shapes {
		s := &shapes[i]
		if names[s.name] {
			t.Errorf("two shapes named %s", s.name)
		}
		names[s.name] = true
		for range 200 {
			v := qs.next(s)
			key := v.Encode()
			if seen[key] {
				t.Fatalf("%s: query %s twice", s.name, key)
			}
			seen[key] = true
			if !utf8.ValidString(v.Get("q")) || len(v.Get("q")) > 200 {
				t.Errorf("%s: q %q", s.name, v.Get("q"))
			}
			if _, err := time.Parse(time.RFC3339, v.Get("from")); err != nil {
				t.Errorf("%s: from %q", s.name, v.Get("from"))
			}
			if v.Has("radius_km") != v.Has("lat") && v.Get("sort") != "distance" {
				t.Errorf("%s: radius without centre: %s", s.name, key)
			}
			o, err := obviousSQL(s, v)
			if err != nil {
				t.Fatalf("%s: %s: %v", s.name, key, err)
			}
			if !strings.Contains(o.page, "LIMIT 21") || !strings.Contains(o.facets, "GROUP BY e.category") {
				t.Errorf("%s: %s", s.name, o.page)
			}
		}
	}
	if len(shapes) < 20 || len(shapes) > 26 {
		t.Errorf("%d shapes", len(shapes))
	}
}
