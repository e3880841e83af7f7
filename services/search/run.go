package search

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
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
func (p Params) Search(ctx context.Context, db Querier) (*Facets, Params, []Result, error) {
	if p.Corrected {
		q, ok, err := Correct(ctx, db, p.Q)
		if err != nil {
			return nil, p, nil, err
		}
		p.Q, p.Corrected = q, ok
	}
	if p.After != nil {
		results, err := p.Results(ctx, db)
		return nil, p, results, err
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
		return &facets, p, nil, err // counted exactly as none: no rows to read
	}
	var results []Result
	if page != nil {
		results, err = p.detail(ctx, db, page)
	} else {
		results, err = p.Results(ctx, db)
	}
	return &facets, p, results, err
}

// first counts the matches of a first page into facets and p.Counted. Within a local
// radius it also chooses the page (localPage); otherwise page is nil and Results chooses
// it.
//
// With words, it first counts among a fixed eighth of the events (FacetsSQL with
// sample, event_search_sample_idx): when FacetLimit of them match, those are FacetLimit
// matches as good as any, found from an eighth of the word's index entries. A common
// word's entries are most of the cost of counting: "kubernetes" 7.4 → 1.9 ms, "live
// music" 16 → 3 ms. Otherwise all events are counted, as exactly as before.
func (p Params) first(ctx context.Context, db Querier) (Facets, []pageRow, Params, error) {
	if p.Tiered() && p.Local() {
		return p.localPage(ctx, db)
	}
	if p.Q != "" {
		sql, args := p.FacetsSQL(true)
		f, page, sampled, err := p.count(ctx, db, sql, args, false)
		if err != nil || sampled.Counted >= FacetLimit {
			return f, page, sampled, err
		}
	}
	sql, args := p.FacetsSQL(false)
	return p.count(ctx, db, sql, args, false)
}

// localPage counts the matches of a first page within a local radius and chooses its
// page: in one statement (FirstTitlesSQL) the facets and the events whose title matches;
// when those do not fill the page and other events match, the rest of the page comes
// from the lower tiers, after the last title (AllTiersSQL). Against reading every match
// in the circle at once, the facets stop at FacetLimit matches and the page reads only
// the titles when they fill it: "ai" around London reads 2,300 events instead of 8,900.
func (p Params) localPage(ctx context.Context, db Querier) (Facets, []pageRow, Params, error) {
	sql, args := p.FirstTitlesSQL()
	f, page, p, err := p.count(ctx, db, sql, args, true)
	if err != nil || len(page) >= p.Limit || len(page) >= p.Counted {
		return f, page, p, err
	}
	rest := p
	rest.Limit = p.Limit - len(page)
	if len(page) > 0 {
		last := page[len(page)-1]
		rest.After = &Cursor{Score: last.tier, Time: last.start, ID: last.id}
	}
	more, err := rest.tieredPage(ctx, db)
	return f, append(page, more...), p, err
}

// count runs a FacetsSQL query, or with combined a FirstTitlesSQL one, into facets,
// p.Counted and the page.
func (p Params) count(ctx context.Context, db Querier, sql string, args []any, combined bool) (Facets, []pageRow, Params, error) {
	rows, err := db.Query(ctx, sql, customPlan(args)...)
	if err != nil {
		return Facets{}, nil, p, fmt.Errorf("facets: %w", err)
	}
	defer rows.Close()
	f := Facets{Category: []Facet{}, Date: []Facet{}}
	var page []pageRow
	if combined {
		page = []pageRow{}
	}
	p.Counted = 0
	for rows.Next() {
		var (
			cat, bucket *string
			n           int
			id          *int64
			start       *time.Time
			dist        *float64
			tier        *int32
		)
		dest := []any{&cat, &bucket, &n}
		if combined {
			dest = append(dest, &id, &start, &dist, &tier)
		}
		if err := rows.Scan(dest...); err != nil {
			return f, nil, p, fmt.Errorf("facets: %w", err)
		}
		switch {
		case cat != nil:
			f.Category = append(f.Category, Facet{Value: *cat, Count: n})
			p.Counted += n
		case bucket != nil:
			f.Date = append(f.Date, Facet{Value: *bucket, Count: n})
		case id != nil && start != nil && tier != nil:
			page = append(page, pageRow{id: *id, start: *start, dist: dist, tier: float32(*tier)})
		}
	}
	if err := rows.Err(); err != nil {
		return f, nil, p, fmt.Errorf("facets: %w", err)
	}
	sortFacets(f.Category)
	order := map[string]int{"next_7_days": 0, "next_30_days": 1, "next_90_days": 2, "later": 3}
	sortBy(f.Date, func(a, b Facet) bool { return order[a.Value] < order[b.Value] })
	return f, page, p, nil
}

