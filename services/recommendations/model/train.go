package model

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Config says what Train trains.
type Config struct {
	// Components to train; every one when empty. Popularity is always trained: it is what
	// a user without history gets.
	Components []Component
	KNN        KNNParams
	ALS        ALSParams
	// HalfLife (seconds) decays popularity: an interaction that old counts half.
	HalfLife float64
	// Now is the time popularity is decayed to (Unix seconds; the newest interaction when
	// zero).
	Now int64
	// Weights of the hybrid; DefaultWeights when nil.
	Weights Weights
	// Progress, when set, is told as each component starts training (step of steps).
	Progress func(c Component, step, steps int)
}

func (c Config) wants(comp Component) bool {
	return comp == PopularityModel || len(c.Components) == 0 || slices.Contains(c.Components, comp)
}

// Train fits the configured components on d (docs: one per item of d, for the content
// model) and returns them as a snapshot.
func Train(d *Dataset, docs []Doc, c Config) *Snapshot {
	s := &Snapshot{Format: snapshotFormat, ItemIDs: d.ItemIDs, Weights: Weights{}, UserIDs: d.UserIDs, Histories: d.Users}
	s.TrainedAt = c.Now
	if s.TrainedAt == 0 {
		for _, es := range d.Users {
			for _, e := range es {
				s.TrainedAt = max(s.TrainedAt, e.At)
			}
		}
	}
	steps, step := 0, 0
	for _, comp := range Components {
		if c.wants(comp) && (comp != ContentModel || docs != nil) {
			steps++
		}
	}
	started := func(comp Component) {
		step++
		if c.Progress != nil {
			c.Progress(comp, step, steps)
		}
	}
	started(PopularityModel)
	s.Popularity = decayedPopularity(d, s.TrainedAt, c.HalfLife)
	if c.wants(KNNModel) {
		started(KNNModel)
		s.Neighbors = TrainItemKNN(d, c.KNN).Neighbors()
	}
	if c.wants(ALSModel) {
		started(ALSModel)
		als := TrainALS(d, c.ALS)
		st := &ALSState{Params: als.Params, Items: make([][]float32, len(als.itemVec))}
		for i, v := range als.itemVec {
			st.Items[i] = make([]float32, len(v))
			for f, x := range v {
				st.Items[i][f] = float32(x)
			}
		}
		s.ALS = st
	}
	if c.wants(ContentModel) && docs != nil {
		started(ContentModel)
		ct := TrainContent(d, docs)
		s.Content = &ContentState{Terms: ct.Vocabulary.Terms, IDF: ct.Vocabulary.IDF, Vectors: ct.Vectors}
	}
	w := c.Weights
	if w == nil {
		w = DefaultWeights()
	}
	r := NewRanker(s, nil)
	for _, comp := range Components {
		if r.Has(comp) {
			s.Weights[comp] = w[comp]
		}
	}
	return s
}

// decayedPopularity sums each item's weights, halved for every halfLife of age before now
// (no decay when halfLife is zero).
func decayedPopularity(d *Dataset, now int64, halfLife float64) []float32 {
	pop := make([]float32, d.NItems())
	for _, es := range d.Users {
		for _, e := range es {
			w := float64(e.Weight)
			if halfLife > 0 && e.At < now {
				w *= math.Exp2(-float64(now-e.At) / halfLife)
			}
			pop[e.Item] += float32(w)
		}
	}
	return pop
}

// Neighbors are the item's neighbours as a snapshot keeps them.
func (m *ItemKNN) Neighbors() [][]Neighbor {
	out := make([][]Neighbor, len(m.neighbors))
	for i, ns := range m.neighbors {
		out[i] = make([]Neighbor, len(ns))
		for j, n := range ns {
			out[i][j] = Neighbor{Item: n.item, Sim: n.sim}
		}
	}
	return out
}

// RankerScorer evaluates a ranker against a dataset: a user's history is their entries in
// train (by id, so a snapshot trained on other data can be judged on this one), and
// items the ranker does not know score nothing. It scores one component, or the blend
// when Component is empty.
type RankerScorer struct {
	Ranker    *Ranker
	Train     *Dataset
	Component Component
	// Weights of the blend; the snapshot's when nil.
	Weights Weights
	slots   []int32 // dataset item → ranker item, or -1
	buf     map[Component][]float32
	blend   []float32
	allowed []bool
}

