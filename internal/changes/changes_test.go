package changes_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/events-platform/events-platform/internal/changes"
	"github.com/events-platform/events-platform/test/integration"
)

// A follower reports each change once, marked or not as the reader says, including a
// row that commits late with a stamp older than one already seen.
func TestFollowerReportsEachChangeOnce(t *testing.T) {
	db, _ := integration.Pool(t)
	ctx := context.Background()
	if _, err := db.Exec(ctx, `CREATE TABLE things (id bigint PRIMARY KEY, stamp timestamptz NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO things VALUES (1, now() - interval '1 hour')`) // before the follower: not a change
	f, err := changes.Start(ctx, db, "things", "id", "stamp")
	if err != nil {
		t.Fatal(err)
	}
	next := func(mark bool) []int64 {
		t.Helper()
		ids, m, err := f.Next(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if mark {
			m()
		}
		slices.Sort(ids)
		return ids
	}
	exec(`INSERT INTO things VALUES (2, now()), (3, now())`)
	if got := next(false); !slices.Equal(got, []int64{2, 3}) {
		t.Errorf("after two inserts: %v, want [2 3]", got)
	}
	if got := next(true); !slices.Equal(got, []int64{2, 3}) {
		t.Errorf("a look not marked is made again: %v, want [2 3]", got)
	}
	if got := next(true); len(got) != 0 {
		t.Errorf("nothing changed: %v", got)
	}
	exec(`UPDATE things SET stamp = now() + interval '1 second' WHERE id = 2`)
	// A transaction that began earlier commits now, with an older stamp than seen.
	exec(`INSERT INTO things VALUES (4, $1)`, time.Now().Add(-10*time.Second))
	if got := next(true); !slices.Equal(got, []int64{2, 4}) {
		t.Errorf("an update and a late commit: %v, want [2 4]", got)
	}
	if got := next(true); len(got) != 0 {
		t.Errorf("nothing changed since: %v", got)
	}
}
