package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// fixed scores every item the same for every user.
type fixed []float32

func (f fixed) Score(_ int32, scores []float32) { copy(scores, f) }

func TestTopKRanksBestFirstSkippingSeenItems(t *testing.T) {
	scores := []float32{3, 9, 3, 7, 1, 9}
	tests := []struct {
		exclude []Entry
		k       int
		want    []int32
	}{
		{nil, 3, []int32{1, 5, 3}}, // ties by item
		{[]Entry{{Item: 1}, {Item: 3}}, 3, []int32{5, 0, 2}},
		{[]Entry{{Item: 5}, {Item: 1}, {Item: 5}}, 2, []int32{3, 0}}, // unsorted, repeated
		{nil, 1, []int32{1}},
		{nil, 10, []int32{1, 5, 3, 0, 2, 4}},
		{nil, 0, []int32{}},
	}
	for _, tt := range tests {
		if got := TopK(scores, tt.exclude, tt.k); !slices.Equal(got, tt.want) {
			t.Errorf("TopK(k=%d, exclude %v) = %v, want %v", tt.k, tt.exclude, got, tt.want)
		}
	}
}

func TestEvaluateMatchesTheHandCount(t *testing.T) {
	// Five items scored 9, 5, 4, 3, 1 for everyone, top 3.
	// User 0: trained on item 0, holds out 1 and 3: ranks 1, 2, 3 → hits at ranks 1 and 3:
	//   precision 2/3, recall 2/2, DCG 1/log2(2) + 1/log2(4) = 1.5, ideal 1 + 1/log2(3).
	// User 1: trained on item 4, holds out 0: ranks 0, 1, 2 → a hit at rank 1:
	//   precision 1/3, recall 1, NDCG 1.
	// User 2: holds out item 2 but has no training: not counted.
	// Items shown: 0, 1, 2, 3 of 5.
	items, users := []int64{0, 1, 2, 3, 4}, []int64{1, 2, 3}
	train := &Dataset{Users: [][]Entry{{{Item: 0, Weight: 1}}, {{Item: 4, Weight: 1}}, nil}, ItemIDs: items, UserIDs: users}
	test := &Dataset{Users: [][]Entry{{{Item: 1}, {Item: 3}}, {{Item: 0}}, {{Item: 2}}}, ItemIDs: items, UserIDs: users}
	got := Evaluate(fixed{9, 5, 4, 3, 1}, train, test, 3)
	ndcg0 := 1.5 / (1 + 1/math.Log2(3))
	want := Metrics{K: 3, Users: 2, Precision: 0.5, Recall: 1, NDCG: (ndcg0 + 1) / 2, Coverage: 0.8}
	if fmt.Sprintf("%.6f", []float64{got.Precision, got.Recall, got.NDCG, got.Coverage}) != fmt.Sprintf("%.6f", []float64{want.Precision, want.Recall, want.NDCG, want.Coverage}) ||
		got.Users != want.Users || got.K != want.K {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestBuilderMergesRepeatedInteractions(t *testing.T) {
	b := NewBuilder()
	b.Add(7, 42, 1, 100)
	b.Add(7, 42, 5, 50)
	b.Add(7, 43, 2, 10)
	b.Add(8, 43, 1, 20)
	d := b.Dataset()
	if d.NUsers() != 2 || d.NItems() != 2 || d.Len() != 3 {
		t.Fatalf("got %d users, %d items, %d entries", d.NUsers(), d.NItems(), d.Len())
	}
	if got := d.Users[0][0]; got.Weight != 6 || got.At != 100 || d.ItemIDs[got.Item] != 42 {
		t.Errorf("user 7, item 42: %+v", got)
	}
}

func TestSplitLastHoldsOutTheLatest(t *testing.T) {
	b := NewBuilder()
	for i, at := range []int64{30, 10, 20, 40} {
		b.Add(1, int64(i), 1, at)
	}
	b.Add(2, 0, 1, 5) // one entry: it stays in training
	train, test := SplitLast(b.Dataset(), 2)
	var gotTest []int64
	for _, e := range test.Users[0] {
		gotTest = append(gotTest, e.At)
	}
	if !slices.Equal(gotTest, []int64{30, 40}) || len(train.Users[0]) != 2 || len(train.Users[1]) != 1 || len(test.Users[1]) != 0 {
		t.Errorf("test %v, train %v / %v", gotTest, train.Users[0], train.Users[1])
	}
}

// planted is two communities: each user interacts with 12 of the 60 items of their own
// community, favouring some; nothing links them but the users' tastes.
func planted(seed uint64) (*Dataset, func(user int32) int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := NewBuilder()
	const users, itemsPerSide = 300, 60
	for u := range int64(users) {
		side := u % 2
		seen := map[int64]bool{}
		for len(seen) < 12 {
			// Squaring skews towards the community's first items: some are popular.
			i := side*itemsPerSide + int64(float64(itemsPerSide)*math.Pow(rng.Float64(), 2))
			if !seen[i] {
				seen[i] = true
				b.Add(u, i, 1, int64(len(seen)))
			}
		}
	}
	d := b.Dataset()
	community := func(user int32) int { return int(d.UserIDs[user] % 2) }
	return d, community
}

func TestItemKNNRecoversPlantedCommunities(t *testing.T) {
	d, community := planted(1)
	train, test := SplitRandom(d, 0.2, 7)
	knn := TrainItemKNN(train, KNNParams{K: 50, Shrink: 5})
	pop := TrainPopular(train)
	mk, mp := Evaluate(knn, train, test, 10), Evaluate(pop, train, test, 10)
	t.Logf("item-kNN %+v\npopular  %+v", mk, mp)
	if mk.Precision < 1.3*mp.Precision || mk.NDCG < 1.3*mp.NDCG {
		t.Errorf("item-kNN (P@10 %.3f, NDCG %.3f) does not beat popularity (%.3f, %.3f) clearly", mk.Precision, mk.NDCG, mp.Precision, mp.NDCG)
	}
	// Its recommendations stay in the user's community; popularity's cannot.
	inside, all := 0, 0
	scores := make([]float32, train.NItems())
	for u := range int32(train.NUsers()) {
		clear(scores)
		knn.Score(u, scores)
		for _, it := range TopK(scores, train.Users[u], 10) {
			all++
			if int(d.ItemIDs[it]/60) == community(u) {
				inside++
			}
		}
	}
	if share := float64(inside) / float64(all); share < 0.99 {
		t.Errorf("%.1f%% of item-kNN's recommendations are in the user's community, want all", 100*share)
	}
	// An item's neighbours are of its community.
	for it := range int32(train.NItems()) {
		for _, n := range knn.Similar(it) {
			if d.ItemIDs[n]/60 != d.ItemIDs[it]/60 {
				t.Fatalf("item %d's neighbour %d is of the other community", d.ItemIDs[it], d.ItemIDs[n])
			}
		}
	}
}

func TestSplitRandomKeepsEveryEntryOnce(t *testing.T) {
	d, _ := planted(2)
	train, test := SplitRandom(d, 0.2, 3)
	if train.Len()+test.Len() != d.Len() {
		t.Fatalf("train %d + test %d != %d", train.Len(), test.Len(), d.Len())
	}
	if share := float64(test.Len()) / float64(d.Len()); share < 0.17 || share > 0.23 {
		t.Errorf("test share %.3f, want about 0.2", share)
	}
	again, _ := SplitRandom(d, 0.2, 3)
	if again.Len() != train.Len() {
		t.Errorf("the same seed split differently")
	}
}

func TestALSRecoversPlantedCommunities(t *testing.T) {
	d, community := planted(3)
	train, test := SplitRandom(d, 0.2, 7)
	als := TrainALS(train, ALSParams{Factors: 8, Iterations: 10, Seed: 1})
	ma, mp := Evaluate(als, train, test, 10), Evaluate(TrainPopular(train), train, test, 10)
	t.Logf("ALS     %+v\npopular %+v", ma, mp)
	if ma.Precision < 1.3*mp.Precision || ma.NDCG < 1.3*mp.NDCG {
		t.Errorf("ALS (P@10 %.3f, NDCG %.3f) does not beat popularity (%.3f, %.3f) clearly", ma.Precision, ma.NDCG, mp.Precision, mp.NDCG)
	}
	inside, all := 0, 0
	scores := make([]float32, train.NItems())
	for u := range int32(train.NUsers()) {
		als.Score(u, scores)
		for _, it := range TopK(scores, train.Users[u], 10) {
			all++
			if int(d.ItemIDs[it]/60) == community(u) {
				inside++
			}
		}
	}
	if share := float64(inside) / float64(all); share < 0.95 {
		t.Errorf("%.1f%% of ALS's recommendations are in the user's community, want at least 95%%", 100*share)
	}
}

// The factors fit what they were trained on: a user's seen items score above the unseen
// on average (the solver converges rather than wanders).
func TestALSFitsItsTrainingData(t *testing.T) {
	d, _ := planted(4)
	als := TrainALS(d, ALSParams{Factors: 16, Iterations: 8, Reg: 1, Alpha: 20, Seed: 2}) // weak regularisation: fitting is the point
	scores := make([]float32, d.NItems())
	var seen, unseen float64
	var ns, nu int
	for u, es := range d.Users {
		als.Score(int32(u), scores)
		in := map[int32]bool{}
		for _, e := range es {
			in[e.Item] = true
		}
		for i, s := range scores {
			if in[int32(i)] {
				seen, ns = seen+float64(s), ns+1
			} else {
				unseen, nu = unseen+float64(s), nu+1
			}
		}
	}
	if seen/float64(ns) < 0.5 || unseen/float64(nu) > 0.2 {
		t.Errorf("mean score of seen pairs %.3f (want near 1), unseen %.3f (want near 0)", seen/float64(ns), unseen/float64(nu))
	}
}
