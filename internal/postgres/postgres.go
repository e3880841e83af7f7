// Package postgres opens the shared pgx connection pool and checks the schema version.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Open connects a pool to databaseURL and pings it. Pool size and timeouts come from the
// URL's pool_* parameters when present (pgxpool's own).
func Open(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "events-platform"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	return pool, nil
}

// ErrSchemaTooOld means the database has not been migrated to what this build needs.
var ErrSchemaTooOld = errors.New("database schema is older than this build needs")

// CheckSchema returns an error unless the database's schema is at least version want and
// not dirty: a service must not run against tables it does not know.
func CheckSchema(ctx context.Context, db *pgxpool.Pool, want uint) error {
	var version int64
	var dirty bool
	err := db.QueryRow(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&version, &dirty)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01", errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: no migration has run, this build needs version %d; run `platform migrate up`", ErrSchemaTooOld, want)
	case err != nil:
		return fmt.Errorf("read schema version: %w", err)
	case dirty:
		return fmt.Errorf("database schema version %d is dirty (a migration failed part way); fix it and run `platform migrate up`", version)
	case uint(version) < want:
		return fmt.Errorf("%w: database is at version %d, this build needs %d; run `platform migrate up`", ErrSchemaTooOld, version, want)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique-constraint violation, optionally of
// the named constraint.
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && (constraint == "" || pgErr.ConstraintName == constraint)
}

// IsMissingReference reports whether err is a foreign-key violation by a row that refers
// to a row of table that is not there.
func IsMissingReference(err error, table string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503" && strings.HasSuffix(pgErr.Detail, `in table "`+table+`".`)
}
