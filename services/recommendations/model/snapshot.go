package model

import (
	"bytes"
	"compress/gzip"
	"encoding/gob"
	"fmt"
	"io"
)

// Component names one model of the hybrid, as RETRAIN_MODELS and the operator's
// retraining.models do.
type Component string

// The hybrid's components.
const (
	PopularityModel Component = "popularity"
	KNNModel        Component = "itemknn"
	ALSModel        Component = "als"
	ContentModel    Component = "content"
)

// Components are every component, in the order weights and tables list them.
var Components = []Component{PopularityModel, KNNModel, ALSModel, ContentModel}

// Weights are the hybrid's weight per component; a component that was not trained has
// none.
type Weights map[Component]float64

// DefaultWeights are the seed design's blend: collaborative 0.4 (item-kNN and ALS
// sharing it), content 0.35, popularity 0.25. Retraining tunes them on a validation split.
func DefaultWeights() Weights {
	return Weights{KNNModel: 0.2, ALSModel: 0.2, ContentModel: 0.35, PopularityModel: 0.25}
}

// Neighbor is an item similar to another, by how much.
type Neighbor struct {
	Item int32
	Sim  float32
}

// Snapshot is a trained hybrid as stored and served: every component's state keyed by
// the items' ids, small enough to load in every replica, and nothing of the users but
// what their histories give at serving time (ALS folds a history in; kNN and content sum
// over it), so a user's newest interactions count before the next retraining.
type Snapshot struct {
	// Format is the encoding's version; Decode refuses others.
	Format int
	// TrainedAt is the time (Unix seconds) popularity was decayed to.
	TrainedAt int64
	ItemIDs   []int64
	// Popularity is each item's time-decayed weight.
	Popularity []float32
	// Neighbors are each item's item-kNN neighbours, most similar first.
	Neighbors [][]Neighbor
	// ALS holds the item factors, nil when ALS was not trained.
	ALS *ALSState
	// Content holds the vocabulary and the items' vectors, nil when not trained.
	Content *ContentState
	Weights Weights
	// UserIDs and Histories are what each user had done by training time (Histories[u]
	// by item), so that serving knows the interactions only analytics holds (views,
	// clicks); the service adds what the user did since from the events tables.
	UserIDs   []int64
	Histories [][]Entry
}

// ALSState is what serving needs of ALS: the item factors and the parameters to fold a
// user's history in.
type ALSState struct {
	Params ALSParams
	Items  [][]float32
}

// ContentState is what serving needs of the content model.
type ContentState struct {
	Terms   []string
	IDF     []float32
	Vectors []Vector // by item
}

// snapshotFormat is the encoding Encode writes.
const snapshotFormat = 1

// Encode serialises s (gob, gzipped).
func (s *Snapshot) Encode(w io.Writer) error {
	// The fastest compression: a model of 100k users and 40k events is about 30 MiB
	// either way, and the default level takes seconds longer to write it.
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	s.Format = snapshotFormat
	if err := gob.NewEncoder(zw).Encode(s); err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	return zw.Close()
}

// Bytes is s encoded.
func (s *Snapshot) Bytes() ([]byte, error) {
	var b bytes.Buffer
	if err := s.Encode(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DecodeSnapshot reads a snapshot Encode wrote, checking that its parts agree.
func DecodeSnapshot(r io.Reader) (*Snapshot, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	var s Snapshot
	if err := gob.NewDecoder(zr).Decode(&s); err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	if s.Format != snapshotFormat {
		return nil, fmt.Errorf("decode model: format %d, this version reads %d", s.Format, snapshotFormat)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	return &s, nil
}

// check reports a snapshot whose parts do not agree on the items.
func (s *Snapshot) check() error {
	n := len(s.ItemIDs)
	switch {
	case len(s.Popularity) != n:
		return fmt.Errorf("%d items but %d popularity scores", n, len(s.Popularity))
	case s.Neighbors != nil && len(s.Neighbors) != n:
		return fmt.Errorf("%d items but %d neighbour lists", n, len(s.Neighbors))
	case s.ALS != nil && len(s.ALS.Items) != n:
		return fmt.Errorf("%d items but %d ALS factors", n, len(s.ALS.Items))
	case s.Content != nil && (len(s.Content.Vectors) != n || len(s.Content.IDF) != len(s.Content.Terms)):
		return fmt.Errorf("%d items but %d content vectors", n, len(s.Content.Vectors))
	case len(s.Histories) != len(s.UserIDs):
		return fmt.Errorf("%d users but %d histories", len(s.UserIDs), len(s.Histories))
	}
	for _, es := range s.Histories {
		for _, e := range es {
			if e.Item < 0 || int(e.Item) >= n {
				return fmt.Errorf("history item %d out of range", e.Item)
			}
		}
	}
	for _, ns := range s.Neighbors {
		for _, nb := range ns {
			if nb.Item < 0 || int(nb.Item) >= n {
				return fmt.Errorf("neighbour %d out of range", nb.Item)
			}
		}
	}
	if s.ALS != nil {
		for _, v := range s.ALS.Items {
			if len(v) != s.ALS.Params.Factors {
				return fmt.Errorf("ALS factors of length %d, want %d", len(v), s.ALS.Params.Factors)
			}
		}
	}
	if s.Content != nil {
		for _, v := range s.Content.Vectors {
			for _, t := range v.Terms {
				if t < 0 || int(t) >= len(s.Content.Terms) {
					return fmt.Errorf("content term %d out of range", t)
				}
			}
			if len(v.Weights) != len(v.Terms) {
				return fmt.Errorf("content vector of %d terms and %d weights", len(v.Terms), len(v.Weights))
			}
		}
	}
	return nil
}
