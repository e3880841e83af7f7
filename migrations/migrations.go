// Package migrations holds the database schema as numbered up/down SQL pairs, embedded in
// the binary and applied with golang-migrate.
//
// Files are named NNNN_<owner>_<what>.{up,down}.sql, the owner being the service whose
// tables the migration changes (platform for the first, which creates them all), so that a
// reader of a service finds its schema by name. golang-migrate records only the number, so
// a file may be renamed; once released, its number and contents never change: a change to
// the schema is a new migration.
package migrations

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5" // registers pgx5://
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

//go:embed *.sql
var files embed.FS

// FS returns the embedded migration files, for tests that key a migrated template on their contents.
func FS() fs.FS { return files }

// Latest returns the highest version among the embedded migrations: the schema this build
// needs.
func Latest() uint {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		panic(fmt.Sprintf("read embedded migrations: %v", err)) // embedded at build time
	}
	var latest uint
	for _, e := range entries {
		n, err := strconv.ParseUint(strings.SplitN(e.Name(), "_", 2)[0], 10, 32)
		if err == nil && uint(n) > latest {
			latest = uint(n)
		}
	}
	return latest
}

// Status is where a database's schema stands.
type Status struct {
	Version uint // 0 when no migration has run
	Dirty   bool // a migration failed half way; needs a person
	Latest  uint
}

// Runner applies the embedded migrations to one database.
type Runner struct{ m *migrate.Migrate }

// Open returns a runner for the database at databaseURL (postgres:// or postgresql://).
func Open(databaseURL string) (*Runner, error) {
	src, err := iofs.New(files, ".")
	if err != nil {
		return nil, fmt.Errorf("open embedded migrations: %w", err)
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	u.Scheme = "pgx5"
	m, err := migrate.NewWithSourceInstance("iofs", src, u.String())
	if err != nil {
		return nil, fmt.Errorf("connect for migrations: %w", err)
	}
	return &Runner{m: m}, nil
}

// Up applies every pending migration.
func (r *Runner) Up() error {
	if err := r.m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// Down reverts steps migrations, or all of them when steps <= 0.
func (r *Runner) Down(steps int) error {
	var err error
	if steps <= 0 {
		err = r.m.Down()
	} else {
		err = r.m.Steps(-steps)
	}
	if err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// Force records version as applied and clean without running anything: for recovering
// by hand after a migration failed part way and the database was repaired.
func (r *Runner) Force(version int) error {
	if err := r.m.Force(version); err != nil {
		return fmt.Errorf("force version %d: %w", version, err)
	}
	return nil
}

// Status reports the applied version.
func (r *Runner) Status() (Status, error) {
	v, dirty, err := r.m.Version()
	if err != nil && !errors.Is(err, migrate.ErrNilVersion) {
		return Status{}, fmt.Errorf("read schema version: %w", err)
	}
	return Status{Version: v, Dirty: dirty, Latest: Latest()}, nil
}

// Close releases the runner's connection.
func (r *Runner) Close() error {
	srcErr, dbErr := r.m.Close()
	return errors.Join(srcErr, dbErr)
}
