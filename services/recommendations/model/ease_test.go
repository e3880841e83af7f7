package model

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Each column of B is a ridge regression of the item on the others: checked against a
// direct solve of (X₋ⱼᵀX₋ⱼ + λI) b = X₋ⱼᵀxⱼ on a small random dataset with weights, and
// an item nobody interacted with.
func TestEASEIsRidgeRegressionOnTheOtherItems(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	b := NewBuilder()
	const users, items, lambda = 40, 7, 3.0
	b.Add(0, items, 1, 0) // item 7: one interaction, then removed below
	for u := range int64(users) {
		for i := range int64(items) {
			if rng.Float64() < 0.4 {
				b.Add(u, i, float32(1+rng.IntN(3)), 0)
			}
		}
	}
	d := b.Dataset()
	unseen := d.Users[0][0].Item
	d.Users[0] = d.Users[0][1:]
	m, err := TrainEASE(d, EASEParams{Lambda: lambda})
	if err != nil {
		t.Fatal(err)
	}
	x := mat.NewDense(users, d.NItems(), nil)
	for u, es := range d.Users {
		for _, e := range es {
			x.Set(u, int(e.Item), float64(e.Weight))
		}
	}
	for _, j := range m.items {
		var others []int
		for _, i := range m.items {
			if i != j {
				others = append(others, int(i))
			}
		}
		xo := mat.NewDense(users, len(others), nil)
		for c, i := range others {
			for u := range users {
				xo.Set(u, c, x.At(u, i))
			}
		}
		var a mat.Dense
		a.Mul(xo.T(), xo)
		for c := range others {
			a.Set(c, c, a.At(c, c)+lambda)
		}
		var rhs, want mat.VecDense
		rhs.MulVec(xo.T(), x.ColView(int(j)))
		if err := want.SolveVec(&a, &rhs); err != nil {
			t.Fatal(err)
		}
		n := len(m.items)
		for c, i := range others {
			got := m.b[int(m.index[i])*n+int(m.index[j])]
			if math.Abs(float64(got)-want.AtVec(c)) > 1e-4 {
				t.Errorf("B[%d][%d] = %.6f, want %.6f", i, j, got, want.AtVec(c))
			}
		}
		if got := m.b[int(m.index[j])*n+int(m.index[j])]; got != 0 {
			t.Errorf("B[%d][%d] = %v, want 0: an item may not explain itself", j, j, got)
		}
	}
	if m.index[unseen] != -1 || len(m.items) != items {
		t.Errorf("the item nobody interacted with has row %d (of %d)", m.index[unseen], len(m.items))
	}
}

func TestEASERefusesTooManyItems(t *testing.T) {
	d, _ := planted(6)
	if _, err := TrainEASE(d, EASEParams{MaxItems: d.NItems() - 1}); !errors.Is(err, ErrTooManyItems) {
		t.Errorf("got %v, want ErrTooManyItems", err)
	}
	if _, err := TrainEASE(d, EASEParams{MaxItems: d.NItems()}); err != nil {
		t.Errorf("at the limit: %v", err)
	}
}

func TestEASERecoversPlantedCommunities(t *testing.T) {
	d, community := planted(3)
	train, test := SplitRandom(d, 0.2, 7)
	m, err := TrainEASE(train, EASEParams{Lambda: 200})
	if err != nil {
		t.Fatal(err)
	}
	me, mp := Evaluate(m, train, test, 10), Evaluate(TrainPopular(train), train, test, 10)
	t.Logf("EASE    %+v\npopular %+v", me, mp)
	if me.Precision < 1.3*mp.Precision || me.NDCG < 1.3*mp.NDCG {
		t.Errorf("EASE (P@10 %.3f, NDCG %.3f) does not beat popularity (%.3f, %.3f) clearly", me.Precision, me.NDCG, mp.Precision, mp.NDCG)
	}
	if share := communityShare(m, train, community); share < 0.99 {
		t.Errorf("%.1f%% of EASE's recommendations are in the user's community, want all", 100*share)
	}
}

// communityShare is the share of m's top 10 for the users of train that are in their
// community (planted's: items 0-59 and 60-119).
func communityShare(m Scorer, train *Dataset, community func(int32) int) float64 {
	inside, all := 0, 0
	scores := make([]float32, train.NItems())
	for u := range int32(train.NUsers()) {
		clear(scores)
		m.Score(u, scores)
		for _, it := range TopK(scores, train.Users[u], 10) {
			all++
			if int(train.ItemIDs[it]/60) == community(u) {
				inside++
			}
		}
	}
	return float64(inside) / float64(all)
}
