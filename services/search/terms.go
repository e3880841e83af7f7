package search

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The autocomplete terms are the materialized view search_terms (migration
// 0008_search_public_only): titles, categories and cities of published public events with
// how many use each. Nothing refreshes it but RefreshTerms, which Run calls when events
// changed, and AfterImport, after a bulk load.

// RefreshTerms rebuilds the autocomplete terms from the events now.
func (s *Service) RefreshTerms(ctx context.Context) error {
	if _, err := s.db.Exec(ctx, `REFRESH MATERIALIZED VIEW CONCURRENTLY search_terms`); err != nil {
		return fmt.Errorf("refresh search terms: %w", err)
	}
	return nil
}

// prefixed returns up to limit terms starting with q (lower case), those of most events
// first.
func (s *Service) prefixed(ctx context.Context, q string, limit int) ([]Suggestion, error) {
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
	rows, err := s.db.Query(ctx, `SELECT term, kind, events FROM search_terms WHERE lower(term) LIKE $1
		ORDER BY events DESC, term LIMIT $2`, customPlan([]any{like, limit})...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Suggestion, error) {
		var sg Suggestion
		return sg, r.Scan(&sg.Text, &sg.Kind, &sg.Events)
	})
}
