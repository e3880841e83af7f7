// Package changes follows the rows of a table that changed, by a timestamp column that
// every writer sets (events.updated_at, event_scores.scored_at): a reader that keeps a
// copy in memory asks which rows changed since it last looked, reads them again, and then
// marks them seen. No message is needed and none can be lost: a reader cut off from
// PostgreSQL reads what changed meanwhile at its next look.
//
// A transaction stamps its rows with its start time but they appear when it commits, so
// a row can show up with a time older than one already seen. Each look therefore reads
// the rows stamped at most Overlap before the previous look began (the database's clock),
// and reports only those whose stamp it had not seen. Rows stamped long before are read
// no more, however many were written at once.
package changes

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Overlap is how far before the previous look began each look reads again: longer than a
// writing transaction lasts.
const Overlap = time.Minute

// Querier is a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Follower is where a reader stands in a table.
type Follower struct {
	sql    string
	looked time.Time           // when the last look marked seen began (the database's clock)
	seen   map[int64]time.Time // the stamps of the rows it read within Overlap of looked
}

// Start returns a follower of table's rows by the id column and the stamp column, from
// the database's clock now: call it before reading the table's snapshot, so that what
// commits after the snapshot is followed.
func Start(ctx context.Context, db Querier, table, id, stamp string) (*Follower, error) {
	f := &Follower{
		sql:  `SELECT ` + id + `, ` + stamp + ` FROM ` + table + ` WHERE ` + stamp + ` >= $1 ORDER BY ` + stamp,
		seen: map[int64]time.Time{},
	}
	if err := db.QueryRow(ctx, `SELECT now()`).Scan(&f.looked); err != nil {
		return nil, fmt.Errorf("follow %s: %w", table, err)
	}
	return f, nil
}

// Next returns the ids of the rows changed since the last look that was marked seen, and
// mark, which marks this look seen: call it once the rows are read (a look not marked
// is made again by the next call).
func (f *Follower) Next(ctx context.Context, db Querier) (ids []int64, mark func(), err error) {
	var look time.Time
	if err := db.QueryRow(ctx, `SELECT now()`).Scan(&look); err != nil {
		return nil, nil, fmt.Errorf("follow changes: %w", err)
	}
	rows, err := db.Query(ctx, f.sql, f.looked.Add(-Overlap))
	if err != nil {
		return nil, nil, fmt.Errorf("follow changes: %w", err)
	}
	var (
		id int64
		at time.Time
	)
	// What the next look reads again, it must know it has seen.
	seen := map[int64]time.Time{}
	for rows.Next() {
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("follow changes: %w", err)
		}
		if prev, ok := f.seen[id]; !ok || !prev.Equal(at) {
			ids = append(ids, id)
		}
		if !at.Before(look.Add(-Overlap)) {
			seen[id] = at
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("follow changes: %w", err)
	}
	return ids, func() { f.looked, f.seen = look, seen }, nil
}
