package engine_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/events-platform/events-platform/services/search/engine"
	"github.com/events-platform/events-platform/test/integration"
)

// TestLoadAndRefreshFollowTheEventsTable: the index holds what clients may find, and
// follows publishing, a change of visibility, a change of title, moderation and a
// deletion once the events are refreshed.
func TestLoadAndRefreshFollowTheEventsTable(t *testing.T) {
	ctx := context.Background()
	db, _ := integration.Pool(t)
	var org int64
	if err := db.QueryRow(ctx, `INSERT INTO users (email, password_hash, name, role) VALUES ('o@example.com', 'x', 'O', 'organizer') RETURNING id`).Scan(&org); err != nil {
		t.Fatal(err)
	}
	insert := func(title, status, visibility string, days int) int64 {
		var id int64
		err := db.QueryRow(ctx, `INSERT INTO events (title, category, starts_at, city, status, visibility, created_by)
			VALUES ($1, 'music', now() + $2 * interval '1 day', 'Berlin', $3, $4, $5) RETURNING id`, title, days, status, visibility, org).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	jazz := insert("Jazz Night", "published", "public", 2)
	hidden := insert("Private Jazz", "published", "private", 3)
	draft := insert("Draft Jazz", "draft", "public", 4)
	insert("Old Jazz", "published", "public", -3)
	held := insert("Held Jazz", "published", "public", 5)
	if _, err := db.Exec(ctx, `UPDATE events SET moderation = 'held' WHERE id = $1`, held); err != nil {
		t.Fatal(err)
	}
	ix, err := engine.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	find := func(q string) []int64 {
		var ids []int64
		for _, h := range ix.Search(engine.Query{Q: q}, time.Now()).Hits {
			ids = append(ids, h.ID)
		}
		return ids
	}
	if got := find("jazz"); !slices.Equal(got, []int64{jazz}) {
		t.Fatalf("loaded: %v, want only %d", got, jazz)
	}

	for id, set := range map[int64]string{hidden: "visibility = 'public'", draft: "status = 'published'", jazz: "title = 'Blues Night'"} {
		if _, err := db.Exec(ctx, `UPDATE events SET `+set+` WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Refresh(ctx, db, hidden, draft, jazz); err != nil {
		t.Fatal(err)
	}
	if got := find("jazz"); !slices.Equal(got, []int64{hidden, draft}) {
		t.Errorf("after the changes: jazz %v, want %v", got, []int64{hidden, draft})
	}

	// Approved, the held event is found; rejected, it is gone again.
	for _, tc := range []struct {
		state string
		want  []int64
	}{{"approved", []int64{hidden, draft, held}}, {"rejected", []int64{hidden, draft}}} {
		if _, err := db.Exec(ctx, `UPDATE events SET moderation = $2 WHERE id = $1`, held, tc.state); err != nil {
			t.Fatal(err)
		}
		if err := ix.Refresh(ctx, db, held); err != nil {
			t.Fatal(err)
		}
		if got := find("jazz"); !slices.Equal(got, tc.want) {
			t.Errorf("held event %s: jazz %v, want %v", tc.state, got, tc.want)
		}
	}
	if got := find("blues"); !slices.Equal(got, []int64{jazz}) {
		t.Errorf("after the rename: blues %v, want %d", got, jazz)
	}

	if _, err := db.Exec(ctx, `DELETE FROM events WHERE id = $1`, hidden); err != nil {
		t.Fatal(err)
	}
	if err := ix.Refresh(ctx, db, hidden); err != nil {
		t.Fatal(err)
	}
	if got := find("jazz"); !slices.Equal(got, []int64{draft}) {
		t.Errorf("after the deletion: %v, want %d", got, draft)
	}
}
