package integration

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/migrations"
)

// TestDatabaseURLIsWhatMigrationsProduce: a database cloned from the template dumps (schema
// and rows, schema_migrations included) exactly as one the migrations ran into directly.
func TestDatabaseURLIsWhatMigrationsProduce(t *testing.T) {
	t.Parallel()
	cloned := DatabaseURL(t)
	direct := EmptyDatabaseURL(t)
	if err := migrate(direct); err != nil {
		t.Fatal(err)
	}
	got, want := dump(t, cloned), dump(t, direct)
	if got != want {
		t.Errorf("the cloned database differs from a migrated one:\n%s", firstDifference(got, want))
	}
}

// TestDatabaseURLInParallel: tests running at once each get a database of their own,
// dropped when they end.
func TestDatabaseURLInParallel(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var names []string
	t.Run("group", func(t *testing.T) {
		for i := range 8 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				c := connect(t, DatabaseURL(t))
				var name string
				if err := c.QueryRow(context.Background(), `SELECT current_database()`).Scan(&name); err != nil {
					t.Fatal(err)
				}
				// A write of one test is not seen by another.
				if _, err := c.Exec(context.Background(), `INSERT INTO users (email, password_hash, name) VALUES ('only@example.com', 'x', 'Only')`); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				names = append(names, name)
				mu.Unlock()
			})
		}
	})
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("database %s given to two tests", n)
		}
		seen[n] = true
	}
	admin := connect(t, envOr("DATABASE_URL", defaultDatabaseURL))
	var left int
	if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM pg_database WHERE datname = ANY($1)`, names).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if len(names) != 8 || left != 0 {
		t.Errorf("%d databases given, %d left after the tests ended; want 8 and 0", len(names), left)
	}
}

// TestTemplateBuild: on a server of its own, test binaries that start at once build the
// template once; a half-built template (its builder died) is replaced; templates of
// other migrations are dropped; the template accepts no connections.
func TestTemplateBuild(t *testing.T) {
	t.Parallel()
	pg := StartPostgres(t)
	base := databaseURL(pg.URL, "postgres")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := connect(t, base)
	tmpl, err := templateName()
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"CREATE DATABASE " + templatePrefix + "v0001_old",
		"ALTER DATABASE " + templatePrefix + "v0001_old WITH IS_TEMPLATE true ALLOW_CONNECTIONS false",
		"CREATE DATABASE " + pgx.Identifier{tmpl}.Sanitize(), // half-built: not marked
	} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}

	// Each goroutine stands for a test binary: its own connection, no shared memory.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pgx.Connect(ctx, base)
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close(context.Background())
			if errs[i] = buildTemplate(ctx, c, base, tmpl); errs[i] == nil {
				errs[i] = cloneDatabase(ctx, c, tmpl, fmt.Sprintf("clone_%d", i))
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("binary %d: %v", i, err)
		}
	}

	rows, err := admin.Query(ctx, `SELECT datname, datistemplate, datallowconn FROM pg_database
		WHERE datname LIKE 'platform_template_%' OR datname LIKE 'clone_%' ORDER BY datname`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var name string
		var isTemplate, allowConn bool
		if err := rows.Scan(&name, &isTemplate, &allowConn); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s template=%t connections=%t", name, isTemplate, allowConn))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"clone_0 template=false connections=true",
		"clone_1 template=false connections=true",
		"clone_2 template=false connections=true",
		"clone_3 template=false connections=true",
		tmpl + " template=true connections=false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("databases:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var version int
	if err := connect(t, databaseURL(base, "clone_0")).QueryRow(ctx, `SELECT version FROM schema_migrations`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if want := int(migrations.Latest()); version != want {
		t.Errorf("clone's schema version %d, want %d", version, want)
	}
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v; %s", err, hint)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// dump returns pg_dump's text of the database at url, schema and rows.
func dump(t *testing.T, url string) string {
	t.Helper()
	bin, err := postgresBin()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(bin, "pg_dump"), "--no-owner", "--dbname", url).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	// Drop the \restrict lines newer pg_dumps write with a random key per run.
	var keep []string
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, `\restrict `) && !strings.HasPrefix(line, `\unrestrict `) {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, gl, wl)
		}
	}
	return ""
}
