package model

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// ALS is implicit matrix factorisation by alternating least squares with confidence
// weighting (WRMF: Hu, Koren and Volinsky, "Collaborative Filtering for Implicit Feedback
// Datasets", 2008): every (user, item) pair is a preference of 1 (interacted) or 0 (not),
// trusted with confidence 1 + Alpha·log(1 + weight/Epsilon) for the pairs seen and 1 for
// the rest; user and item factors minimise the confidence-weighted squared error plus Reg
// times their squared norms. Each least-squares step is solved approximately by a few
// conjugate-gradient steps started from the previous solution (Takács, Pilászy and Tikk,
// 2011), which never forms a user's matrix: the cost is linear in the entries.
type ALS struct {
	Params  ALSParams
	userVec [][]float64
	itemVec [][]float64
	gram    [][]float64 // YᵀY of the final item factors, for FoldIn
}

// ALSParams are ALS's knobs. Reg and Alpha's defaults are the best of a grid on a
// validation split of a MovieLens-shaped set (test/load movielens), where what mattered was
// their ratio (about 10: strong regularisation, little extra confidence in the pairs
// seen); factors, iterations and CG steps mattered little.
type ALSParams struct {
	Factors    int     // latent dimensions (default 32: on the MovieLens-shaped set 48 and 64 rank the same with the default regularisation, at 1.4 and 2 times the cost)
	Iterations int     // alternations (default 15)
	Reg        float64 // L2 regularisation (default 50)
	Alpha      float64 // confidence scale (default 5)
	Epsilon    float64 // confidence's weight unit (default 1)
	CGSteps    int     // conjugate-gradient steps per solve (default 3)
	Seed       uint64
}

func (p *ALSParams) defaults() {
	if p.Factors <= 0 {
		p.Factors = 32
	}
	if p.Iterations <= 0 {
		p.Iterations = 15
	}
	if p.Reg <= 0 {
		p.Reg = 50
	}
	if p.Alpha <= 0 {
		p.Alpha = 5
	}
	if p.Epsilon <= 0 {
		p.Epsilon = 1
	}
	if p.CGSteps <= 0 {
		p.CGSteps = 3
	}
}

// TrainALS factorises d.
func TrainALS(d *Dataset, p ALSParams) *ALS {
	p.defaults()
	m := &ALS{Params: p}
	rng := rand.New(rand.NewPCG(p.Seed, 42))
	init := func(n int) [][]float64 {
		vs := make([][]float64, n)
		for i := range vs {
			vs[i] = make([]float64, p.Factors)
			for f := range vs[i] {
				vs[i][f] = rng.NormFloat64() * 0.01
			}
		}
		return vs
	}
	m.userVec, m.itemVec = init(d.NUsers()), init(d.NItems())
	items := d.Items()
	for range p.Iterations {
		m.solve(m.userVec, m.itemVec, d.Users)
		m.solve(m.itemVec, m.userVec, items)
	}
	m.gram = gramOf(m.itemVec, p.Factors)
	return m
}

// confidence is how much a seen pair is trusted beyond an unseen one (c - 1).
func (m *ALS) confidence(weight float32) float64 {
	return m.Params.Alpha * math.Log1p(float64(weight)/m.Params.Epsilon)
}

// solve updates each row of xs (users or items) given the fixed other side ys and the
// rows' entries: (YᵀY + Yᵀ(C-I)Y + λI) x = YᵀCp, by conjugate gradient from x.
func (m *ALS) solve(xs, ys [][]float64, rows [][]Entry) {
	k := m.Params.Factors
	// YᵀY once for all rows: the unseen pairs' part of every row's matrix.
	gram := flat(gramOf(ys, k))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	// Rows go to the workers in batches: one channel send per row costs more than a
	// short row's solve.
	const batch = 256
	next := make(chan int, workers)
	for range workers {
		wg.Go(func() {
			var s cgScratch
			for start := range next {
				for u := start; u < min(start+batch, len(rows)); u++ {
					m.cg(xs[u], ys, rows[u], gram, m.Params.CGSteps, &s)
				}
			}
		})
	}
	for start := 0; start < len(rows); start += batch {
		next <- start
	}
	close(next)
	wg.Wait()
}