func sortFacets(fs []Facet) {
	sortBy(fs, func(a, b Facet) bool { return a.Count > b.Count || a.Count == b.Count && a.Value < b.Value })
}

func sortBy(fs []Facet, less func(a, b Facet) bool) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && less(fs[j], fs[j-1]); j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

// pageRow is one row of a page chosen by tiers, before it is read in full.
type pageRow struct {
	id    int64
	tier  float32
	start time.Time
	dist  *float64
}

// tieredPage chooses the page of a relevance search: every match at once in tier order
// when that is cheap (OnePass), otherwise tier by tier: each tier is first walked in
// (starts_at, id) order, and read through its index only when the walk did not fill the
// page.
func (p Params) tieredPage(ctx context.Context, db Querier) ([]pageRow, error) {
	if p.OnePass() {
		sql, args := p.AllTiersSQL(p.Limit)
		rows, err := db.Query(ctx, sql, customPlan(args)...)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(row pgx.CollectableRow) (pageRow, error) {
			var r pageRow
			var tier int32
			err := row.Scan(&r.id, &r.start, &r.dist, &tier)
			r.tier = float32(tier)
			return r, err
		})
	}
	var page []pageRow
	top := 3
	if p.After != nil {
		top = int(p.After.Score)
	}
	for t := top; t >= 1 && len(page) < p.Limit; t-- {
		for _, walk := range []bool{true, false} {
			sql, args := p.TierSQL(t, p.Limit-len(page), walk)
			rows, err := db.Query(ctx, sql, customPlan(args)...)
			if err != nil {
				return nil, err
			}
			got, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pageRow, error) {
				r := pageRow{tier: float32(t)}
				return r, row.Scan(&r.id, &r.start, &r.dist)
			})
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

// Results returns the page of results of p, each read in full.
func (p Params) Results(ctx context.Context, db Querier) ([]Result, error) {
	if p.Tiered() {
		page, err := p.tieredPage(ctx, db)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		return p.detail(ctx, db, page)
	}
	sql, args := p.ResultsSQL()
	return p.read(ctx, db, sql, customPlan(args))
}

// detail reads in full the events of a page chosen by tiers.
func (p Params) detail(ctx context.Context, db Querier, page []pageRow) ([]Result, error) {
	if len(page) == 0 {
		return nil, nil
	}
	ids, tiers, dists := make([]int64, len(page)), make([]float32, len(page)), make([]*float64, len(page))
	for i, r := range page {
		ids[i], tiers[i], dists[i] = r.id, r.tier, r.dist
	}
	return p.read(ctx, db, p.DetailSQL(), []any{ids, tiers, dists, p.Q})
}

// read runs a query for results (ResultsSQL or DetailSQL) and scans them.
func (p Params) read(ctx context.Context, db Querier, sql string, args []any) ([]Result, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Result, error) {
		var (
			r     Result
			loc   Location
			tz    string
			dist  *float64
			price float64
		)
		err := row.Scan(&r.ID, &r.Title, &r.Highlights.Title, &r.Category, &r.Tags, &r.Date, &r.EndDate, &tz, &loc.Name,
			&loc.City, &loc.Country, &loc.Lat, &loc.Lng, &r.OnlineURL, &price, &r.Currency, &r.Capacity, &r.RegisteredCount,
			&r.Score, &dist, &r.Highlights.Snippet)
		if err != nil {
			return r, err
		}
		r.Price = price
		if loc != (Location{}) {
			r.Location = &loc
		}
		if r.Tags == nil {
			r.Tags = []string{}
		}
		if r.Capacity != nil {
			left := max(*r.Capacity-r.RegisteredCount, 0)
			r.SeatsLeft = &left
		}
		if dist != nil {
			km := *dist / 1000
			r.DistanceKm = &km
		}
		if zone := location(tz); zone != nil {
			r.Date = r.Date.In(zone)
			if r.EndDate != nil {
				end := r.EndDate.In(zone)
				r.EndDate = &end
			}
		}
		return r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return list, nil
}

// zones holds the time zones loaded so far: time.LoadLocation reads and parses the zone
// file on every call.
var zones sync.Map

// location returns the named time zone, or nil when there is none by that name.
func location(name string) *time.Location {
	if z, ok := zones.Load(name); ok {
		return z.(*time.Location)
	}
	z, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	zones.Store(name, z)
	return z
}
