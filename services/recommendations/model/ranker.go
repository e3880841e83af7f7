package model

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Interaction is one item in a user's history at serving time: what the user did with
// it, as a weight.
type Interaction struct {
	Item   int64
	Weight float32
}

// Ranker serves a snapshot: it scores every item it knows for a user's history. It knows
// the snapshot's items and, for the content model, items trained after it (new events,
// which have no interactions yet but have text). Read-only once built: safe for any
// number of goroutines.
type Ranker struct {
	snap     *Snapshot
	ids      []int64 // the snapshot's items, then the new ones
	index    map[int64]int32
	vocab    *Vocabulary
	vectors  []Vector
	postings [][]posting
	// ALS: the model, to fold a history in, and its item factors row by row in float32,
	// for scoring every item with one BLAS product.
	als    *ALS
	matrix blas32.General
	users  map[int64]int32
}

// NewRanker prepares s for serving, with the text of items s does not know: they get
// slots after s's own and are scored by content only (items s knows are ignored in
// extra).
func NewRanker(s *Snapshot, extra map[int64]Doc) *Ranker {
	r := &Ranker{snap: s, ids: append([]int64(nil), s.ItemIDs...), index: make(map[int64]int32, len(s.ItemIDs)+len(extra))}
	for i, id := range s.ItemIDs {
		r.index[id] = int32(i)
	}
	var added []int64
	for id := range extra {
		if _, known := r.index[id]; !known {
			added = append(added, id)
		}
	}
	slices.Sort(added)
	for _, id := range added {
		r.index[id] = int32(len(r.ids))
		r.ids = append(r.ids, id)
	}
	if c := s.Content; c != nil {
		r.vocab = &Vocabulary{Terms: c.Terms, IDF: c.IDF}
		r.vocab.buildIndex()
		r.vectors = append([]Vector(nil), c.Vectors...)
		for _, id := range added {
			r.vectors = append(r.vectors, r.vocab.Vector(extra[id]))
		}
		r.postings = make([][]posting, len(c.Terms))
		for it, v := range r.vectors {
			for i, t := range v.Terms {
				r.postings[t] = append(r.postings[t], posting{int32(it), v.Weights[i]})
			}
		}
	}
	r.users = make(map[int64]int32, len(s.UserIDs))
	for u, id := range s.UserIDs {
		r.users[id] = int32(u)
	}
	if a := s.ALS; a != nil {
		k := a.Params.Factors
		r.matrix = blas32.General{Rows: len(a.Items), Cols: k, Stride: k, Data: make([]float32, 0, len(a.Items)*k)}
		items := make([][]float64, len(a.Items))
		for i, v := range a.Items {
			r.matrix.Data = append(r.matrix.Data, v...)
			items[i] = make([]float64, k)
			for f, x := range v {
				items[i][f] = float64(x)
			}
		}
		r.als = &ALS{Params: a.Params, itemVec: items, gram: gramOf(items, k)}
	}
	return r
}

// Snapshot is the snapshot r serves.
func (r *Ranker) Snapshot() *Snapshot { return r.snap }

// Len is how many items r scores: the slots of a scores slice.
func (r *Ranker) Len() int { return len(r.ids) }

// ID is the id of item i.
func (r *Ranker) ID(i int32) int64 { return r.ids[i] }

// Index is the item of an id, and whether r knows it.
func (r *Ranker) Index(id int64) (int32, bool) {
	i, ok := r.index[id]
	return i, ok
}

// History is what a user had done by training time, strongest first.
func (r *Ranker) History(user int64) []Interaction {
	u, ok := r.users[user]
	if !ok {
		return nil
	}
	es := r.snap.Histories[u]
	out := make([]Interaction, len(es))
	for k, e := range es {
		out[k] = Interaction{Item: r.snap.ItemIDs[e.Item], Weight: e.Weight}
	}
	slices.SortFunc(out, func(a, b Interaction) int {
		return cmp.Or(cmp.Compare(b.Weight, a.Weight), cmp.Compare(a.Item, b.Item))
	})
	return out
}

// components are the components r can score with, in Components' order.
func (r *Ranker) components() []Component {
	var out []Component
	for _, c := range Components {
		if r.Has(c) {
			out = append(out, c)
		}
	}
	return out
}

// Has reports whether r can score with component c.
func (r *Ranker) Has(c Component) bool {
	switch c {
	case PopularityModel:
		return true
	case KNNModel:
		return r.snap.Neighbors != nil
	case ALSModel:
		return r.snap.ALS != nil
	case ContentModel:
		return r.snap.Content != nil
	}
	return false
}

// entries maps a history to r's items, dropping the unknown.
func (r *Ranker) entries(hist []Interaction) []Entry {
	es := make([]Entry, 0, len(hist))
	for _, h := range hist {
		if i, ok := r.index[h.Item]; ok && h.Weight > 0 {
			es = append(es, Entry{Item: i, Weight: h.Weight})
		}
	}
	return es
}