// gramOf is YᵀY, k×k, for the rows ys of k factors.
func gramOf(ys [][]float64, k int) [][]float64 {
	y := mat.NewDense(max(len(ys), 1), k, nil)
	for i, v := range ys {
		y.SetRow(i, v)
	}
	var yty mat.SymDense
	yty.SymOuterK(1, y.T())
	gram := make([][]float64, k)
	for f := range k {
		gram[f] = make([]float64, k)
		for g := range k {
			gram[f][g] = yty.At(f, g)
		}
	}
	return gram
}

// flat is a k×k matrix as one row-major block, for BLAS.
func flat(g [][]float64) blas64.General {
	k := len(g)
	out := blas64.General{Rows: k, Cols: k, Stride: k, Data: make([]float64, 0, k*k)}
	for _, row := range g {
		out.Data = append(out.Data, row...)
	}
	return out
}

// cgScratch are one solver's vectors, reused from row to row.
type cgScratch struct {
	r, p, ap []float64
	conf     []float64
}

// cg runs steps of conjugate gradient on one row's system, in place on x.
func (m *ALS) cg(x []float64, ys [][]float64, entries []Entry, gram blas64.General, steps int, s *cgScratch) {
	k := len(x)
	if len(s.r) != k {
		s.r, s.p, s.ap = make([]float64, k), make([]float64, k), make([]float64, k)
	}
	r, p, ap := s.r, s.p, s.ap
	// The entries' confidences once per row rather than once per product.
	s.conf = s.conf[:0]
	for _, e := range entries {
		s.conf = append(s.conf, m.confidence(e.Weight))
	}
	// A·v = YᵀY v + Σ c'ᵢ (yᵢ·v) yᵢ + λ v, with c' = c - 1 over the row's entries; YᵀY v
	// is one BLAS matrix-vector product.
	apply := func(v, out []float64) {
		copy(out, v)
		blas64.Gemv(blas.NoTrans, 1, gram, blas64.Vector{N: k, Inc: 1, Data: v}, m.Params.Reg, blas64.Vector{N: k, Inc: 1, Data: out})
		for i, e := range entries {
			y := ys[e.Item]
			floats.AddScaled(out, s.conf[i]*floats.Dot(y, v), y)
		}
	}
	// r = b - A·x, b = Σ cᵢ yᵢ (preference 1 on the seen pairs).
	apply(x, ap)
	for f := range r {
		r[f] = -ap[f]
	}
	for i, e := range entries {
		floats.AddScaled(r, 1+s.conf[i], ys[e.Item])
	}
	copy(p, r)
	rr := floats.Dot(r, r)
	for range steps {
		if rr < 1e-20 {
			return
		}
		apply(p, ap)
		alpha := rr / floats.Dot(p, ap)
		floats.AddScaled(x, alpha, p)
		floats.AddScaled(r, -alpha, ap)
		next := floats.Dot(r, r)
		for f := range p {
			p[f] = r[f] + next/rr*p[f]
		}
		rr = next
	}
}

// Score is the dot product of the user's factors with every item's.
func (m *ALS) Score(user int32, scores []float32) {
	u := m.userVec[user]
	for i, v := range m.itemVec {
		scores[i] = float32(floats.Dot(u, v))
	}
}

// FoldIn writes into out (Factors long) the factors of a user with history entries,
// against the trained item factors: the half-step a user gets in training, solved from
// zero rather than warm-started, with as many conjugate-gradient steps as factors (in
// exact arithmetic, the exact solution). A user unknown at training time, or whose
// history changed since, is scored as a trained one would be.
func (m *ALS) FoldIn(entries []Entry, out []float64) {
	k := m.Params.Factors
	clear(out[:k])
	m.cg(out[:k], m.itemVec, entries, flat(m.Gram()), k, &cgScratch{})
}

// ItemFactors are the trained item factors, by item: shared, not to be modified.
func (m *ALS) ItemFactors() [][]float64 { return m.itemVec }

// Gram is YᵀY (Factors×Factors) of the trained item factors, the part of every user's
// system that does not depend on their history: shared, not to be modified.
func (m *ALS) Gram() [][]float64 {
	if m.gram == nil { // not from TrainALS
		return gramOf(m.itemVec, m.Params.Factors)
	}
	return m.gram
}
