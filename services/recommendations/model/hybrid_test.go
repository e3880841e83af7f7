package model

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// plantedDocs gives the planted communities' items text: each community has its own
// subject, with words of both in some descriptions so that text alone is a good but
// imperfect guide.
func plantedDocs(d *Dataset, seed uint64) []Doc {
	rng := rand.New(rand.NewPCG(seed, 3))
	subjects := [][]string{
		{"jazz", "concert", "saxophone", "quartet", "improvisation", "swing"},
		{"python", "workshop", "programming", "compiler", "debugging", "testing"},
	}
	docs := make([]Doc, d.NItems())
	for i, id := range d.ItemIDs {
		own, other := subjects[id/60], subjects[1-id/60]
		pick := func(ws []string, n int) string {
			var out []string
			for range n {
				out = append(out, ws[rng.IntN(len(ws))])
			}
			return fmt.Sprint(out)
		}
		docs[i] = Doc{
			Title:       pick(own, 2),
			Description: pick(own, 6) + " with friends and " + pick(other, 1),
			Category:    []string{"music", "tech"}[id/60],
		}
	}
	return docs
}

func TestContentRecoversPlantedCommunities(t *testing.T) {
	d, community := planted(1)
	train, test := SplitRandom(d, 0.2, 7)
	content := TrainContent(train, plantedDocs(d, 1))
	mc, mp := Evaluate(content, train, test, 10), Evaluate(TrainPopular(train), train, test, 10)
	t.Logf("content %+v\npopular %+v", mc, mp)
	scores := make([]float32, train.NItems())
	inside, all := 0, 0
	for u := range int32(train.NUsers()) {
		clear(scores)
		content.Score(u, scores)
		for _, it := range TopK(scores, train.Users[u], 10) {
			all++
			if int(d.ItemIDs[it]/60) == community(u) {
				inside++
			}
		}
	}
	if share := float64(inside) / float64(all); share < 0.95 {
		t.Errorf("%.1f%% of content's recommendations are in the user's community, want at least 95%%", 100*share)
	}
}

func TestVocabularyStemsDropsStopWordsAndWeighsRareTermsMore(t *testing.T) {
	docs := []Doc{
		{Title: "Jazz evenings", Description: "An evening of jazz in the park", Category: "Music"},
		{Title: "Rock evening", Category: "music"},
		{Title: "Go meetup", Tags: []string{"golang"}, Category: "Tech"},
	}
	v := NewVocabulary(docs)
	for _, w := range []string{"the", "of", "an", "in"} {
		if _, ok := v.index[w]; ok {
			t.Errorf("stop word %q is a term", w)
		}
	}
	even, ok1 := v.index["even"] // "evening" and "evenings" stem to one term
	jazz, ok2 := v.index["jazz"]
	if !ok1 || !ok2 {
		t.Fatalf("terms: %v", v.Terms)
	}
	if v.IDF[jazz] <= v.IDF[even] {
		t.Errorf("idf(jazz) %.3f, in one doc, should exceed idf(even) %.3f, in two", v.IDF[jazz], v.IDF[even])
	}
	if _, ok := v.index["category:music"]; !ok {
		t.Errorf("categories are not terms (case folded): %v", v.Terms)
	}
	// A new document is weighed by the vocabulary; unknown words are left out.
	got := v.Vector(Doc{Title: "Jazz brunch"})
	if len(got.Terms) != 1 || got.Terms[0] != jazz || math.Abs(float64(got.Weights[0])-1) > 1e-6 {
		t.Errorf("Vector(Jazz brunch) = %+v, want only jazz, normalised", got)
	}
	if s := v.Vector(docs[0]).Dot(v.Vector(docs[1])); s <= 0 || s >= v.Vector(docs[0]).Dot(v.Vector(docs[0])) {
		t.Errorf("jazz evenings · rock evening = %.3f: want between 0 and the self-similarity", s)
	}
}

