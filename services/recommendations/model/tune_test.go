package model

import "testing"

func TestTunePicksTheBestOnTheValidationSplit(t *testing.T) {
	d, _ := planted(7)
	train, _ := SplitRandom(d, 0.2, 1)
	fit, valid := SplitRandom(train, 0.2, 2)
	// One neighbour per item recommends little; a couple of dozen find the community.
	grid := []KNNParams{{K: 1, Shrink: 10}, {K: 30, Shrink: 10}, {K: 2, Shrink: 10}}
	best, trials, ok := Tune(fit, valid, 10, grid, func(d *Dataset, p KNNParams) Scorer { return TrainItemKNN(d, p) })
	if !ok || best != grid[1] {
		t.Errorf("got %+v (ok %v), want %+v; trials %+v", best, ok, grid[1], trials)
	}
	if len(trials) != len(grid) || trials[1].NDCG <= trials[0].NDCG || trials[1].Users == 0 {
		t.Errorf("trials %+v", trials)
	}
}

func TestTuneSkipsRefusedFits(t *testing.T) {
	d, _ := planted(8)
	fit, valid := SplitRandom(d, 0.2, 3)
	// EASE with room for fewer items than there are refuses: only the second can train.
	grid := []EASEParams{{Lambda: 100, MaxItems: 10}, {Lambda: 100}}
	ease := func(d *Dataset, p EASEParams) Scorer {
		m, err := TrainEASE(d, p)
		if err != nil {
			return nil
		}
		return m
	}
	best, trials, ok := Tune(fit, valid, 10, grid, ease)
	if !ok || best != grid[1] || trials[0] != (Metrics{}) || trials[1].NDCG == 0 {
		t.Errorf("got %+v (ok %v), trials %+v; want the second", best, ok, trials)
	}
	if _, _, ok := Tune(fit, valid, 10, grid[:1], ease); ok {
		t.Errorf("every fit refused, yet ok")
	}
}
