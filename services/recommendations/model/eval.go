package model

import (
	"math"
	"slices"
)

// Scorer scores every item for a user: scores has one slot per item of the dataset it
// was trained on; a higher score ranks first.
type Scorer interface {
	Score(user int32, scores []float32)
}

// Metrics are a model's quality on a holdout, averaged over the users with held-out
// entries (and at least one in training): precision, recall and NDCG of its top K among
// every item the user has not seen in training, and the share of all items that appear in
// anybody's top K.
type Metrics struct {
	K         int
	Users     int
	Precision float64
	Recall    float64
	NDCG      float64
	Coverage  float64
}

// TopK returns the k items with the highest scores, best first (ties by item), leaving
// out those in exclude (a user's training entries, by item).
func TopK(scores []float32, exclude []Entry, k int) []int32 {
	skip := make(map[int32]bool, len(exclude))
	for _, e := range exclude {
		skip[e.Item] = true
	}
	better := func(a, b int32) bool { // a ranks before b
		return scores[a] > scores[b] || (scores[a] == scores[b] && a < b)
	}
	// A min-heap of the best k so far: O(n log k).
	heap := make([]int32, 0, k)
	down := func(i int) {
		for {
			l, s := 2*i+1, i
			if l < len(heap) && better(heap[s], heap[l]) {
				s = l
			}
			if r := l + 1; r < len(heap) && better(heap[s], heap[r]) {
				s = r
			}
			if s == i {
				return
			}
			heap[i], heap[s] = heap[s], heap[i]
			i = s
		}
	}
	for it := range int32(len(scores)) {
		if skip[it] {
			continue
		}
		switch {
		case len(heap) < k:
			heap = append(heap, it)
			for i := len(heap) - 1; i > 0; {
				p := (i - 1) / 2
				if !better(heap[p], heap[i]) {
					break
				}
				heap[p], heap[i] = heap[i], heap[p]
				i = p
			}
		case k > 0 && better(it, heap[0]):
			heap[0] = it
			down(0)
		}
	}
	slices.SortFunc(heap, func(a, b int32) int {
		switch {
		case better(a, b):
			return -1
		case better(b, a):
			return 1
		}
		return 0
	})
	return heap
}

// Evaluate measures m, trained on train, against test at k.
func Evaluate(m Scorer, train, test *Dataset, k int) Metrics {
	out := Metrics{K: k}
	scores := make([]float32, train.NItems())
	shown := make([]bool, train.NItems())
	for u, held := range test.Users {
		if len(held) == 0 || len(train.Users[u]) == 0 {
			continue
		}
		clear(scores)
		m.Score(int32(u), scores)
		top := TopK(scores, train.Users[u], k)
		want := make(map[int32]bool, len(held))
		for _, e := range held {
			want[e.Item] = true
		}
		hits, dcg := 0, 0.0
		for rank, it := range top {
			shown[it] = true
			if want[it] {
				hits++
				dcg += 1 / math.Log2(float64(rank)+2)
			}
		}
		idcg := 0.0
		for rank := range min(len(held), k) {
			idcg += 1 / math.Log2(float64(rank)+2)
		}
		out.Users++
		out.Precision += float64(hits) / float64(k)
		out.Recall += float64(hits) / float64(len(held))
		out.NDCG += dcg / idcg
	}
	if out.Users > 0 {
		n := float64(out.Users)
		out.Precision, out.Recall, out.NDCG = out.Precision/n, out.Recall/n, out.NDCG/n
	}
	covered := 0
	for _, s := range shown {
		if s {
			covered++
		}
	}
	if len(shown) > 0 {
		out.Coverage = float64(covered) / float64(len(shown))
	}
	return out
}