func (rs *RankerScorer) prepare() {
	if rs.slots != nil {
		return
	}
	rs.slots = make([]int32, rs.Train.NItems())
	for j, id := range rs.Train.ItemIDs {
		rs.slots[j] = -1
		if i, ok := rs.Ranker.Index(id); ok {
			rs.slots[j] = i
		}
	}
	rs.buf = map[Component][]float32{}
	rs.blend = make([]float32, rs.Ranker.Len())
}

func (rs *RankerScorer) history(user int32) []Interaction {
	es := rs.Train.Users[user]
	h := make([]Interaction, len(es))
	for k, e := range es {
		h[k] = Interaction{Item: rs.Train.ItemIDs[e.Item], Weight: e.Weight}
	}
	return h
}

// Score meets Scorer. Not safe for concurrent use.
func (rs *RankerScorer) Score(user int32, scores []float32) {
	rs.prepare()
	hist := rs.history(user)
	out := rs.components(hist, user)
	for j, i := range rs.slots {
		if i >= 0 {
			scores[j] = out[i]
		}
	}
}

// components scores hist with the scorer's component, or blends them all.
func (rs *RankerScorer) components(hist []Interaction, user int32) []float32 {
	if rs.Component != "" {
		rs.scoreComponent(rs.Component, hist)
		return rs.buf[rs.Component]
	}
	comps := rs.Ranker.components()
	for _, c := range comps {
		rs.scoreComponent(c, hist)
	}
	return rs.blendOf(comps, hist)
}

func (rs *RankerScorer) scoreComponent(c Component, hist []Interaction) {
	if rs.buf[c] == nil {
		rs.buf[c] = make([]float32, rs.Ranker.Len())
	}
	rs.Ranker.Score(c, hist, "", rs.buf[c])
}

// blendOf blends the components' scores in buf, leaving out what hist has seen.
func (rs *RankerScorer) blendOf(comps []Component, hist []Interaction) []float32 {
	w := rs.Weights
	if w == nil {
		w = rs.Ranker.snap.Weights
	}
	if rs.allowed == nil {
		rs.allowed = make([]bool, rs.Ranker.Len())
	}
	for i := range rs.allowed {
		rs.allowed[i] = true
	}
	for _, e := range rs.Ranker.entries(hist) {
		rs.allowed[e.Item] = false // seen
	}
	parts := make(map[Component][]float32, len(comps))
	for _, c := range comps {
		parts[c] = rs.buf[c]
	}
	Blend(parts, w, rs.allowed, rs.blend)
	return rs.blend
}

// HybridScorer judges every component of a ranker and their blend in one pass, the blend
// made of the components' scores rather than scoring them again: a MultiScorer of
// len(Models()) models.
type HybridScorer struct {
	rs    RankerScorer
	comps []Component
}

// NewHybridScorer scores r's components and blend for the users of train.
func NewHybridScorer(r *Ranker, train *Dataset) *HybridScorer {
	return &HybridScorer{rs: RankerScorer{Ranker: r, Train: train}, comps: r.components()}
}

// Models are what ScoreAll scores, in order: the components, then the blend ("").
func (h *HybridScorer) Models() []Component { return append(slices.Clone(h.comps), "") }

// ScoreAll meets MultiScorer.
func (h *HybridScorer) ScoreAll(user int32, scores [][]float32) {
	rs := &h.rs
	rs.prepare()
	hist := rs.history(user)
	for _, c := range h.comps {
		rs.scoreComponent(c, hist)
	}
	blend := rs.blendOf(h.comps, hist)
	for j, i := range rs.slots {
		if i < 0 {
			continue
		}
		for ci, c := range h.comps {
			scores[ci][j] = rs.buf[c][i]
		}
		scores[len(h.comps)][j] = blend[i]
	}
}

// SampleUsers keeps the held-out entries of at most n users of test, chosen at random
// from seed: evaluating every user of a large platform would take longer than training.
func SampleUsers(test *Dataset, n int, seed uint64) *Dataset {
	var with []int
	for u, es := range test.Users {
		if len(es) > 0 {
			with = append(with, u)
		}
	}
	if len(with) <= n {
		return test
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	rng.Shuffle(len(with), func(i, j int) { with[i], with[j] = with[j], with[i] })
	out := test.like()
	for _, u := range with[:n] {
		out.Users[u] = test.Users[u]
	}
	return out
}
