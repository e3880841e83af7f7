package model

import (
	"math"
	"slices"
	"sync"
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
	if k <= 0 {
		return []int32{}
	}
	// The excluded items ascending, walked beside the items: no lookup per item.
	skip := make([]int32, len(exclude))
	for i, e := range exclude {
		skip[i] = e.Item
	}
	slices.Sort(skip)
	next := 0
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
	for it, sc := range scores {
		// Most items cannot enter a full heap: items come in ascending order, so one that
		// only ties the worst kept ranks after it.
		if len(heap) == k && sc <= scores[heap[0]] {
			continue
		}
		it := int32(it)
		for next < len(skip) && skip[next] < it {
			next++
		}
		if next < len(skip) && skip[next] == it {
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
		case better(it, heap[0]):
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
	return EvaluateAll(func() MultiScorer { return single{m} }, 1, 1, train, test, k)[0]
}

// MultiScorer scores a user for n models at once, each into its own slice (scores[i] for
// model i): models that share work, such as a hybrid and its components, are judged in
// one pass.
type MultiScorer interface {
	ScoreAll(user int32, scores [][]float32)
}

type single struct{ Scorer }

func (s single) ScoreAll(user int32, scores [][]float32) { s.Score(user, scores[0]) }

// EvaluateAll measures n models, trained on train, against test at k, the users shared
// among workers goroutines, each with a MultiScorer of its own from newScorer (so that
// one need not be safe for concurrent use).
func EvaluateAll(newScorer func() MultiScorer, n, workers int, train, test *Dataset, k int) []Metrics {
	type tally struct {
		m     []Metrics
		shown [][]bool
	}
	tallies := make([]tally, max(workers, 1))
	var wg sync.WaitGroup
	for w := range tallies {
		wg.Go(func() {
			t := tally{m: make([]Metrics, n), shown: make([][]bool, n)}
			scores := make([][]float32, n)
			for i := range n {
				scores[i], t.shown[i] = make([]float32, train.NItems()), make([]bool, train.NItems())
			}
			ms := newScorer()
			for u := w; u < len(test.Users); u += len(tallies) {
				held := test.Users[u]
				if len(held) == 0 || len(train.Users[u]) == 0 {
					continue
				}
				for _, s := range scores {
					clear(s)
				}
				ms.ScoreAll(int32(u), scores)
				for i, s := range scores {
					t.m[i].add(TopK(s, train.Users[u], k), held, k, t.shown[i])
				}
			}
			tallies[w] = t
		})
	}
	wg.Wait()
	out := make([]Metrics, n)
	for i := range out {
		out[i].K = k
		covered := 0
		for it := range train.NItems() {
			for _, t := range tallies {
				if t.shown[i][it] {
					covered++
					break
				}
			}
		}
		for _, t := range tallies {
			out[i].Users += t.m[i].Users
			out[i].Precision += t.m[i].Precision
			out[i].Recall += t.m[i].Recall
			out[i].NDCG += t.m[i].NDCG
		}
		if u := float64(out[i].Users); u > 0 {
			out[i].Precision, out[i].Recall, out[i].NDCG = out[i].Precision/u, out[i].Recall/u, out[i].NDCG/u
		}
		if train.NItems() > 0 {
			out[i].Coverage = float64(covered) / float64(train.NItems())
		}
	}
	return out
}

// add counts one user's top k against what they held out (sums, averaged by
// EvaluateAll), marking the items shown.
func (m *Metrics) add(top []int32, held []Entry, k int, shown []bool) {
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
	m.Users++
	m.Precision += float64(hits) / float64(k)
	m.Recall += float64(hits) / float64(len(held))
	m.NDCG += dcg / idcg
}
