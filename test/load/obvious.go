package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The baseline of the search scenario: the search anyone would write in PostgreSQL for the
// seed's events, run on the same data in the same run. A table of its own holds the
// events with a weighted tsvector (title A; tags, category and city B; description C)
// and the obvious indexes; each search is two statements, as the API answers with a page
// and with the total and facets of the matches: the page (LIMIT 21, one more than shown,
// to know whether another follows) and a count of the matches by category.

const obviousTable = "bench_obvious_events"

// ensureObviousTable creates the baseline's table from events, once: later runs reuse it.
func ensureObviousTable(ctx context.Context, pool *pgxpool.Pool, stdout io.Writer) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, obviousTable).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	fmt.Fprintf(stdout, "creating %s (the obvious PostgreSQL search's table, once; later runs reuse it)...\n", obviousTable)
	start := time.Now()
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	for _, sql := range []string{
		`SET LOCAL maintenance_work_mem = '512MB'`,
		`CREATE EXTENSION IF NOT EXISTS cube`,
		`CREATE EXTENSION IF NOT EXISTS earthdistance`,
		`CREATE EXTENSION IF NOT EXISTS pg_trgm`,
		// array_to_string is not immutable (its element output functions need not be), so a
		// generated column cannot call it directly.
		`CREATE OR REPLACE FUNCTION bench_obvious_words(text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
			AS $$ SELECT array_to_string($1, ' ') $$`,
		`CREATE TABLE ` + obviousTable + ` (
			id          bigint PRIMARY KEY,
			title       text NOT NULL,
			description text NOT NULL,
			category    text NOT NULL,
			tags        text[] NOT NULL,
			city        text NOT NULL,
			lat         double precision,
			lng         double precision,
			price       numeric(12,2) NOT NULL,
			starts_at   timestamptz NOT NULL,
			status      text NOT NULL,
			visibility  text NOT NULL,
			search_vector tsvector GENERATED ALWAYS AS (
				setweight(to_tsvector('english', title), 'A') ||
				setweight(to_tsvector('english', bench_obvious_words(tags) || ' ' || category || ' ' || city), 'B') ||
				setweight(to_tsvector('english', description), 'C')) STORED)`,
		`INSERT INTO ` + obviousTable + ` (id, title, description, category, tags, city, lat, lng, price, starts_at, status, visibility)
			SELECT id, title, description, category, tags, city, lat, lng, price, starts_at, status, visibility FROM events`,
		`CREATE INDEX ` + obviousTable + `_vector_idx ON ` + obviousTable + ` USING gin (search_vector)`,
		`CREATE INDEX ` + obviousTable + `_location_idx ON ` + obviousTable + ` USING gist (ll_to_earth(lat, lng))`,
		`CREATE INDEX ` + obviousTable + `_starts_idx ON ` + obviousTable + ` (starts_at)`,
		`CREATE INDEX ` + obviousTable + `_category_idx ON ` + obviousTable + ` (category)`,
		`CREATE INDEX ` + obviousTable + `_city_idx ON ` + obviousTable + ` (lower(city))`,
		// For the typo shape: what the obvious search does about misspellings.
		`CREATE INDEX ` + obviousTable + `_title_trgm_idx ON ` + obviousTable + ` USING gin (title gin_trgm_ops)`,
	} {
		if _, err := tx.Exec(ctx, sql); err != nil {
			return fmt.Errorf("create %s: %w", obviousTable, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE `+obviousTable); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s in %s\n", obviousTable, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// obviousSearch is the baseline's two statements for one query of the API.
type obviousSearch struct {
	page, facets string
	args         []any
}

// obviousSQL translates the API's parameters into the obvious SQL.
func obviousSQL(s *shape, v url.Values) (obviousSearch, error) {
	var (
		where = []string{"e.status = 'published'", "e.visibility = 'public'"}
		args  []any
		rank  string
		dist  string
	)
	arg := func(x any) string {
		args = append(args, x)
		return "$" + strconv.Itoa(len(args))
	}
	num := func(k string) (float64, error) { return strconv.ParseFloat(v.Get(k), 64) }
	for _, k := range []string{"from", "to"} {
		if v.Get(k) == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v.Get(k))
		if err != nil {
			return obviousSearch{}, err
		}
		if k == "from" {
			where = append(where, "e.starts_at >= "+arg(t))
		} else {
			where = append(where, "e.starts_at < "+arg(t))
		}
	}
	if q := v.Get("q"); q != "" {
		switch s.match {
		case "prefix":
			tsq := "to_tsquery('english', " + arg(q+":*") + ")"
			where = append(where, "e.search_vector @@ "+tsq)
			rank = "ts_rank(e.search_vector, " + tsq + ")"
		case "typo":
			p := arg(q)
			tsq := "websearch_to_tsquery('english', " + p + ")"
			where = append(where, "(e.search_vector @@ "+tsq+" OR "+p+" <% e.title)")
			rank = "ts_rank(e.search_vector, " + tsq + ") + word_similarity(" + p + ", e.title)"
		default:
			tsq := "websearch_to_tsquery('english', " + arg(q) + ")"
			where = append(where, "e.search_vector @@ "+tsq)
			rank = "ts_rank(e.search_vector, " + tsq + ")"
		}
	}
	if c := v.Get("category"); c != "" {
		where = append(where, "e.category = "+arg(strings.ToLower(c)))
	}
	if c := v.Get("city"); c != "" {
		where = append(where, "lower(e.city) = lower("+arg(c)+")")
	}
	if v.Get("price_max") != "" {
		p, err := num("price_max")
		if err != nil {
			return obviousSearch{}, err
		}
		where = append(where, "e.price <= "+arg(p))
	}
	if v.Get("free") == "true" {
		where = append(where, "e.price = 0")
	}
	if v.Get("lat") != "" {
		lat, err1 := num("lat")
		lng, err2 := num("lng")
		km := 100.0 // the API's default radius with sort=distance
		var err3 error
		if v.Get("radius_km") != "" {
			km, err3 = num("radius_km")
		}
		if err := firstErr(err1, err2, err3); err != nil {
			return obviousSearch{}, err
		}
		centre := "ll_to_earth(" + arg(lat) + ", " + arg(lng) + ")"
		dist = "earth_distance(" + centre + ", ll_to_earth(e.lat, e.lng))"
		r := arg(km * 1000)
		where = append(where, "earth_box("+centre+", "+r+") @> ll_to_earth(e.lat, e.lng)", dist+" <= "+r)
	}
	sort := v.Get("sort")
	if sort == "" {
		sort = "date"
		if rank != "" {
			sort = "relevance"
		}
	}
	cols := "e.id, e.title, e.category, e.city, e.starts_at, e.price, e.lat, e.lng"
	var order string
	switch sort {
	case "relevance":
		cols += ", " + rank + " AS rank"
		order = "rank DESC, e.starts_at, e.id"
	case "distance":
		cols += ", " + dist + " AS distance"
		order = "distance, e.id"
	default:
		order = "e.starts_at, e.id"
	}
	cond := strings.Join(where, " AND ")
	return obviousSearch{
		page:   "SELECT " + cols + " FROM " + obviousTable + " e WHERE " + cond + " ORDER BY " + order + " LIMIT 21",
		facets: "SELECT e.category, count(*) FROM " + obviousTable + " e WHERE " + cond + " GROUP BY e.category",
		args:   args,
	}, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// run runs the search on one connection, reading every row, and returns the number of
// matches.
func (o obviousSearch) run(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	rows, err := conn.Query(ctx, o.page, o.args...)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		if _, err := rows.Values(); err != nil {
			rows.Close()
			return 0, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	rows, err = conn.Query(ctx, o.facets, o.args...)
	if err != nil {
		return 0, err
	}
	var total int64
	for rows.Next() {
		var cat string
		var n int64
		if err := rows.Scan(&cat, &n); err != nil {
			rows.Close()
			return 0, err
		}
		total += n
	}
	rows.Close()
	return total, rows.Err()
}

// obviousPool is a pool for the baseline: a connection per client, each search planned
// for its own parameters (a generic plan would be unfair to skewed data: a category of 24%
// of the events and one of 2% want different plans), and a statement timeout.
func obviousPool(ctx context.Context, dbURL string, clients int) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns, cfg.MinConns = int32(clients), int32(clients)
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = "60s"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// Open every connection now, not during the first measurement.
	conns := make([]*pgxpool.Conn, 0, clients)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range clients {
		c, err := pool.Acquire(ctx)
		if err != nil {
			pool.Close()
			return nil, err
		}
		conns = append(conns, c)
	}
	return pool, nil
}

// obviousResult is what the baseline did for one shape.
type obviousResult struct {
	lat     latencies
	matches int64 // summed over the successful searches
	elapsed time.Duration
}

func (r *obviousResult) throughput() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(len(r.lat.ds)) / r.elapsed.Seconds()
}

// obviousPhase runs searches of shape s through the baseline from clients goroutines for d
// (the searches under way at the end finish and count).
func obviousPhase(ctx context.Context, pool *pgxpool.Pool, qs *querySource, s *shape, clients int, d time.Duration) *obviousResult {
	res := &obviousResult{}
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	start := time.Now()
	deadline := start.Add(d)
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				o, err := obviousSQL(s, qs.next(s))
				if err != nil {
					res.lat.add(0, err)
					continue
				}
				t := time.Now()
				n, err := o.run(ctx, pool)
				res.lat.add(time.Since(t), err)
				if err == nil {
					mu.Lock()
					res.matches += n
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}
