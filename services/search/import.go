package search

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// AfterImport brings search's own state up to date after events were bulk-loaded
// (events.ImportEvents, for demo and benchmark data), which no domain event announces: the
// autocomplete terms are rebuilt, and event_search (filled by its trigger) is vacuumed and
// analyzed. Vacuuming matters: its date walks are index-only scans, which read the heap for
// every row until the visibility map says the pages are all visible.
func AfterImport(ctx context.Context, db *pgxpool.Pool) error {
	for _, sql := range []string{`REFRESH MATERIALIZED VIEW search_terms`, `VACUUM (ANALYZE) event_search`} {
		if _, err := db.Exec(ctx, sql); err != nil {
			return fmt.Errorf("search after import: %s: %w", sql, err)
		}
	}
	return nil
}
