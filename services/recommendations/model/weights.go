package model

import (
	"math"
	"slices"
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
	// Per user: the candidates (the union of each component's top few, where any blend's
	// top k lies in practice), their scaled score per component and which were held out.
	type user struct {
		cands  []int32
		scores [][]float32 // by component, by candidate
		hit    []bool
		ideal  float64
	}
	rs := &RankerScorer{Ranker: r, Train: train}
	rs.prepare()
	depth := max(5*k, 50)
	var users []user
	for u, held := range valid.Users {
		if len(held) == 0 || len(train.Users[u]) == 0 {
			continue
		}
		hist := rs.history(int32(u))
		seen := map[int32]bool{}
		var exclude []Entry
		for _, e := range r.entries(hist) {
			seen[e.Item] = true
			exclude = append(exclude, Entry{Item: e.Item})
		}
		want := map[int32]bool{}
		for _, e := range held {
			if i := rs.slots[e.Item]; i >= 0 {
				want[i] = true
			}
		}
		in := map[int32]bool{}
		var cands []int32
		parts := make([][]float32, len(comps))
		for ci, c := range comps {
			s := make([]float32, r.Len())
			r.Score(c, hist, "", s)
			var top float32
			for i, v := range s {
				if v > top && !seen[int32(i)] {
					top = v
				}
			}
			if top > 0 {
				for i := range s {
					s[i] = max(s[i], 0) / top
				}
			}
			parts[ci] = s
			for _, it := range TopK(s, exclude, depth) {
				if !in[it] {
					in[it] = true
					cands = append(cands, it)
				}
			}
		}
		us := user{cands: cands, scores: make([][]float32, len(comps)), hit: make([]bool, len(cands))}
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
		if us.ideal > 0 {
			users = append(users, us)
		}
	}
	ndcg := func(w []float64) float64 {
		total := 0.0
		blend := []float32{}
		for _, us := range users {
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
			total += dcg / us.ideal
		}
		if len(users) == 0 {
			return 0
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
