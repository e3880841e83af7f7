package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/events-platform/events-platform/migrations"
)

// A migrated template database per schema: tests clone it (CREATE DATABASE ... TEMPLATE)
// instead of running every migration again, which was most of a test database's cost.
//
// The template's name carries the latest migration version and a hash of every migration
// file, so a changed or added migration makes a new template and never reuses a stale one.
// The first test of any test binary that finds no template builds it, under an advisory
// lock, since `go test ./...` runs packages as parallel processes on the same server.
// A finished template is marked IS_TEMPLATE and closed to connections (as template0 is):
// a clone fails while anyone is connected to its source, and an open template is an
// invitation to connect.

// templatePrefix starts the name of every migrated template, so older ones can be found
// and dropped.
const templatePrefix = "platform_template_"

// templateLockKey is the advisory lock (pg_advisory_lock's bigint) that serialises the
// building and dropping of templates across test binaries.
const templateLockKey = 0x706c6174666f726d // "platform"

// sqlstateObjectInUse is PostgreSQL's object_in_use, which CREATE DATABASE returns when
// another session is connected to the template ("source database is being accessed by
// other users").
const sqlstateObjectInUse = "55006"

// sqlstateInvalidCatalogName is PostgreSQL's invalid_catalog_name: the database does not
// exist.
const sqlstateInvalidCatalogName = "3D000"

// templateName returns the name of the template for the embedded migrations, computed
// once per test binary.
var templateName = sync.OnceValues(func() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS(), path)
		if err != nil {
			return err
		}
		// Name and length before contents, so moving text between files changes the hash.
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	return fmt.Sprintf("%sv%04d_%s", templatePrefix, migrations.Latest(), hex.EncodeToString(h.Sum(nil))[:16]), nil
})

// templates remembers, per server, that this binary has seen its template ready, so only
// the first test of a binary asks.
var templates struct {
	sync.Mutex
	ready map[string]bool // by admin URL
}

// createFromTemplate creates database name as a copy of the migrated template, building
// the template first when no test binary has yet.
func createFromTemplate(ctx context.Context, admin *pgx.Conn, base, name string) error {
	tmpl, err := templateName()
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		if err := ensureTemplate(ctx, admin, base, tmpl); err != nil {
			return err
		}
		err := cloneDatabase(ctx, admin, tmpl, name)
		// Another binary built from other migrations may have dropped this template as
		// old between our check and the clone: build it again, once.
		if pgCode(err) == sqlstateInvalidCatalogName && attempt == 0 {
			forgetTemplate(base)
			continue
		}
		return err
	}
}

// cloneDatabase runs CREATE DATABASE name TEMPLATE tmpl, retrying briefly while another
// session is connected to the template: nothing of ours stays connected to it, but a
// person's psql or a backend still closing may be.
func cloneDatabase(ctx context.Context, admin *pgx.Conn, tmpl, name string) error {
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + " TEMPLATE " + pgx.Identifier{tmpl}.Sanitize()
	wait := 20 * time.Millisecond
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := admin.Exec(ctx, sql)
		if pgCode(err) != sqlstateObjectInUse || time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("create database %s from template %s: %w", name, tmpl, err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("create database %s from template %s: %w", name, tmpl, err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// ensureTemplate makes sure the migrated template tmpl exists on the server of admin.
func ensureTemplate(ctx context.Context, admin *pgx.Conn, base, tmpl string) error {
	templates.Lock()
	defer templates.Unlock()
	if templates.ready[base] {
		return nil
	}
	// The common case, once some binary has built it: no lock needed, since a template is
	// marked ready only once complete.
	ready, err := templateReady(ctx, admin, tmpl)
	if err != nil {
		return err
	}
	if !ready {
		if err := buildTemplate(ctx, admin, base, tmpl); err != nil {
			return err
		}
	}
	if templates.ready == nil {
		templates.ready = map[string]bool{}
	}
	templates.ready[base] = true
	return nil
}

func forgetTemplate(base string) {
	templates.Lock()
	defer templates.Unlock()
	delete(templates.ready, base)
}

// templateReady reports whether tmpl exists and was marked a template, which happens
// only after its migrations succeeded.
func templateReady(ctx context.Context, admin *pgx.Conn, tmpl string) (bool, error) {
	var ready bool
	err := admin.QueryRow(ctx, `SELECT datistemplate FROM pg_database WHERE datname = $1`, tmpl).Scan(&ready)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up template %s: %w", tmpl, err)
	}
	return ready, nil
}

// buildTemplate creates tmpl and runs the real migrations into it, holding the advisory
// lock so that only one test binary builds it while the others wait for it.
func buildTemplate(ctx context.Context, admin *pgx.Conn, base, tmpl string) (err error) {
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(templateLockKey)); err != nil {
		return fmt.Errorf("lock template %s: %w", tmpl, err)
	}
	defer func() {
		// A fresh context: the lock must go even when ctx has expired, or the next
		// binary waits for this connection to close.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, uerr := admin.Exec(ctx, `SELECT pg_advisory_unlock($1)`, int64(templateLockKey)); uerr != nil {
			err = errors.Join(err, fmt.Errorf("unlock template %s: %w", tmpl, uerr))
		}
	}()
	ready, err := templateReady(ctx, admin, tmpl)
	if err != nil || ready {
		return err // another binary built it while we waited for the lock
	}
	if err := dropOldTemplates(ctx, admin, tmpl); err != nil {
		return err
	}
	// Left half-built by a binary that died during its migrations.
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{tmpl}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop unfinished template %s: %w", tmpl, err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{tmpl}.Sanitize()); err != nil {
		return fmt.Errorf("create template %s: %w", tmpl, err)
	}
	if err := migrate(databaseURL(base, tmpl)); err != nil {
		return fmt.Errorf("migrate template %s: %w", tmpl, err)
	}
	// migrate has closed its connection; none may be open when tests clone it.
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{tmpl}.Sanitize()+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"); err != nil {
		return fmt.Errorf("mark template %s: %w", tmpl, err)
	}
	return nil
}

// dropOldTemplates drops the templates of other migrations, which no test of this tree
// will clone again. The caller holds the advisory lock.
func dropOldTemplates(ctx context.Context, admin *pgx.Conn, keep string) error {
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database WHERE starts_with(datname, $1) AND datname <> $2`, templatePrefix, keep)
	if err != nil {
		return fmt.Errorf("list old templates: %w", err)
	}
	old, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list old templates: %w", err)
	}
	for _, name := range old {
		id := pgx.Identifier{name}.Sanitize()
		// PostgreSQL refuses to drop a database marked as a template.
		if _, err := admin.Exec(ctx, "ALTER DATABASE "+id+" WITH IS_TEMPLATE false"); err != nil {
			return fmt.Errorf("unmark old template %s: %w", name, err)
		}
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+id+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop old template %s: %w", name, err)
		}
	}
	return nil
}

// migrate runs every migration on the database at dbURL and closes its connection.
func migrate(dbURL string) error {
	r, err := migrations.Open(dbURL)
	if err != nil {
		return fmt.Errorf("open migrations: %w", err)
	}
	return errors.Join(r.Up(), r.Close())
}

// databaseURL returns base with its database replaced by name.
func databaseURL(base, name string) string {
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

// pgCode returns the SQLSTATE of a PostgreSQL error, or "" for any other error.
func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