func TestSnapshotRoundTripsAndServesWhatWasTrained(t *testing.T) {
	d, _ := planted(2)
	docs := plantedDocs(d, 2)
	s := Train(d, docs, Config{KNN: KNNParams{K: 30}, ALS: ALSParams{Factors: 8, Iterations: 6, Seed: 1}})
	b, err := s.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeSnapshot(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.ItemIDs, s.ItemIDs) || len(got.Neighbors) != len(s.Neighbors) || got.ALS == nil || got.Content == nil {
		t.Fatalf("decoded snapshot lost parts")
	}
	// The ranker's components give the models' own scores for a trained user.
	r := NewRanker(got, nil)
	knn := TrainItemKNN(d, KNNParams{K: 30})
	rs := &RankerScorer{Ranker: r, Train: d, Component: KNNModel}
	want, have := make([]float32, d.NItems()), make([]float32, d.NItems())
	for u := range int32(5) {
		clear(want)
		clear(have)
		knn.Score(u, want)
		rs.Score(u, have)
		for i := range want {
			if math.Abs(float64(want[i]-have[i])) > 1e-4 {
				t.Fatalf("user %d item %d: ranker's kNN %.4f, model's %.4f", u, i, have[i], want[i])
			}
		}
	}
	// A corrupt snapshot is refused, not served.
	bad := *s
	bad.Popularity = bad.Popularity[:3]
	b, _ = bad.Bytes()
	if _, err := DecodeSnapshot(bytes.NewReader(b)); err == nil {
		t.Error("a snapshot with 3 popularity scores for 120 items was accepted")
	}
	if _, err := DecodeSnapshot(bytes.NewReader([]byte("not a model"))); err == nil {
		t.Error("garbage decoded")
	}
}

// Folding a trained user's history into the item factors finds about the user's own
// vector: the same recommendations.
func TestALSFoldInMatchesTheTrainedUser(t *testing.T) {
	d, _ := planted(3)
	als := TrainALS(d, ALSParams{Factors: 16, Iterations: 10, Seed: 1})
	s := Train(d, nil, Config{Components: []Component{ALSModel}, ALS: als.Params})
	s.ALS.Items = make([][]float32, len(als.itemVec)) // exactly als's factors
	for i, v := range als.itemVec {
		for _, x := range v {
			s.ALS.Items[i] = append(s.ALS.Items[i], float32(x))
		}
	}
	rs := &RankerScorer{Ranker: NewRanker(s, nil), Train: d, Component: ALSModel}
	trained, folded := make([]float32, d.NItems()), make([]float32, d.NItems())
	overlap, total := 0, 0
	for u := range int32(d.NUsers()) {
		als.Score(u, trained)
		rs.Score(u, folded)
		a, b := TopK(trained, d.Users[u], 10), TopK(folded, d.Users[u], 10)
		for _, it := range a {
			total++
			if slices.Contains(b, it) {
				overlap++
			}
		}
	}
	if share := float64(overlap) / float64(total); share < 0.8 {
		t.Errorf("fold-in shares %.0f%% of the trained users' top 10, want at least 80%%", 100*share)
	}
}

func TestBlendScalesEachComponentByItsBestAllowedItem(t *testing.T) {
	parts := map[Component][]float32{
		KNNModel:        {4, 2, 1, 100}, // item 3 is not allowed: 4 is the best
		PopularityModel: {0, 10, 5, 0},
	}
	out := make([]float32, 4)
	Blend(parts, Weights{KNNModel: 0.5, PopularityModel: 0.5}, []bool{true, true, true, false}, out)
	want := []float32{0.5, 0.25 + 0.5, 0.125 + 0.25, 0}
	for i := range want {
		if math.Abs(float64(out[i]-want[i])) > 1e-6 {
			t.Fatalf("Blend = %v, want %v", out, want)
		}
	}
}

// With one informative component and one that only knows what is popular, tuning gives
// the informative one the larger weight and does at least as well as the default.
func TestTuneWeightsFavoursTheComponentThatPredicts(t *testing.T) {
	d, _ := planted(5)
	train, valid := SplitRandom(d, 0.2, 11)
	s := Train(train, nil, Config{Components: []Component{KNNModel}, KNN: KNNParams{K: 50}, Weights: Weights{KNNModel: 0.5, PopularityModel: 0.5}})
	r := NewRanker(s, nil)
	w, ndcg := TuneWeights(r, train, valid, 10, 0.1)
	def := Evaluate(&RankerScorer{Ranker: r, Train: train}, train, valid, 10).NDCG
	t.Logf("tuned %v: NDCG %.3f; default NDCG %.3f", w, ndcg, def)
	if w[KNNModel] <= w[PopularityModel] {
		t.Errorf("tuned weights %v: want item-kNN above popularity", w)
	}
	if ndcg < def-1e-9 {
		t.Errorf("tuned NDCG %.4f below the default's %.4f", ndcg, def)
	}
	if tuned := Evaluate(&RankerScorer{Ranker: r, Train: train, Weights: w}, train, valid, 10).NDCG; math.Abs(tuned-ndcg) > 0.02 {
		t.Errorf("the tuned weights evaluate to NDCG %.4f, tuning said %.4f", tuned, ndcg)
	}
}

