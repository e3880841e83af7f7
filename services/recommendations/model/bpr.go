package model

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/floats"
)

// BPR is matrix factorisation trained for ranking (Rendle et al., "BPR: Bayesian
// Personalized Ranking from Implicit Feedback", 2009): rather than fit every (user, item)
// pair to 1 or 0 as ALS does, it learns that a user prefers an item they interacted with
// to one drawn at random among those they did not, by stochastic gradient ascent on
// ln σ(x̂ᵤᵢ − x̂ᵤⱼ) over such triples, x̂ᵤᵢ = bᵢ + pᵤ·qᵢ. It sees which items a user chose,
// not how strongly: weights are ignored.
//
// Training is single-threaded, so the same seed gives the same model; an epoch is one
// pass over the interactions in a random order, each with a fresh negative item.
type BPR struct {
	Params  BPRParams
	userVec [][]float64
	itemVec [][]float64
	bias    []float64
}

// BPRParams are BPR's knobs. The defaults are the best of a grid on a validation split of
// a MovieLens-100K-shaped set (test/load movielens): a small step and many epochs with
// strong regularisation; larger steps overfit before they converge.
type BPRParams struct {
	Factors   int     // latent dimensions (default 64)
	Epochs    int     // passes over the interactions (default 100)
	LearnRate float64 // SGD step (default 0.01)
	Reg       float64 // L2 regularisation of factors and biases per step (default 0.03)
	Seed      uint64
}

func (p *BPRParams) defaults() {
	if p.Factors <= 0 {
		p.Factors = 64
	}
	if p.Epochs <= 0 {
		p.Epochs = 100
	}
	if p.LearnRate <= 0 {
		p.LearnRate = 0.01
	}
	if p.Reg <= 0 {
		p.Reg = 0.03
	}
}

// TrainBPR factorises d.
func TrainBPR(d *Dataset, p BPRParams) *BPR {
	p.defaults()
	rng := rand.New(rand.NewPCG(p.Seed, 0xb9e))
	init := func(n int) [][]float64 {
		vs := make([][]float64, n)
		for i := range vs {
			vs[i] = make([]float64, p.Factors)
			for f := range vs[i] {
				vs[i][f] = rng.NormFloat64() * 0.1
			}
		}
		return vs
	}
	m := &BPR{Params: p, userVec: init(d.NUsers()), itemVec: init(d.NItems()), bias: make([]float64, d.NItems())}
	type pair struct {
		user int32
		item int32
	}
	var pairs []pair
	for u, es := range d.Users {
		for _, e := range es {
			pairs = append(pairs, pair{int32(u), e.Item})
		}
	}
	nItems := d.NItems()
	diff := make([]float64, p.Factors)
	lr, reg := p.LearnRate, p.Reg
	for range p.Epochs {
		rng.Shuffle(len(pairs), func(a, b int) { pairs[a], pairs[b] = pairs[b], pairs[a] })
		for _, pr := range pairs {
			seen := d.Users[pr.user]
			if len(seen) >= nItems {
				continue // no item left to prefer it to
			}
			j := int32(rng.IntN(nItems))
			for has(seen, j) {
				j = int32(rng.IntN(nItems))
			}
			pu, qi, qj := m.userVec[pr.user], m.itemVec[pr.item], m.itemVec[j]
			floats.SubTo(diff, qi, qj)
			x := m.bias[pr.item] - m.bias[j] + floats.Dot(pu, diff)
			g := 1 / (1 + math.Exp(x)) // σ(−x): how wrong the order still is
			for f := range pu {
				u := pu[f]
				pu[f] += lr * (g*diff[f] - reg*u)
				qi[f] += lr * (g*u - reg*qi[f])
				qj[f] += lr * (-g*u - reg*qj[f])
			}
			m.bias[pr.item] += lr * (g - reg*m.bias[pr.item])
			m.bias[j] += lr * (-g - reg*m.bias[j])
		}
	}
	return m
}

// has reports whether es (by item) holds item.
func has(es []Entry, item int32) bool {
	_, ok := slices.BinarySearchFunc(es, item, func(e Entry, it int32) int { return cmp.Compare(e.Item, it) })
	return ok
}

// Score is each item's bias plus the dot product of the user's factors with its own.
func (m *BPR) Score(user int32, scores []float32) {
	u := m.userVec[user]
	for i, v := range m.itemVec {
		scores[i] = float32(m.bias[i] + floats.Dot(u, v))
	}
}
