package model

import (
	"math"
	"math/rand/v2"
	"testing"

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
