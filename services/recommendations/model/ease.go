package model

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// EASE is a linear item-to-item model with a closed form (Steck, "Embarrassingly Shallow
// Autoencoders for Sparse Data", 2019): the item-item weights B that best reconstruct
// each user's row of the interaction matrix X from the user's other items, min ‖X − XB‖²
// + λ‖B‖² with a zero diagonal (an item may not explain itself). With P = (XᵀX + λI)⁻¹
// the solution is B = I − P·diag(1/diag(P)): Bᵢⱼ = −Pᵢⱼ/Pⱼⱼ off the diagonal. Unlike
// item-kNN's cosines, the weights are learned jointly, so an item that merely co-occurs
// with the user's popular items, explained already by another, gets little.
//
// The price is a dense items×items matrix and its inverse: O(items²) memory (about 20
// bytes per pair while training, 4 kept) and O(items³) time, so TrainEASE refuses a
// dataset with more than MaxItems items that anybody interacted with (the others take
// no part) and the caller falls back to the other models: at 10,000 items it needs
// 2 GB and minutes, at 20,000 8 GB.
type EASE struct {
	Params EASEParams
	users  [][]Entry
	// index maps an item to its row of b, or -1 for an item nobody interacted with.
	index []int32
	items []int32 // the item of each row of b
	b     []float32
}

// EASEParams are EASE's knobs.
type EASEParams struct {
	Lambda   float64 // L2 regularisation, added to XᵀX's diagonal (default 300)
	MaxItems int     // most items TrainEASE accepts (default 10,000)
}

// ErrTooManyItems is returned by TrainEASE for a dataset with more items than it accepts.
var ErrTooManyItems = errors.New("too many items")

func (p *EASEParams) defaults() {
	if p.Lambda <= 0 {
		p.Lambda = 300
	}
	if p.MaxItems <= 0 {
		p.MaxItems = 10_000
	}
}

// TrainEASE computes the item-item weights of d, or refuses (ErrTooManyItems) when d has
// more than p.MaxItems items with interactions.
func TrainEASE(d *Dataset, p EASEParams) (*EASE, error) {
	p.defaults()
	m := &EASE{Params: p, users: d.Users, index: make([]int32, d.NItems())}
	for i := range m.index {
		m.index[i] = -1
	}
	for _, es := range d.Users {
		for _, e := range es {
			if m.index[e.Item] < 0 {
				m.index[e.Item] = 0 // seen; numbered below, in item order
			}
		}
	}
	for i, r := range m.index {
		if r == 0 {
			m.index[i] = int32(len(m.items))
			m.items = append(m.items, int32(i))
		}
	}
	n := len(m.items)
	if n > p.MaxItems {
		return nil, fmt.Errorf("ease: %d items with interactions, at most %d: %w", n, p.MaxItems, ErrTooManyItems)
	}
	if n == 0 {
		return m, nil
	}
	pinv, err := m.inverseGram(d, n)
	if err != nil {
		return nil, err
	}
	// B = −P·diag(1/diag(P)), zero diagonal; P is symmetric and its upper triangle is
	// stored, so Pᵢⱼ is read as P[min][max].
	raw := pinv.RawSymmetric()
	at := func(i, j int) float64 {
		if i > j {
			i, j = j, i
		}
		return raw.Data[i*raw.Stride+j]
	}
	m.b = make([]float32, n*n)
	for i := range n {
		row := m.b[i*n : (i+1)*n]
		for j := range n {
			if i != j {
				row[j] = float32(-at(i, j) / at(j, j))
			}
		}
	}
	return m, nil
}

// inverseGram returns (XᵀX + λI)⁻¹ over the rows of the items with interactions.
func (m *EASE) inverseGram(d *Dataset, n int) (*mat.SymDense, error) {
	g := mat.NewSymDense(n, nil)
	raw := g.RawSymmetric()
	for _, es := range d.Users {
		// Entries are by item, so rows are increasing: (a, b) with a ≤ b is the upper
		// triangle.
		for x, ea := range es {
			a, wa := int(m.index[ea.Item]), float64(ea.Weight)
			row := raw.Data[a*raw.Stride:]
			for _, eb := range es[x:] {
				row[m.index[eb.Item]] += wa * float64(eb.Weight)
			}
		}
	}
	for i := range n {
		raw.Data[i*raw.Stride+i] += m.Params.Lambda
	}
	var chol mat.Cholesky
	if !chol.Factorize(g) {
		return nil, errors.New("ease: XᵀX + λI is not positive definite")
	}
	// The inverse overwrites the Gram matrix, no longer needed.
	if err := chol.InverseTo(g); err != nil {
		return nil, fmt.Errorf("ease: invert XᵀX + λI: %w", err)
	}
	return g, nil
}

// Score adds, for each item the user interacted with, its row of B weighted by the
// interaction: the user's row of X times B.
func (m *EASE) Score(user int32, scores []float32) {
	n := len(m.items)
	for _, e := range m.users[user] {
		r := m.index[e.Item]
		if r < 0 {
			continue
		}
		row := m.b[int(r)*n : (int(r)+1)*n]
		for j, w := range row {
			scores[m.items[j]] += e.Weight * w
		}
	}
}
