package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	_ "time/tzdata" // event time zones must resolve on minimal images too

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/eventview"
)

// Querier runs queries: a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// customPlan has PostgreSQL plan a search for its own arguments rather than reuse a
// generic plan: how common the words are decides whether walking the date index or
// reading the GIN index is cheaper, and a generic plan cannot know (it chose to AND the
// word's entries with every upcoming event's, 30 ms instead of 2).
func customPlan(args []any) []any { return append([]any{pgx.QueryExecModeExec}, args...) }

// Search runs p: it returns a page of results and, on a first page, the facets, with p
// as it was searched (typos corrected, matches counted). A first page that finds nothing
// tries again with the words no event uses taken for typos and corrected (see Correct);
// the pages after it search the corrected query too.
func (p Params) Search(ctx context.Context, db Querier) (*Facets, []Result, Params, error) {
	if p.Corrected {
		q, ok, err := Correct(ctx, db, p.Q)
		if err != nil {
			return nil, nil, p, err
		}
		p.Q, p.Corrected = q, ok
	}
	if p.After != nil {
		page, err := p.nextPage(ctx, db)
		return nil, page, p, err
	}
	facets, page, p, err := p.first(ctx, db)
	if err == nil && p.Counted == 0 && p.Q != "" {
		var q string
		var ok bool
		if q, ok, err = Correct(ctx, db, p.Q); ok {
			p.Q, p.Corrected = q, true
			facets, page, p, err = p.first(ctx, db)
		}
	}
	if err != nil || p.Counted == 0 {
		return &facets, nil, p, err // counted exactly as none: no rows to read
	}
	return &facets, page, p, nil
}

// first counts the matches of a first page into facets and p.Counted, and reads its page.
//
// Where the page does not depend on the count, both come from one statement (firstSQL):
// without tiers, and by relevance within a local radius (the title tier first; the
// lower tiers after the last title, only when the titles do not fill the page and other
// events match). Otherwise the count chooses how the page is read (onePass), so the page
// follows it.
//
// With words, the count is first taken among a fixed eighth of the events (sampleCond,
// event_search_sample_idx): when FacetLimit of them match, those are FacetLimit matches
// as good as any, found from an eighth of the word's index entries. A common word's
// entries are most of the cost of counting: "kubernetes" 7.4 → 1.9 ms, "live music" 16 →
// 3 ms. Otherwise all events are counted, as exactly as before.
func (p Params) first(ctx context.Context, db Querier) (Facets, []Result, Params, error) {
	local := p.tiered() && p.local()
	sample := p.Q != "" && !local
	if p.tiered() && !local {
		f, p, err := p.count(ctx, db, sample)
		if err != nil || p.Counted == 0 {
			return f, nil, p, err
		}
		page, err := p.tieredPage(ctx, db)
		return f, page, p, err
	}
	sql, args := p.firstSQL(sample)
	f, page, p, err := p.firstPage(ctx, db, sql, args)
	if err == nil && sample && p.Counted < FacetLimit {
		f, p, err = p.count(ctx, db, false)
	}
	if err != nil || !p.tiered() || len(page) >= p.Limit || len(page) >= p.Counted {
		return f, page, p, err
	}
	rest := p
	rest.Limit = p.Limit - len(page)
	if len(page) > 0 {
		last := page[len(page)-1]
		rest.After = &Cursor{Score: last.Score, Time: last.StartsAt(), ID: last.ID}
	}
	more, err := rest.tieredPage(ctx, db)
	return f, append(page, more...), p, err
}

// count counts the matches of p into facets and p.Counted (facetsSQL): with sample among
// the sample first, and among all events when fewer than FacetLimit of those match.
func (p Params) count(ctx context.Context, db Querier, sample bool) (Facets, Params, error) {
	sql, args := p.facetsSQL(sample)
	rows, err := db.Query(ctx, sql, customPlan(args)...)
	if err != nil {
		return Facets{}, p, fmt.Errorf("facets: %w", err)
	}
	f := Facets{Category: []Facet{}, Date: []Facet{}}
	var cat, bucket *string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&cat, &bucket, &n}, func() error {
		if cat != nil {
			f.Category = append(f.Category, Facet{Value: *cat, Count: n})
		} else if bucket != nil {
			f.Date = append(f.Date, Facet{Value: *bucket, Count: n})
		}
		return nil
	})
	if err != nil {
		return f, p, fmt.Errorf("facets: %w", err)
	}
	f.sort()
	p.Counted = f.counted()
	if sample && p.Counted < FacetLimit {
		return p.count(ctx, db, false)
	}
	return f, p, nil
}

