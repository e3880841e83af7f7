package analytics

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// analytics_events has one partition per month (UTC), analytics_events_YYYY_MM. Every
// replica keeps them, at start and daily: the months from the retention's start to
// monthsAhead after this one exist; a month wholly older than the retention is detached
// and dropped, with the rollup rows of those days. No library does this well enough to
// depend on (pg_partman is an extension, not here); it is a few statements.

// monthsAhead is how many months after the current one have their partition ready.
const monthsAhead = 2

// maintenanceLock is the advisory lock that keeps two replicas from changing partitions
// at once (its value is arbitrary, fixed forever).
const maintenanceLock = 7_240_031_001

type partitions struct {
	db *pgxpool.Pool
	// months is the retention: interactions older than this many months are dropped.
	months int
}

// oldest is the earliest moment analytics keeps at now.
func (p *partitions) oldest(now time.Time) time.Time { return now.AddDate(0, -p.months, 0) }

// monthOf is the first instant of t's month, UTC.
func monthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func partitionName(month time.Time) string {
	return fmt.Sprintf("analytics_events_%04d_%02d", month.Year(), int(month.Month()))
}

// EnsurePartitions makes the partitions analytics_events needs at now with the default
// retention, for a writer other than the service (the demo seed).
func EnsurePartitions(ctx context.Context, db *pgxpool.Pool, now time.Time) error {
	return (&partitions{db: db, months: DefaultRetentionMonths}).ensure(ctx, now)
}

// ensure creates the partitions now needs: from the retention's start to monthsAhead
// months ahead.
func (p *partitions) ensure(ctx context.Context, now time.Time) error {
	return p.locked(ctx, func(tx pgx.Tx) error {
		last := monthOf(now).AddDate(0, monthsAhead, 0)
		for m := monthOf(p.oldest(now)); !m.After(last); m = m.AddDate(0, 1, 0) {
			if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF analytics_events FOR VALUES FROM ('%s') TO ('%s')`,
				partitionName(m), m.Format(time.RFC3339), m.AddDate(0, 1, 0).Format(time.RFC3339))); err != nil {
				return fmt.Errorf("create partition %s: %w", partitionName(m), err)
			}
		}
		return nil
	})
}

// dropExpired drops the partitions whose whole month is older than the retention, and
// the rollups' rows of the days before it, and returns the partitions it dropped.
func (p *partitions) dropExpired(ctx context.Context, now time.Time) ([]string, error) {
	var dropped []string
	err := p.locked(ctx, func(tx pgx.Tx) error {
		names, err := p.list(ctx, tx)
		if err != nil {
			return err
		}
		cutoff := p.oldest(now)
		for _, name := range names {
			month, ok := parsePartition(name)
			if !ok || month.AddDate(0, 1, 0).After(cutoff) {
				continue
			}
			if _, err := tx.Exec(ctx, fmt.Sprintf(`ALTER TABLE analytics_events DETACH PARTITION %[1]s; DROP TABLE %[1]s`, name)); err != nil {
				return fmt.Errorf("drop partition %s: %w", name, err)
			}
			dropped = append(dropped, name)
		}
		day := cutoff.UTC().Truncate(24 * time.Hour)
		for _, q := range []string{
			`DELETE FROM analytics_event_hours WHERE hour < $1`,
			`DELETE FROM analytics_event_viewers WHERE day < ($1 AT TIME ZONE 'UTC')::date`,
			`DELETE FROM analytics_active_visitors WHERE day < ($1 AT TIME ZONE 'UTC')::date`,
			`DELETE FROM analytics_event_days WHERE day < ($1 AT TIME ZONE 'UTC')::date`,
			`DELETE FROM analytics_days WHERE day < ($1 AT TIME ZONE 'UTC')::date`,
			// A week is dropped once it began before the retention.
			`DELETE FROM analytics_active_weeks WHERE week < ($1 AT TIME ZONE 'UTC')::date`,
			`DELETE FROM analytics_weeks WHERE week < ($1 AT TIME ZONE 'UTC')::date`,
		} {
			if _, err := tx.Exec(ctx, q, day); err != nil {
				return fmt.Errorf("expire rollups: %w", err)
			}
		}
		return nil
	})
	return dropped, err
}

// count returns how many partitions analytics_events has.
func (p *partitions) count(ctx context.Context) (int, error) {
	var n int
	err := p.db.QueryRow(ctx, `SELECT count(*) FROM pg_inherits WHERE inhparent = 'analytics_events'::regclass`).Scan(&n)
	return n, err
}

func (p *partitions) list(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'analytics_events'::regclass ORDER BY c.relname`)
	if err != nil {
		return nil, fmt.Errorf("list partitions: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// parsePartition returns the month a partition named by partitionName holds.
func parsePartition(name string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(name, "analytics_events_")
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse("2006_01", rest)
	return t, err == nil
}

func (p *partitions) locked(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := p.db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit, a no-op
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(maintenanceLock)); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
