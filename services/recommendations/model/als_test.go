package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// A half-step solves each row's normal equations, (YᵀCY + λI) x = YᵀCp over every item
// (C and p 1 and 0 on the items not seen): given as many conjugate-gradient steps as
// factors, it lands on the direct solution. Checked on more items than factors, so that
// YᵀY (k×k) and YYᵀ (items×items) cannot be confused.
func TestALSSolveMatchesTheNormalEquations(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const k, items, lambda = 4, 30, 0.5
	ys := make([][]float64, items)
	for i := range ys {
		ys[i] = make([]float64, k)
		for f := range ys[i] {
			ys[i][f] = rng.NormFloat64()
		}
	}
	entries := []Entry{{Item: 2, Weight: 1}, {Item: 7, Weight: 3}, {Item: 19, Weight: 1}}
	m := &ALS{Params: ALSParams{Factors: k, Reg: lambda, Alpha: 2, Epsilon: 1, CGSteps: 2 * k}}
	xs := [][]float64{make([]float64, k)}
	m.solve(xs, ys, [][]Entry{entries})

	a := mat.NewDense(k, k, nil)
	b := mat.NewVecDense(k, nil)
	conf, pref := make([]float64, items), make([]float64, items)
	for i := range conf {
		conf[i] = 1
	}
	for _, e := range entries {
		conf[e.Item], pref[e.Item] = 1+m.confidence(e.Weight), 1
	}
	for i, y := range ys {
		for f := range k {
			for g := range k {
				a.Set(f, g, a.At(f, g)+conf[i]*y[f]*y[g])
			}
			b.SetVec(f, b.AtVec(f)+conf[i]*pref[i]*y[f])
		}
	}
	for f := range k {
		a.Set(f, f, a.At(f, f)+lambda)
	}
	var want mat.VecDense
	if err := want.SolveVec(a, b); err != nil {
		t.Fatal(err)
	}
	for f := range k {
		if math.Abs(xs[0][f]-want.AtVec(f)) > 1e-6 {
			t.Fatalf("x = %.6f, want %.6f", xs[0], mat.Formatted(want.T()))
		}
	}
}

// Folding in a trained user's history gives nearly the factors training gave them: the
// same top 10 but for an item or so.
func TestALSFoldInMatchesTrainedUsers(t *testing.T) {
	d, _ := planted(5)
	m := TrainALS(d, ALSParams{Factors: 16, Iterations: 10, Seed: 3})
	trained, folded := make([]float32, d.NItems()), make([]float32, d.NItems())
	u := make([]float64, m.Params.Factors)
	overlap, all := 0, 0
	for user, es := range d.Users {
		m.Score(int32(user), trained)
		m.FoldIn(es, u)
		for i, v := range m.ItemFactors() {
			folded[i] = float32(floats.Dot(u, v))
		}
		want := map[int32]bool{}
		for _, it := range TopK(trained, es, 10) {
			want[it] = true
		}
		for _, it := range TopK(folded, es, 10) {
			if want[it] {
				overlap++
			}
			all++
		}
	}
	if share := float64(overlap) / float64(all); share < 0.9 {
		t.Errorf("folded-in users share %.1f%% of their top 10 with the trained ones, want at least 90%%", 100*share)
	}
	// With no history, a user has no taste: zero factors.
	m.FoldIn(nil, u)
	if floats.Norm(u, 2) != 0 {
		t.Errorf("an empty history folds in to %v, want zeros", u)
	}
}

func TestALSGramIsTheItemFactorsInnerProducts(t *testing.T) {
	d, _ := planted(6)
	m := TrainALS(d, ALSParams{Factors: 4, Iterations: 2, Seed: 1})
	g := m.Gram()
	for f := range 4 {
		for h := range 4 {
			want := 0.0
			for _, v := range m.ItemFactors() {
				want += v[f] * v[h]
			}
			if math.Abs(g[f][h]-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Errorf("Gram[%d][%d] = %v, want %v", f, h, g[f][h], want)
			}
		}
	}
}
