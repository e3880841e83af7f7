package integration

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestSharedPostgresIsDurable: the PostgreSQL the tests and `make dev` use (hack/deps.sh's)
// acknowledges a commit only once it survives a crash, also when its data folder was
// initialised by an older script with synchronous_commit = off.
func TestSharedPostgresIsDurable(t *testing.T) {
	assertDurable(t, DatabaseURL(t))
}

// TestPostgresKillAndStart: a test's own server has the product's durability and keeps a
// committed row across a crash and a start.
func TestPostgresKillAndStart(t *testing.T) {
	pg := StartPostgres(t)
	assertDurable(t, pg.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO users (email, password_hash, name) VALUES ('kept@example.com', 'x', 'Kept')`); err != nil {
		t.Fatal(err)
	}
	pg.Kill(t)
	if err := c.Ping(ctx); err == nil {
		t.Error("ping after Kill succeeded, want an error")
	}
	c.Close(ctx)
	pg.Start(t)
	c, err = pgx.Connect(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM users WHERE email = 'kept@example.com'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("after the crash: %d rows of the committed user, want 1", n)
	}
}

func assertDurable(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v; %s", err, hint)
	}
	defer c.Close(ctx)
	for _, name := range []string{"synchronous_commit", "fsync", "full_page_writes"} {
		var got string
		if err := c.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != "on" {
			t.Errorf("%s = %s, want on (hack/deps.sh up sets it)", name, got)
		}
	}
}
