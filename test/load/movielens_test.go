package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/events-platform/events-platform/services/recommendations/model"
)

// The file has ML-100K's shape, reads back as 100,000 distinct interactions and is the
// same for the same seed.
func TestMovieLensHasML100KShape(t *testing.T) {
	rs := generateMovieLens(ml100k, 1)
	perUser, perItem := map[int32]int{}, map[int32]int{}
	pairs := map[[2]int32]bool{}
	for _, r := range rs {
		perUser[r.user]++
		perItem[r.item]++
		pairs[[2]int32{r.user, r.item}] = true
		if r.rating < 1 || r.rating > 5 || r.at < mlFirst || r.at > mlLast {
			t.Fatalf("rating %+v out of range", r)
		}
	}
	if len(rs) != 100_000 || len(pairs) != len(rs) || len(perUser) != 943 || len(perItem) != 1682 {
		t.Fatalf("%d ratings, %d distinct pairs, %d users, %d items; want 100,000, 100,000, 943, 1,682", len(rs), len(pairs), len(perUser), len(perItem))
	}
	counts := func(m map[int32]int) []int {
		var cs []int
		for _, c := range m {
			cs = append(cs, c)
		}
		slices.Sort(cs)
		return cs
	}
	users, items := counts(perUser), counts(perItem)
	few := 0
	for _, c := range items {
		if c <= 5 {
			few++
		}
	}
	tests := []struct {
		name          string
		got, min, max int
	}{
		{"fewest ratings of a user", users[0], 20, 20},
		{"median ratings of a user", users[len(users)/2], 60, 70},
		{"most ratings of a user", users[len(users)-1], 650, 800},
		{"median ratings of an item", items[len(items)/2], 22, 32},
		{"most ratings of an item", items[len(items)-1], 500, 650},
		{"items with 5 ratings or fewer", few, 300, 500},
	}
	for _, tt := range tests {
		if tt.got < tt.min || tt.got > tt.max {
			t.Errorf("%s: %d, want %d to %d", tt.name, tt.got, tt.min, tt.max)
		}
	}

	path := filepath.Join(t.TempDir(), "u.data")
	if err := runMovieLens(movieLensOptions{out: path, seed: 1}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := model.ReadMovieLens(f)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 100_000 || d.NUsers() != 943 || d.NItems() != 1682 {
		t.Errorf("read back %d interactions of %d users and %d items", d.Len(), d.NUsers(), d.NItems())
	}
	if again := generateMovieLens(ml100k, 1); !slices.Equal(again, rs) {
		t.Errorf("the same seed made another file")
	}
	if other := generateMovieLens(ml100k, 2); slices.Equal(other, rs) {
		t.Errorf("seeds 1 and 2 made the same file")
	}
}

func TestMLTopKeepsTheHighestKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 2000 {
		n := 1 + rng.IntN(50)
		key := make([]float64, n)
		for i := range key {
			key[i] = float64(rng.IntN(10)) // many ties
		}
		order := make([]int32, n)
		for i := range order {
			order[i] = int32(i)
		}
		k := rng.IntN(n + 1)
		mlTop(order, key, k)
		want := slices.Clone(key)
		slices.Sort(want)
		slices.Reverse(want)
		var got []float64
		for _, o := range order[:k] {
			got = append(got, key[o])
		}
		slices.Sort(got)
		slices.Reverse(got)
		if !slices.Equal(got, want[:k]) {
			t.Fatalf("trial %d: top %d of %v: got %v, want %v", trial, k, key, got, want[:k])
		}
	}
}
