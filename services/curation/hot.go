package curation

import (
	"math"
	"time"
)

// The hot score, in one place. Reddit ranks by log10 of the votes plus the post's age (12.5
// hours worth a factor of ten); Hacker News divides by the age to a gravity. An event's heat
// instead decays as it happens: every view, favorite and registration adds its weight, and
// the sum halves every HalfLife, so a burst today outranks a crowd last week without a
// rescan. What matters is also how soon the event starts: one tomorrow is more worth
// seeing now than one in two months.
const (
	// HalfLife halves an event's heat.
	HalfLife = 12 * time.Hour
	// Weights of what people do, as retraining weighs them.
	WeightView     = 1
	WeightFavorite = 3
	WeightRegister = 5
	// soonBonus is what starting right now adds to the score (log10 units: a factor of
	// 10^0.5 ≈ 3.2 in heat), halving with every soonHalfLife until the start.
	soonBonus    = 0.5
	soonHalfLife = 72 * time.Hour
)

// Heat is an event's decayed activity: Value as of At.
type Heat struct {
	Value float64
	At    time.Time
}

// Add returns h with weight w added at t (an interaction older than h's time counts as
// decayed to it).
func (h Heat) Add(w float64, t time.Time) Heat {
	switch {
	case h.At.IsZero():
		return Heat{Value: w, At: t}
	case t.After(h.At):
		return Heat{Value: h.Value*decay(t.Sub(h.At)) + w, At: t}
	default:
		return Heat{Value: h.Value + w*decay(h.At.Sub(t)), At: h.At}
	}
}

// Now is h's value decayed to now.
func (h Heat) Now(now time.Time) float64 {
	if h.At.IsZero() || !now.After(h.At) {
		return h.Value
	}
	return h.Value * decay(now.Sub(h.At))
}

// decay is how much is left of a weight after d.
func decay(d time.Duration) float64 { return math.Exp2(-d.Hours() / HalfLife.Hours()) }

// HotScore ranks an upcoming event: log10(1 + heat), plus a bonus for starting soon.
func HotScore(heat float64, startsIn time.Duration) float64 {
	return math.Log10(1+max(heat, 0)) + soonBonus*math.Exp2(-max(startsIn, 0).Hours()/soonHalfLife.Hours())
}
