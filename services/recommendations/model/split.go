package model

import (
	"cmp"
	"math/rand/v2"
	"slices"
)

// SplitRandom puts each entry in the test set with probability testShare, the rest in
// training, drawing from seed (the MovieLens protocol: 80/20 at random per interaction).
func SplitRandom(d *Dataset, testShare float64, seed uint64) (train, test *Dataset) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	train, test = d.like(), d.like()
	for u, es := range d.Users {
		for _, e := range es {
			if rng.Float64() < testShare {
				test.Users[u] = append(test.Users[u], e)
			} else {
				train.Users[u] = append(train.Users[u], e)
			}
		}
	}
	return train, test
}

// SplitLast holds out each user's last n entries by time (ties by item), keeping at least
// one in training: a time-based holdout, as recommending means predicting what comes next.
func SplitLast(d *Dataset, n int) (train, test *Dataset) {
	train, test = d.like(), d.like()
	for u, es := range d.Users {
		byTime := slices.Clone(es)
		slices.SortFunc(byTime, func(a, b Entry) int { return cmp.Or(cmp.Compare(a.At, b.At), cmp.Compare(a.Item, b.Item)) })
		cut := max(len(byTime)-n, min(1, len(byTime)))
		train.Users[u] = sortByItem(byTime[:cut])
		test.Users[u] = sortByItem(byTime[cut:])
	}
	return train, test
}

func sortByItem(es []Entry) []Entry {
	out := slices.Clone(es)
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.Item, b.Item) })
	return out
}