// Score writes component c's scores for a history into scores (one slot per item,
// cleared first); interests is extra text of the user's taste for the content model (a
// profile's stated interests), used alone when the history is empty.
func (r *Ranker) Score(c Component, hist []Interaction, interests string, scores []float32) {
	clear(scores)
	es := r.entries(hist)
	n := len(r.snap.ItemIDs)
	switch c {
	case PopularityModel:
		copy(scores, r.snap.Popularity)
	case KNNModel:
		if r.snap.Neighbors == nil {
			return
		}
		for _, e := range es {
			if int(e.Item) >= n {
				continue
			}
			for _, nb := range r.snap.Neighbors[e.Item] {
				scores[nb.Item] += nb.Sim * e.Weight
			}
		}
	case ALSModel:
		a := r.snap.ALS
		if a == nil {
			return
		}
		known := es[:0:0]
		for _, e := range es {
			if int(e.Item) < n {
				known = append(known, e)
			}
		}
		if len(known) == 0 {
			return
		}
		u := r.foldIn(known)
		// scores = Y·u: one matrix-vector product, vectorised by gonum's BLAS.
		blas32.Gemv(blas.NoTrans, 1, r.matrix, blas32.Vector{N: len(u), Inc: 1, Data: u}, 0,
			blas32.Vector{N: r.matrix.Rows, Inc: 1, Data: scores[:r.matrix.Rows]})
	case ContentModel:
		if r.vocab == nil {
			return
		}
		r.scoreContent(r.profile(es, interests), scores)
	}
}

// profile is the content profile of a history and stated interests.
func (r *Ranker) profile(es []Entry, interests string) Vector {
	items, weights := make([]Vector, 0, len(es)+1), make([]float32, 0, len(es)+1)
	for _, e := range es {
		items, weights = append(items, r.vectors[e.Item]), append(weights, e.Weight)
	}
	if interests != "" {
		items, weights = append(items, r.vocab.Vector(Doc{Tags: []string{interests}})), append(weights, 1)
	}
	return Profile(items, weights)
}

func (r *Ranker) scoreContent(p Vector, scores []float32) {
	for i, t := range p.Terms {
		w := p.Weights[i]
		for _, ps := range r.postings[t] {
			scores[ps.item] += w * ps.weight
		}
	}
}

// foldIn is the user vector that explains a history against the item factors, as ALS
// itself would solve it (ALS.FoldIn).
func (r *Ranker) foldIn(es []Entry) []float32 {
	k := r.als.Params.Factors
	x := make([]float64, k)
	r.als.FoldIn(es, x)
	out := make([]float32, k)
	for f, v := range x {
		out[f] = float32(v)
	}
	return out
}

// Similar writes into scores how similar each item is to item by content (cosine) and by
// co-interaction (item-kNN), each weighted as the hybrid weighs them.
func (r *Ranker) Similar(item int32, scores []float32) {
	clear(scores)
	w := r.snap.Weights
	if r.vocab != nil {
		v := r.vectors[item]
		wc := float32(max(w[ContentModel], 0.1))
		for i, t := range v.Terms {
			for _, ps := range r.postings[t] {
				scores[ps.item] += wc * v.Weights[i] * ps.weight
			}
		}
	}
	if r.snap.Neighbors != nil && int(item) < len(r.snap.Neighbors) {
		wk := float32(max(w[KNNModel]+w[ALSModel], 0.1))
		ns := r.snap.Neighbors[item]
		if len(ns) > 0 && ns[0].Sim > 0 {
			for _, nb := range ns {
				scores[nb.Item] += wk * nb.Sim / ns[0].Sim
			}
		}
	}
	scores[item] = 0
}

// Because names the item of a history that most explains recommending item: the one
// it is most similar to, by co-interaction or by text; ok is false when none is.
func (r *Ranker) Because(hist []Interaction, item int32) (from int64, ok bool) {
	best := float32(0)
	for _, e := range r.entries(hist) {
		var sim float32
		if r.snap.Neighbors != nil && int(e.Item) < len(r.snap.Neighbors) {
			for _, nb := range r.snap.Neighbors[e.Item] {
				if nb.Item == item {
					sim = nb.Sim
					break
				}
			}
		}
		if r.vocab != nil {
			sim = max(sim, r.vectors[e.Item].Dot(r.vectors[item]))
		}
		if sim > best {
			best, from, ok = sim, r.ids[e.Item], true
		}
	}
	return from, ok
}

// Blend is the hybrid: each component's scores scaled by its best score among the items
// allowed, then summed with weights. Items not allowed score nothing. It returns each
// component's scale, so that a caller can tell which one an item's score owes most to.
func Blend(components map[Component][]float32, w Weights, allowed []bool, out []float32) map[Component]float32 {
	clear(out)
	scales := make(map[Component]float32, len(components))
	for c, s := range components {
		wc := float32(w[c])
		if wc <= 0 {
			continue
		}
		// Branch-free where the data is random (the sign of a score), which costs a
		// mispredicted branch per item otherwise.
		var top float32
		for i, v := range s {
			if v > top && allowed[i] { // rarely true after the first items: predictable
				top = v
			}
		}
		if top <= 0 {
			continue
		}
		scale := wc / top
		scales[c] = scale
		for i, v := range s {
			out[i] += positive(v) * scale
		}
	}
	for i, a := range allowed {
		if !a {
			out[i] = 0
		}
	}
	return scales
}

// positive is v, or 0 when v is negative, without a branch: the sign bit, spread over
// the word, masks the bits out.
func positive(v float32) float32 {
	b := math.Float32bits(v)
	return math.Float32frombits(b &^ uint32(int32(b)>>31))
}

// SimilarText writes into scores how similar each item is to a text (cosine), for an
// item r does not know.
func (r *Ranker) SimilarText(doc Doc, scores []float32) {
	clear(scores)
	if r.vocab != nil {
		r.scoreContent(r.vocab.Vector(doc), scores)
	}
}
