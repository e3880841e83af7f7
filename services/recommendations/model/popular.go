package model

// Popular scores every item by its total weight across users: the same list for everyone,
// the baseline every other model must beat, and what a user without history gets.
type Popular struct {
	scores []float32
}

// TrainPopular counts d's weights per item.
func TrainPopular(d *Dataset) *Popular {
	p := &Popular{scores: make([]float32, d.NItems())}
	for _, es := range d.Users {
		for _, e := range es {
			p.scores[e.Item] += e.Weight
		}
	}
	return p
}

// Score copies the items' popularity into scores.
func (p *Popular) Score(_ int32, scores []float32) { copy(scores, p.scores) }