// firstPage runs a firstSQL query into facets, p.Counted and the page.
func (p Params) firstPage(ctx context.Context, db Querier, sql string, args []any) (Facets, []Result, Params, error) {
	rows, err := db.Query(ctx, sql, customPlan(args)...)
	if err != nil {
		return Facets{}, nil, p, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var (
		f               Facets
		cats, buckets   []string
		catsN, bucketsN []int
		page            = []Result{}
		facets          = []any{&cats, &catsN, &buckets, &bucketsN}
	)
	for rows.Next() {
		if rows.RawValues()[0] == nil { // no result: the page is empty
			// Nil destinations skip the result's columns; the facets come last.
			err = rows.Scan(append(make([]any, len(rows.RawValues())-len(facets)), facets...)...)
		} else {
			var r Result
			r, err = scanResult(rows, facets...)
			page = append(page, r)
		}
		if err != nil {
			return f, nil, p, fmt.Errorf("search: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return f, nil, p, fmt.Errorf("search: %w", err)
	}
	f = Facets{Category: make([]Facet, len(cats)), Date: make([]Facet, len(buckets))}
	for i := range cats {
		f.Category[i] = Facet{Value: cats[i], Count: catsN[i]}
	}
	for i := range buckets {
		f.Date[i] = Facet{Value: buckets[i], Count: bucketsN[i]}
	}
	f.sort()
	p.Counted = f.counted()
	return f, page, p, nil
}

// counted is how many matches the facets counted.
func (f Facets) counted() int {
	n := 0
	for _, c := range f.Category {
		n += c.Count
	}
	return n
}

// sort orders the category facets by count, most first, then by name, and the date
// buckets by date.
func (f Facets) sort() {
	slices.SortFunc(f.Category, func(a, b Facet) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value)) })
	order := map[string]int{"next_7_days": 0, "next_30_days": 1, "next_90_days": 2, "later": 3}
	slices.SortFunc(f.Date, func(a, b Facet) int { return cmp.Compare(order[a.Value], order[b.Value]) })
}

// tieredPage reads the page of a relevance search: every match at once in tier order
// when that is cheap (onePass), otherwise tier by tier: each tier is first walked in
// (starts_at, id) order, and read through its index only when the walk did not fill the
// page.
func (p Params) tieredPage(ctx context.Context, db Querier) ([]Result, error) {
	if p.onePass() {
		sql, args := p.allTiersSQL(p.Limit)
		return read(ctx, db, sql, customPlan(args))
	}
	var page []Result
	top := 3
	if p.After != nil {
		top = int(p.After.Score)
	}
	for t := top; t >= 1 && len(page) < p.Limit; t-- {
		for _, walk := range []bool{true, false} {
			sql, args := p.tierSQL(t, p.Limit-len(page), walk)
			got, err := read(ctx, db, sql, customPlan(args))
			if err != nil {
				return nil, err
			}
			if walk && len(got) < p.Limit-len(page) {
				continue // the walk may have missed some; read the tier in full
			}
			page = append(page, got...)
			break
		}
	}
	return page, nil
}

// nextPage returns the page of results of p after its cursor.
func (p Params) nextPage(ctx context.Context, db Querier) ([]Result, error) {
	if p.tiered() {
		return p.tieredPage(ctx, db)
	}
	sql, args := p.resultsSQL()
	return read(ctx, db, sql, customPlan(args))
}

// read runs a query for results (detailed) and scans them.
func read(ctx context.Context, db Querier, sql string, args []any) ([]Result, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Result, error) { return scanResult(row) })
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return list, nil
}

// scanResult scans a row of the columns detailed returns, then the columns of after.
func scanResult(row pgx.Row, after ...any) (Result, error) {
	var (
		r    Result
		dist *float64
		err  error
	)
	r.Event, err = eventview.Scan(row, append([]any{&r.Highlights.Title, &r.Score, &dist, &r.Highlights.Snippet}, after...)...)
	if err != nil {
		return r, err
	}
	if dist != nil {
		km := *dist / 1000
		r.DistanceKm = &km
	}
	return r, nil
}
