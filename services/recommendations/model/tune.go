package model

// Tune trains a model with each parameter set of grid on train and returns the set whose
// model ranks valid's held-out entries best (NDCG at k; the first of equals), with every
// trial's metrics in grid's order. valid must be held out of the training data, never the
// test split the chosen model will be judged on: carve it out of the training part, e.g.
// SplitRandom(train, 0.2, otherSeed). A fit that returns nil (a model that refuses the
// data, as EASE does above its item limit) is skipped: its metrics stay zero. With every
// fit refused, Tune returns grid's first set and ok false.
func Tune[P any](train, valid *Dataset, k int, grid []P, fit func(d *Dataset, p P) Scorer) (best P, trials []Metrics, ok bool) {
	trials = make([]Metrics, len(grid))
	bestAt := -1
	for i, p := range grid {
		m := fit(train, p)
		if m == nil {
			continue
		}
		trials[i] = Evaluate(m, train, valid, k)
		if bestAt < 0 || trials[i].NDCG > trials[bestAt].NDCG {
			bestAt = i
		}
	}
	if bestAt < 0 {
		if len(grid) > 0 {
			best = grid[0]
		}
		return best, trials, false
	}
	return grid[bestAt], trials, true
}
