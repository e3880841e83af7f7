package model

import "testing"

func TestBPRRecoversPlantedCommunities(t *testing.T) {
	d, community := planted(3)
	train, test := SplitRandom(d, 0.2, 7)
	m := TrainBPR(train, BPRParams{Factors: 8, Seed: 1})
	mb, mp := Evaluate(m, train, test, 10), Evaluate(TrainPopular(train), train, test, 10)
	t.Logf("BPR     %+v\npopular %+v", mb, mp)
	if mb.Precision < 1.3*mp.Precision || mb.NDCG < 1.3*mp.NDCG {
		t.Errorf("BPR (P@10 %.3f, NDCG %.3f) does not beat popularity (%.3f, %.3f) clearly", mb.Precision, mb.NDCG, mp.Precision, mp.NDCG)
	}
	if share := communityShare(m, train, community); share < 0.95 {
		t.Errorf("%.1f%% of BPR's recommendations are in the user's community, want at least 95%%", 100*share)
	}
}

// The same seed trains the same model.
func TestBPRIsDeterministic(t *testing.T) {
	d, _ := planted(4)
	a, b := TrainBPR(d, BPRParams{Factors: 4, Epochs: 3, Seed: 5}), TrainBPR(d, BPRParams{Factors: 4, Epochs: 3, Seed: 5})
	sa, sb := make([]float32, d.NItems()), make([]float32, d.NItems())
	for u := range int32(d.NUsers()) {
		a.Score(u, sa)
		b.Score(u, sb)
		for i := range sa {
			if sa[i] != sb[i] {
				t.Fatalf("user %d, item %d: %v and %v", u, i, sa[i], sb[i])
			}
		}
	}
}
