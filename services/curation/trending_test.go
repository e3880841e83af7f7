package curation

import (
	"slices"
	"testing"
	"time"
)

func ids(s []Scored) []int64 {
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
	tr := NewTrending()
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
	tr.Add(99, WeightRegister, now) // not tracked: ignored
	tr.Rank(now)
	if got := ids(tr.Top("", "", 10)); !slices.Equal(got[:2], []int64{2, 1}) || len(got) != 4 {
		t.Errorf("overall: %v, want the burst (2) before the old crowd (1), 4 events", got)
	}
	if got := ids(tr.Top("BERLIN", "", 10)); !slices.Equal(got, []int64{2, 1}) {
		t.Errorf("Berlin: %v, want [2 1]", got)
	}
	if got := ids(tr.Top("munich", "Music", 1)); !slices.Equal(got, []int64{4}) {
		t.Errorf("Munich music, 1: %v, want the one starting within the hour (4)", got)
	}
	if got := tr.Top("Paris", "", 10); len(got) != 0 {
		t.Errorf("Paris: %v, want none", got)
	}
	// Two days on, without new interactions: the burst has cooled, event 4 has started.
	later := now.Add(48 * time.Hour)
	tr.Add(1, WeightRegister*40, later)
	tr.Rank(later)
	if got := ids(tr.Top("", "", 10)); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("two days later: %v, want [1 2 3] (4 started)", got)
	}
	tr.Forget(1)
	tr.Rank(later)
	if got := ids(tr.Top("", "music", 10)); !slices.Equal(got, []int64{3}) {
		t.Errorf("after forgetting 1: music %v, want [3]", got)
	}
}
