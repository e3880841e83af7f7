package model

import (
	"cmp"
	"math"
	"slices"
)

// ItemKNN scores an item by its similarity to the items a user interacted with: item-based
// collaborative filtering on implicit feedback. Two items are similar when the same users
// interacted with both: the cosine of their user vectors, shrunk towards zero when few
// users share them (cos · n/(n+Shrink), n the users in common), keeping each item's K most
// similar neighbours.
type ItemKNN struct {
	users     [][]Entry
	neighbors [][]neighbor
}

type neighbor struct {
	item int32
	sim  float32
}

// KNNParams are item-kNN's knobs.
type KNNParams struct {
	K      int     // neighbours kept per item (default 100)
	Shrink float64 // shrinkage of similarities with few common users (default 10)
}

// TrainItemKNN computes every item's neighbours in d.
func TrainItemKNN(d *Dataset, p KNNParams) *ItemKNN {
	if p.K <= 0 {
		p.K = 100
	}
	if p.Shrink < 0 {
		p.Shrink = 0
	}
	items := d.Items()
	norms := make([]float64, len(items))
	for i, us := range items {
		for _, e := range us {
			norms[i] += float64(e.Weight) * float64(e.Weight)
		}
		norms[i] = math.Sqrt(norms[i])
	}
	m := &ItemKNN{users: d.Users, neighbors: make([][]neighbor, len(items))}
	dot := make([]float64, len(items))
	common := make([]int32, len(items))
	var touched []int32
	for i, us := range items {
		// The dot products of i with every item that shares a user with it.
		for _, ue := range us {
			for _, e := range d.Users[ue.Item] {
				if e.Item == int32(i) {
					continue
				}
				if common[e.Item] == 0 {
					touched = append(touched, e.Item)
				}
				dot[e.Item] += float64(ue.Weight) * float64(e.Weight)
				common[e.Item]++
			}
		}
		ns := make([]neighbor, 0, len(touched))
		for _, j := range touched {
			n := float64(common[j])
			sim := dot[j] / (norms[i] * norms[j]) * n / (n + p.Shrink)
			ns = append(ns, neighbor{j, float32(sim)})
			dot[j], common[j] = 0, 0
		}
		touched = touched[:0]
		slices.SortFunc(ns, func(a, b neighbor) int { return cmp.Or(cmp.Compare(b.sim, a.sim), cmp.Compare(a.item, b.item)) })
		if len(ns) > p.K {
			ns = ns[:p.K]
		}
		m.neighbors[i] = slices.Clip(ns)
	}
	return m
}

// Score adds, for each item the user interacted with, its neighbours' similarities
// weighted by the interaction.
func (m *ItemKNN) Score(user int32, scores []float32) {
	for _, e := range m.users[user] {
		for _, n := range m.neighbors[e.Item] {
			scores[n.item] += n.sim * e.Weight
		}
	}
}

// Similar returns item's neighbours, most similar first.
func (m *ItemKNN) Similar(item int32) []int32 {
	out := make([]int32, len(m.neighbors[item]))
	for i, n := range m.neighbors[item] {
		out[i] = n.item
	}
	return out
}
