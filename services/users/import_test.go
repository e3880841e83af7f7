package users_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/events-platform/events-platform/services/users"
)

// TestImportAddsOnlyNewAccountsThatLogIn: imported accounts keep their fields, sign in with
// the password given, are not imported twice, publish nothing, and IDs finds them by email.
func TestImportAddsOnlyNewAccountsThatLogIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, users.LoginLimits{})
	ctx := context.Background()
	joined := time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)
	accounts := []users.ImportAccount{
		{Email: "ann@example.com", Name: "Ann Import", Role: "organizer", City: "Berlin", Interests: []string{"music", "food"}, CreatedAt: joined},
		{Email: "ben@example.com", Name: "Ben Import", Role: "attendee", City: "Lisbon", Interests: []string{"technology"}, CreatedAt: joined.Add(time.Hour)},
	}
	n, err := users.Import(ctx, e.db, "password123", accounts)
	if err != nil || n != 2 {
		t.Fatalf("first import: got %d, %v; want 2", n, err)
	}
	more := append(accounts, users.ImportAccount{Email: "cat@example.com", Name: "Cat Import", Role: "attendee", CreatedAt: joined})
	if n, err := users.Import(ctx, e.db, "password123", more); err != nil || n != 1 {
		t.Fatalf("second import: got %d, %v; want 1 (only the new account)", n, err)
	}

	var name, role, city string
	var interests []string
	var created, updated time.Time
	if err := e.db.QueryRow(ctx, `SELECT name, role, city, interests, created_at, updated_at FROM users WHERE email = 'ann@example.com'`).
		Scan(&name, &role, &city, &interests, &created, &updated); err != nil {
		t.Fatal(err)
	}
	if name != "Ann Import" || role != "organizer" || city != "Berlin" || !slices.Equal(interests, []string{"music", "food"}) ||
		!created.Equal(joined) || !updated.Equal(joined) {
		t.Errorf("row: got %q %q %q %v %v %v", name, role, city, interests, created, updated)
	}
	if r := e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "ben@example.com", "password": "password123"}); r.Status != http.StatusOK {
		t.Errorf("login as an imported account: got %d %+v, want 200", r.Status, r.Error)
	}
	var outbox int
	if err := e.db.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&outbox); err != nil || outbox != 0 {
		t.Errorf("outbox: got %d rows, %v; want none", outbox, err)
	}

	ids, err := users.IDs(ctx, e.db, []string{"cat@example.com", "nobody@example.com", "Ann@Example.com"})
	if err != nil {
		t.Fatal(err)
	}
	var want [3]int64
	for i, email := range []string{"cat@example.com", "", "ann@example.com"} {
		if email != "" {
			if err := e.db.QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, email).Scan(&want[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !slices.Equal(ids, want[:]) || ids[0] == 0 {
		t.Errorf("IDs: got %v, want %v (0 for an unknown email)", ids, want)
	}
}
