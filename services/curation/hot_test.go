package curation

import (
	"math"
	"testing"
	"time"
)

func TestHeatDecaysWithItsHalfLife(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	h := Heat{}.Add(8, t0)
	for _, tt := range []struct {
		after time.Duration
		want  float64
	}{{0, 8}, {HalfLife, 4}, {2 * HalfLife, 2}, {-time.Hour, 8}} {
		if got := h.Now(t0.Add(tt.after)); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("after %s: %.4f, want %.4f", tt.after, got, tt.want)
		}
	}
	// Added in any order, the same interactions give the same heat.
	a := Heat{}.Add(1, t0).Add(2, t0.Add(HalfLife))
	b := Heat{}.Add(2, t0.Add(HalfLife)).Add(1, t0)
	if math.Abs(a.Now(t0.Add(3*HalfLife))-b.Now(t0.Add(3*HalfLife))) > 1e-9 {
		t.Errorf("order matters: %+v vs %+v", a, b)
	}
	if got := a.Now(t0.Add(HalfLife)); math.Abs(got-2.5) > 1e-9 {
		t.Errorf("1 a half-life ago and 2 now: %.4f, want 2.5", got)
	}
}

// An older event with many views ranks below a new one with a burst, once the first's
// views are a few half-lives old; a start tomorrow outranks the same heat in two months.
func TestHotScoreFavoursBurstsAndSoonerStarts(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var old, burst Heat
	for i := range 300 {
		old = old.Add(WeightView, now.Add(-4*24*time.Hour+time.Duration(i)*time.Minute))
	}
	for i := range 40 {
		burst = burst.Add(WeightRegister, now.Add(-time.Duration(i)*time.Minute))
	}
	week := 7 * 24 * time.Hour
	if o, b := HotScore(old.Now(now), week), HotScore(burst.Now(now), week); o >= b {
		t.Errorf("300 views four days ago score %.3f, 40 registrations this hour %.3f", o, b)
	}
	if soon, later := HotScore(10, 24*time.Hour), HotScore(10, 60*24*time.Hour); soon <= later {
		t.Errorf("starting tomorrow %.3f, in two months %.3f", soon, later)
	}
	if got := HotScore(0, 1000*time.Hour); got < 0 || got > 0.01 {
		t.Errorf("no heat, far away: %.4f, want about 0", got)
	}
}
