package curation

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func scoredIDs(s []Scored) []int64 {
	out := make([]int64, len(s))
	for i, x := range s {
		out[i] = x.ID
	}
	return out
}

// Hand-built histories: an older event with many views, a new one with a burst, a quiet
// one; filters by city and category; decay over simulated time; events leaving.
func TestTrendingRanksBurstsDecaysAndFilters(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	week := now.Add(7 * 24 * time.Hour)
	tr := NewBoard()
	tr.Track(1, "Berlin", "Music", week) // old crowd
	tr.Track(2, "berlin", "tech", week)  // burst now
	tr.Track(3, "Munich", "music", week) // a little, now
	tr.Track(4, "Munich", "music", now.Add(time.Hour))
	for i := range 300 {
		tr.Add(1, WeightView, now.Add(-3*24*time.Hour+time.Duration(i)*time.Minute))
	}
	for i := range 30 {
		tr.Add(2, WeightRegister, now.Add(-time.Duration(i)*time.Minute))
	}
	tr.Add(3, WeightView, now)
	tr.Add(99, WeightRegister, now) // not tracked: not ranked
	tr.Rank(now)
	if got := scoredIDs(tr.Trending("", "", 10)); !slices.Equal(got[:2], []int64{2, 1}) || len(got) != 4 {
		t.Errorf("overall: %v, want the burst (2) before the old crowd (1), 4 events", got)
	}
	if got := scoredIDs(tr.Trending("BERLIN", "", 10)); !slices.Equal(got, []int64{2, 1}) {
		t.Errorf("Berlin: %v, want [2 1]", got)
	}
	if got := scoredIDs(tr.Trending("munich", "Music", 1)); !slices.Equal(got, []int64{4}) {
		t.Errorf("Munich music, 1: %v, want the one starting within the hour (4)", got)
	}
	if got := tr.Trending("Paris", "", 10); len(got) != 0 {
		t.Errorf("Paris: %v, want none", got)
	}
	// Two days on, without new interactions: the burst has cooled, event 4 has started.
	later := now.Add(48 * time.Hour)
	tr.Add(1, WeightRegister*40, later)
	tr.Rank(later)
	if got := scoredIDs(tr.Trending("", "", 10)); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("two days later: %v, want [1 2 3] (4 started)", got)
	}
	tr.Forget(1)
	tr.Rank(later)
	if got := scoredIDs(tr.Trending("", "music", 10)); !slices.Equal(got, []int64{3}) {
		t.Errorf("after forgetting 1: music %v, want [3]", got)
	}
}

// Featured: the editors' picks in their order while they may be shown, then the best by
// quality (the hotter first among equals), by city.
func TestFeaturedPutsPicksFirstThenQuality(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	week := now.Add(7 * 24 * time.Hour)
	b := NewBoard()
	for id, q := range map[int64]float64{1: 0.4, 2: 0.9, 3: 0.9, 4: 1, 5: 0.2} {
		city := "Berlin"
		if id == 4 {
			city = "Munich"
		}
		b.Track(id, city, "music", week)
		b.SetQuality(id, q)
	}
	b.Add(3, WeightRegister, now) // 3 is hotter than 2, of equal quality
	b.SetPicks([]int64{5, 1, 42}) // 42 is not shown (not tracked)
	b.Rank(now)
	if got := scoredIDs(b.Featured("", 10)); !slices.Equal(got, []int64{5, 1, 4, 3, 2}) {
		t.Errorf("featured: %v, want the picks 5 and 1, then by quality 4, 3, 2", got)
	}
	if got := scoredIDs(b.Featured("berlin", 3)); !slices.Equal(got, []int64{5, 1, 3}) {
		t.Errorf("featured in Berlin, 3: %v, want [5 1 3]", got)
	}
	b.Forget(5)
	b.Rank(now)
	if got := b.Featured("", 10); !got[0].Pick || got[0].ID != 1 || got[1].Pick {
		t.Errorf("after 5 left: %+v, want the pick 1 first and the rest not picks", got)
	}
}

// BenchmarkRank ranks a board the size of the benchmark's (800k upcoming events in 40
// cities and 12 categories, 200k of them with heat).
func BenchmarkRank(b *testing.B) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	board := NewBoard()
	for i := range int64(800_000) {
		board.Track(i, fmt.Sprintf("city%d", i%40), fmt.Sprintf("cat%d", i%12), now.Add(time.Duration(1+i%5000)*time.Hour))
		board.SetQuality(i, float64(i%11)/10)
		if i%4 == 0 {
			board.Add(i, float64(i%97), now.Add(-time.Duration(i%48)*time.Hour))
		}
	}
	b.ResetTimer()
	for b.Loop() {
		board.Rank(now)
	}
}