// A new event, unknown to the snapshot, is recommended from its text at once.
func TestRankerScoresNewItemsByContent(t *testing.T) {
	d, _ := planted(6)
	docs := plantedDocs(d, 6)
	s := Train(d, docs, Config{Components: []Component{ContentModel}})
	r := NewRanker(s, map[int64]Doc{
		1000: {Title: "Jazz quartet", Description: "saxophone and swing", Category: "music"},
		1001: {Title: "Compiler workshop", Description: "programming and debugging", Category: "tech"},
	})
	jazzFan := []Interaction{{Item: 0, Weight: 1}, {Item: 1, Weight: 1}} // items 0..59 are jazz
	scores := make([]float32, r.Len())
	r.Score(ContentModel, jazzFan, "", scores)
	jazz, _ := r.Index(1000)
	code, _ := r.Index(1001)
	if scores[jazz] <= scores[code] || scores[jazz] <= 0 {
		t.Errorf("a jazz fan scores the new jazz event %.3f, the new compiler workshop %.3f", scores[jazz], scores[code])
	}
	// Cold start: no history, stated interests.
	r.Score(ContentModel, nil, "programming", scores)
	if scores[code] <= scores[jazz] {
		t.Errorf("interest in programming scores the workshop %.3f, the jazz event %.3f", scores[code], scores[jazz])
	}
	if from, ok := r.Because(jazzFan, jazz); !ok || (from != 0 && from != 1) {
		t.Errorf("Because = %d, %v; want one of the jazz items", from, ok)
	}
}

// BenchmarkRankerScore scores 50,000 items for a history of 20, per component: the work
// of one uncached page of recommendations.
func BenchmarkRankerScore(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	bl := NewBuilder()
	for range 1_000_000 {
		u := int64(rng.IntN(100_000))
		bl.Add(u, int64(skewed(rng, 50_000)), 1, 0)
	}
	d := bl.Dataset()
	docs := make([]Doc, d.NItems())
	words := strings.Fields("jazz rock swing python golang compiler yoga run food wine art museum talk workshop meetup festival film theatre dance kids")
	for i := range docs {
		docs[i] = Doc{Title: words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))], Category: words[rng.IntN(5)]}
	}
	s := Train(d, docs, Config{ALS: ALSParams{Iterations: 1}})
	r := NewRanker(s, nil)
	hist := r.History(d.UserIDs[0])
	for len(hist) < 20 {
		hist = append(hist, Interaction{Item: d.ItemIDs[rng.IntN(d.NItems())], Weight: 1})
	}
	scores := make([]float32, r.Len())
	for _, c := range Components {
		b.Run(string(c), func(b *testing.B) {
			for b.Loop() {
				r.Score(c, hist, "", scores)
			}
		})
	}
	b.Run("topk", func(b *testing.B) {
		for b.Loop() {
			TopK(scores, nil, 60)
		}
	})
}

func skewed(rng *rand.Rand, n int) int { return int(float64(n) * math.Pow(rng.Float64(), 3)) }

// Judging the components and the blend in one pass gives what judging each alone gives.
func TestEvaluateAllAgreesWithEvaluate(t *testing.T) {
	d, _ := planted(8)
	train, test := SplitRandom(d, 0.2, 3)
	r := NewRanker(Train(train, plantedDocs(d, 8), Config{KNN: KNNParams{K: 30}, ALS: ALSParams{Factors: 8, Iterations: 5, Seed: 1}}), nil)
	h := NewHybridScorer(r, train)
	all := EvaluateAll(func() MultiScorer { return NewHybridScorer(r, train) }, len(h.Models()), 3, train, test, 10)
	for i, c := range h.Models() {
		want := Evaluate(&RankerScorer{Ranker: r, Train: train, Component: c}, train, test, 10)
		if fmt.Sprintf("%+.9v", all[i]) != fmt.Sprintf("%+.9v", want) {
			t.Errorf("%q: in one pass %+v, alone %+v", c, all[i], want)
		}
	}
}

// BenchmarkBlend blends four components over 50,000 items, a tenth of them not allowed.
func BenchmarkBlend(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 50_000
	parts := map[Component][]float32{}
	for _, c := range Components {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		parts[c] = s
	}
	allowed := make([]bool, n)
	for i := range allowed {
		allowed[i] = rng.IntN(10) > 0
	}
	out := make([]float32, n)
	for b.Loop() {
		Blend(parts, DefaultWeights(), allowed, out)
	}
}

func TestPositiveClampsNegativesToZero(t *testing.T) {
	for v, want := range map[float32]float32{3.5: 3.5, 0: 0, -0.0001: 0, -7: 0, float32(math.Inf(-1)): 0, 1e-40: 1e-40} {
		if got := positive(v); got != want || math.Signbit(float64(got)) {
			t.Errorf("positive(%v) = %v, want %v", v, got, want)
		}
	}
}
