package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/services/recommendations/model"
	"github.com/events-platform/events-platform/services/recommendations/registry"
	"github.com/events-platform/events-platform/test/integration"
)

// snapshot trains a tiny model whose popularity says which of two items was seen more,
// so a decoded snapshot can be told from another.
func snapshot(t *testing.T, popular int64) *model.Snapshot {
	t.Helper()
	b := model.NewBuilder()
	b.Add(1, popular, 3, 100)
	b.Add(2, popular, 1, 100)
	b.Add(2, 99, 1, 100)
	return model.Train(b.Dataset(), nil, model.Config{Components: []model.Component{model.PopularityModel}})
}

func insert(t *testing.T, db *pgxpool.Pool, status string, popular int64) int64 {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	v, err := registry.Insert(ctx, tx, registry.Version{Status: status, Reason: "because " + status,
		Parameters: json.RawMessage(`{"popular":` + jsonInt(popular) + `}`), Users: 2, Items: 2, Interactions: 3, TrainingSeconds: 0.5},
		snapshot(t, popular))
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return v
}

func jsonInt(v int64) string { b, _ := json.Marshal(v); return string(b) }

// topItem is the most popular item of a snapshot.
func topItem(s *model.Snapshot) int64 {
	best := 0
	for i, p := range s.Popularity {
		if p > s.Popularity[best] {
			best = i
		}
	}
	return s.ItemIDs[best]
}

func TestLiveIsTheNewestPromotedVersion(t *testing.T) {
	db, _ := integration.Pool(t)
	ctx := context.Background()
	if _, _, err := registry.Live(ctx, db); !errors.Is(err, registry.ErrNoModel) {
		t.Fatalf("Live on an empty registry: err = %v, want ErrNoModel", err)
	}
	insert(t, db, registry.StatusPromoted, 10)
	second := insert(t, db, registry.StatusPromoted, 20)
	insert(t, db, registry.StatusRefused, 30) // newer, but refused: not live

	v, snap, err := registry.Live(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != second || v.Status != registry.StatusPromoted || v.Reason != "because promoted" {
		t.Errorf("Live = version %d %s %q, want version %d promoted", v.Version, v.Status, v.Reason, second)
	}
	if got := topItem(snap); got != 20 {
		t.Errorf("live snapshot's top item = %d, want 20 (the second version's)", got)
	}
	if v.SizeBytes <= 0 || v.Users != 2 || v.Items != 2 || v.Interactions != 3 || v.TrainingSeconds != 0.5 {
		t.Errorf("Live's row = %+v, want size set and the counts inserted", v)
	}
	if time.Since(v.CreatedAt) > time.Hour || v.CreatedAt.IsZero() {
		t.Errorf("created_at = %v, want now", v.CreatedAt)
	}
}

func TestListIsNewestFirstAndGetFindsOne(t *testing.T) {
	db, _ := integration.Pool(t)
	ctx := context.Background()
	a := insert(t, db, registry.StatusPromoted, 10)
	b := insert(t, db, registry.StatusRefused, 20)
	c := insert(t, db, registry.StatusPromoted, 30)

	all, err := registry.List(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, v := range all {
		got = append(got, v.Version)
	}
	if want := []int64{c, b, a}; !slices.Equal(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	var params struct{ Popular int64 }
	if err := json.Unmarshal(all[1].Parameters, &params); err != nil || params.Popular != 20 {
		t.Errorf("parameters = %s, want the inserted JSON", all[1].Parameters)
	}
	if string(all[1].Metrics) != `{}` {
		t.Errorf("metrics = %s, want {} when none were given", all[1].Metrics)
	}
	two, err := registry.List(ctx, db, 2)
	if err != nil || len(two) != 2 || two[0].Version != c {
		t.Errorf("List(2) = %v, %v; want the two newest", two, err)
	}

	v, snap, err := registry.Get(ctx, db, b)
	if err != nil || v.Status != registry.StatusRefused || topItem(snap) != 20 {
		t.Errorf("Get(%d) = %+v, %v; want the refused version with its snapshot", b, v, err)
	}
	if _, _, err := registry.Get(ctx, db, c+100); !errors.Is(err, registry.ErrNoVersion) {
		t.Errorf("Get(unknown) err = %v, want ErrNoVersion", err)
	}
}

func TestPruneKeepsTheNewestOfEachStatusAndTheLiveOne(t *testing.T) {
	db, _ := integration.Pool(t)
	ctx := context.Background()
	p1 := insert(t, db, registry.StatusPromoted, 1)
	p2 := insert(t, db, registry.StatusPromoted, 2)
	r1 := insert(t, db, registry.StatusRefused, 3)
	p3 := insert(t, db, registry.StatusPromoted, 4)
	r2 := insert(t, db, registry.StatusRefused, 5)
	r3 := insert(t, db, registry.StatusRefused, 6)

	prune := func(keep int) {
		t.Helper()
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := registry.Prune(ctx, tx, keep); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	kept := func() map[int64]bool {
		t.Helper()
		out := map[int64]bool{}
		for _, v := range []int64{p1, p2, p3, r1, r2, r3} {
			_, _, err := registry.Get(ctx, db, v)
			switch {
			case err == nil:
				out[v] = true
			case !errors.Is(err, registry.ErrPruned):
				t.Fatalf("Get(%d): %v", v, err)
			}
		}
		return out
	}

	prune(2)
	if got, want := kept(), map[int64]bool{p2: true, p3: true, r2: true, r3: true}; !maps.Equal(got, want) {
		t.Errorf("after Prune(2) the versions with bytes are %v, want %v", got, want)
	}
	prune(0)
	if got, want := kept(), map[int64]bool{p3: true}; !maps.Equal(got, want) {
		t.Errorf("after Prune(0) the versions with bytes are %v, want only the live %d", got, p3)
	}
	v, _, err := registry.Get(ctx, db, p1)
	if !errors.Is(err, registry.ErrPruned) || v.Version != p1 || v.SizeBytes == 0 {
		t.Errorf("Get(pruned) = %+v, %v; want its row (size kept) and ErrPruned", v, err)
	}
	all, err := registry.List(ctx, db, 0)
	if err != nil || len(all) != 6 {
		t.Errorf("List after pruning = %d rows, %v; want every row kept", len(all), err)
	}
	if v, _, err := registry.Live(ctx, db); err != nil || v.Version != p3 {
		t.Errorf("Live after pruning = %d, %v; want %d", v.Version, err, p3)
	}
}

func TestInsertRefusesAnUnknownStatus(t *testing.T) {
	db, _ := integration.Pool(t)
	ctx := context.Background()
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := registry.Insert(ctx, tx, registry.Version{Status: "live"}, snapshot(t, 1)); err == nil {
		t.Error("Insert with status live: no error")
	}
}

func TestAnUnreadableModelIsSaidSo(t *testing.T) {
	db, _ := integration.Pool(t)
	ctx := context.Background()
	v := insert(t, db, registry.StatusPromoted, 1)
	if _, err := db.Exec(ctx, `UPDATE recommendation_models SET model = 'not a snapshot' WHERE version = $1`, v); err != nil {
		t.Fatal(err)
	}
	got, snap, err := registry.Live(ctx, db)
	if !errors.Is(err, registry.ErrUndecodable) || got.Version != v || snap != nil {
		t.Errorf("Live = version %d, snapshot %v, err %v; want the row, no snapshot and ErrUndecodable", got.Version, snap != nil, err)
	}
	if _, _, err := registry.Get(ctx, db, v); !errors.Is(err, registry.ErrUndecodable) {
		t.Errorf("Get err = %v, want ErrUndecodable", err)
	}
}
