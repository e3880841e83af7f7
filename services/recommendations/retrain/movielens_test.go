package retrain_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/events-platform/events-platform/services/recommendations/retrain"
)

// plantedRatings is a MovieLens u.data of three tastes: each user rates 20 movies, most of
// their taste's (the first few of each taste far more often), a few of any; a good model
// finds a user's taste in their ratings, popularity cannot.
func plantedRatings(seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 3))
	const tastes, users, movies, rated = 3, 50, 40, 20
	var b strings.Builder
	for u := range tastes * users {
		taste := u % tastes
		seen := map[int]bool{}
		for len(seen) < rated {
			m := rng.IntN(tastes * movies) // any movie
			if rng.Float64() < 0.85 {
				// a movie of the user's taste, low numbers likelier
				m = taste*movies + int(float64(movies)*rng.Float64()*rng.Float64())
			}
			if seen[m] {
				continue
			}
			seen[m] = true
			fmt.Fprintf(&b, "%d\t%d\t%d\t%d\n", u+1, m+1, 1+rng.IntN(5), 880000000+rng.IntN(1000000))
		}
	}
	return b.String()
}

func TestMovieLensEvaluationFindsThePlantedTastes(t *testing.T) {
	var out strings.Builder
	ev, err := retrain.EvaluateMovieLens(context.Background(), strings.NewReader(plantedRatings(1)), retrain.Options{Seed: 1, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", out.String())
	if ev.Users != 150 || ev.Items > 120 || ev.Ratings != 3000 {
		t.Errorf("read %d users, %d items, %d ratings; want 150, ≤ 120, 3000", ev.Users, ev.Items, ev.Ratings)
	}
	pop := ev.Models["popularity"]
	for _, name := range []string{"itemknn", "als", "blend"} {
		if got := ev.Models[name]; got.NDCG <= pop.NDCG || got.Precision <= pop.Precision {
			t.Errorf("%s: P@10 %.3f NDCG@10 %.3f, want above popularity's %.3f / %.3f", name, got.Precision, got.NDCG, pop.Precision, pop.NDCG)
		}
	}
	if _, ok := ev.Models["content"]; ok {
		t.Error("content evaluated on ratings without text")
	}
	if pop.Users < 140 || pop.Users > 150 {
		t.Errorf("users evaluated = %d, want nearly all of 150 (each with a held-out rating)", pop.Users)
	}
	for _, want := range []string{"model", "P@10", "R@10", "NDCG@10", "coverage", "seconds", "popularity", "itemknn", "als", "blend", "blend weights", "nothing stored"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output has no %q", want)
		}
	}
	var total float64
	for _, w := range ev.Weights {
		total += w
	}
	if total < 0.99 || total > 1.01 {
		t.Errorf("tuned weights %v sum to %v, want 1", ev.Weights, total)
	}
}

func TestMovieLensEvaluationRefusesAMalformedFile(t *testing.T) {
	_, err := retrain.EvaluateMovieLens(context.Background(), strings.NewReader("1\t2\t5\t880000000\n1\t2\n"), retrain.Options{})
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want one naming line 2", err)
	}
	if _, err := retrain.EvaluateMovieLens(context.Background(), strings.NewReader(""), retrain.Options{}); err == nil {
		t.Error("an empty file: no error")
	}
}
