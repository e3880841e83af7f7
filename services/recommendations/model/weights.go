package model

import (
	"math"
	"runtime"
	"slices"
	"sync"
)

// TuneWeights searches the hybrid's weights on a validation split: r trained on train,
// valid holding each user's next interactions. It tries every weighting of the ranker's
// components in steps of step (summing to 1) and returns the one with the best NDCG@k,
// and that NDCG; the snapshot's own weights win ties, so the seed design's blend stays
// unless another does better.
func TuneWeights(r *Ranker, train, valid *Dataset, k int, step float64) (Weights, float64) {
	var comps []Component
	for _, c := range Components {
		if r.Has(c) {
			comps = append(comps, c)
		}
	}
	rs := &RankerScorer{Ranker: r, Train: train}
	rs.prepare() // read-only from here: the workers share it
	depth := max(5*k, 50)
	var who []int
	for u, held := range valid.Users {
		if len(held) > 0 && len(train.Users[u]) > 0 {
			who = append(who, u)
		}
	}
	prepared := make([]tuneUser, len(who))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			seen := make([]bool, r.Len())
			parts := make([][]float32, len(comps))
			for ci := range parts {
				parts[ci] = make([]float32, r.Len())
			}
			for x := w; x < len(who); x += workers {
				prepared[x] = prepareUser(r, rs, who[x], valid.Users[who[x]], comps, parts, seen, depth, k)
			}
		})
	}
	wg.Wait()
	var users []tuneUser
	for _, us := range prepared {
		if us.ideal > 0 {
			users = append(users, us)
		}
	}
	ndcg := func(w []float64) float64 {
		if len(users) == 0 {
			return 0
		}
		totals := make([]float64, workers)
		var wg sync.WaitGroup
		for x := range workers {
			wg.Go(func() {
				var blend []float32
				for i := x; i < len(users); i += workers {
					us := users[i]
					blend = slices.Grow(blend[:0], len(us.cands))[:len(us.cands)]
					clear(blend)
					for ci, s := range us.scores {
						for j, v := range s {
							blend[j] += float32(w[ci]) * v
						}
					}
					dcg := 0.0
					for rank, j := range TopK(blend, nil, k) {
						if us.hit[j] {
							dcg += 1 / math.Log2(float64(rank)+2)
						}
					}
					totals[x] += dcg / us.ideal
				}
			})
		}
		wg.Wait()
		total := 0.0
		for _, t := range totals {
			total += t
		}
		return total / float64(len(users))
	}
	vec := func(w Weights) []float64 {
		out := make([]float64, len(comps))
		for ci, c := range comps {
			out[ci] = w[c]
		}
		return out
	}
	best := vec(r.snap.Weights)
	bestNDCG := ndcg(best)
	steps := int(math.Round(1 / step))
	w := make([]float64, len(comps))
	var walk func(ci, left int)
	walk = func(ci, left int) {
		if ci == len(comps)-1 {
			w[ci] = float64(left) / float64(steps)
			if got := ndcg(w); got > bestNDCG {
				best, bestNDCG = slices.Clone(w), got
			}
			return
		}
		for s := 0; s <= left; s++ {
			w[ci] = float64(s) / float64(steps)
			walk(ci+1, left-s)
		}
	}
	if len(comps) > 0 && steps > 0 {
		walk(0, steps)
	}
	out := Weights{}
	for ci, c := range comps {
		out[c] = best[ci]
	}
	return out, bestNDCG
}

// tuneUser is one validation user as TuneWeights blends them: the candidates (the union of
// each component's top few, where any blend's top k lies in practice), their scaled score
// per component, which were held out, and the ideal DCG.
type tuneUser struct {
	cands  []int32
	scores [][]float32 // by component, by candidate
	hit    []bool
	ideal  float64
}

// prepareUser scores one validation user's candidates with every component; parts and seen
// are the worker's scratch.
func prepareUser(r *Ranker, rs *RankerScorer, u int, held []Entry, comps []Component, parts [][]float32, seen []bool, depth, k int) tuneUser {
	hist := rs.history(int32(u))
	entries := r.entries(hist)
	exclude := make([]Entry, len(entries))
	for i, e := range entries {
		seen[e.Item] = true
		exclude[i] = Entry{Item: e.Item}
	}
	defer func() {
		for _, e := range entries {
			seen[e.Item] = false
		}
	}()
	want := map[int32]bool{}
	for _, e := range held {
		if i := rs.slots[e.Item]; i >= 0 {
			want[i] = true
		}
	}
	in := map[int32]bool{}
	var cands []int32
	for ci, c := range comps {
		s := parts[ci]
		r.Score(c, hist, "", s)
		var top float32
		for i, v := range s {
			if v > top && !seen[i] {
				top = v
			}
		}
		if top > 0 {
			for i, v := range s {
				s[i] = positive(v) / top
			}
		}
		for _, it := range TopK(s, exclude, depth) {
			if !in[it] {
				in[it] = true
				cands = append(cands, it)
			}
		}
	}
	us := tuneUser{cands: cands, scores: make([][]float32, len(comps)), hit: make([]bool, len(cands))}
	for ci := range comps {
		us.scores[ci] = make([]float32, len(cands))
		for j, it := range cands {
			us.scores[ci][j] = parts[ci][it]
		}
	}
	for j, it := range cands {
		us.hit[j] = want[it]
	}
	for rank := range min(len(want), k) {
		us.ideal += 1 / math.Log2(float64(rank)+2)
	}
	return us
}
