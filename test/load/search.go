package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/events-platform/events-platform/migrations"
)

type searchOptions struct {
	platform string
	duration time.Duration // search: of the open loop
	events   int
	database string
	clients  int
	// shapeDuration: of each shape's closed loop, against the endpoint and the obvious search.
	shapeDuration time.Duration
	rate          int    // searches a second of the open loop
	shapes        string // the shapes to measure, comma-separated; all when empty
	// mixDuration: of "endpoint vs its own SQL" (the shapes in turn); 0 skips it.
	mixDuration     time.Duration
	suggestDuration time.Duration
	// cpuProfile: where to write a CPU profile of the search process during the attack.
	cpuProfile string
}

// searchQuery is one query of the mix, as URL parameters.
type searchQuery struct {
	kind   string
	values url.Values
}

var (
	searchWords = []string{"jazz", "techno", "go", "kubernetes", "wine", "yoga", "marathon", "photography", "theatre", "founders",
		"coffee", "ai", "cloud", "python", "vegan", "festival", "workshop", "conference", "meetup", "live music", "street food",
		"data engineering", "open air", "book club", "comedy", "climbing", "security", "design", "rust", "hackathon"}
	searchCategories = []string{"technology", "music", "food", "sports", "arts", "business", "education", "community"}
	searchCities     = [][2]float64{{51.5074, -0.1278}, {40.7128, -74.0060}, {52.52, 13.405}, {48.8566, 2.3522}, {35.6762, 139.6503},
		{37.7749, -122.4194}, {38.7223, -9.1393}, {-33.8688, 151.2093}, {1.3521, 103.8198}, {19.4326, -99.1332}}
)

// mix returns n queries: text, text and category, text within a radius, and filters only,
// a quarter each. Each carries a from time a few seconds apart, so that no two are the same
// and the Redis cache does not answer for the database.
func mix(n int) []searchQuery {
	return mixFrom(time.Now().Add(time.Minute).UTC().Truncate(time.Second), n)
}

// mixFrom is mix with the first query's from time given.
func mixFrom(base time.Time, n int) []searchQuery {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]searchQuery, 0, n)
	for i := range n {
		v := url.Values{}
		from := base.Add(time.Duration(i) * time.Second)
		v.Set("from", from.Format(time.RFC3339))
		kind := []string{"text", "text+category", "text+geo", "filters"}[i%4]
		if kind != "filters" {
			v.Set("q", searchWords[rng.IntN(len(searchWords))])
		}
		switch kind {
		case "text+category", "filters":
			v.Set("category", searchCategories[rng.IntN(len(searchCategories))])
		}
		switch kind {
		case "text+geo":
			c := searchCities[rng.IntN(len(searchCities))]
			v.Set("lat", fmt.Sprint(c[0]))
			v.Set("lng", fmt.Sprint(c[1]))
			v.Set("radius_km", "25")
		case "filters":
			to := from.Add(time.Duration(7+rng.IntN(60)) * 24 * time.Hour)
			price := float64(10 + rng.IntN(10)*5)
			v.Set("to", to.Format(time.RFC3339))
			v.Set("price_max", fmt.Sprint(price))
		}
		v.Set("limit", "20")
		out = append(out, searchQuery{kind: kind, values: v})
	}
	return out
}

func runSearch(ctx context.Context, o searchOptions, stdout io.Writer) error {
	began := time.Now()
	defer func() { fmt.Fprintf(stdout, "\nthe scenario took %s\n", time.Since(began).Round(time.Second)) }()
	selected, err := selectShapes(o.shapes)
	if err != nil {
		return err
	}
	dbURL, err := benchDatabase(ctx, o.database)
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	var have int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&have); err != nil {
		return err
	}
	if have < o.events {
		fmt.Fprintf(stdout, "seeding %d events into %s (once; later runs reuse it)...\n", o.events, o.database)
		start := time.Now()
		cmd := exec.CommandContext(ctx, o.platform, "seed", "--users", fmt.Sprint(max(o.events/50, 50)), "--events", fmt.Sprint(o.events),
			"--interactions", fmt.Sprint(o.events/2))
		cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
		cmd.Stdout, cmd.Stderr = stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		fmt.Fprintf(stdout, "seeded in %s\n", time.Since(start).Round(time.Second))
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&have); err != nil {
			return err
		}
	}
	var upcoming int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE status = 'published' AND visibility = 'public' AND starts_at >= now()`).Scan(&upcoming)
	if err := ensureObviousTable(ctx, pool, stdout); err != nil {
		return err
	}
	// Before any process competes for the CPU.
	writes, err := measureWrites(ctx, pool)
	if err != nil {
		return fmt.Errorf("write cost: %w", err)
	}

	env, cleanup, err := setup(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	// The benchmark database for reads too: no replica from the caller's environment.
	env = append(env, "DATABASE_URL="+dbURL, "DATABASE_READ_URL=")
	qs := newQuerySource(uint64(time.Now().UnixNano()))
	mixed := qs.mixed(selected)

	// The statements the service runs for some searches of the mix, captured through a
	// proxy by a process of their own, for "endpoint vs its own SQL" at the end.
	var (
		raws    [][]statement
		rawNote string
	)
	if o.mixDuration > 0 {
		capStart := time.Now()
		queries := make([]url.Values, ownSQLSearches)
		for i := range queries {
			queries[i] = mixed().values
		}
		raws, err = captureSearches(o.platform, env, dbURL, queries)
		switch {
		case err != nil:
			rawNote = "capture failed: " + err.Error()
		case statementsIn(raws) == 0:
			rawNote = "the service ran no SQL for the searches"
		default:
			fmt.Fprintf(stdout, "captured the SQL of %d searches (%d statements) in %s\n", len(raws), statementsIn(raws),
				time.Since(capStart).Round(100*time.Millisecond))
		}
	}

	addr, debugAddr := freeAddr(), ""
	if o.cpuProfile != "" {
		debugAddr = freeAddr()
	}
	svc, ready, err := startTimed(o.platform, env, addr, "search", debugAddr)
	if err != nil {
		return err
	}
	defer stop(svc)
	fmt.Fprintf(stdout, "search ready in %.1f s (%d events, %d published, public and upcoming)\n", ready.Seconds(), have, upcoming)
	base := "http://" + addr

	obvious, err := obviousPool(ctx, dbURL, o.clients)
	if err != nil {
		return err
	}
	defer obvious.Close()

	fmt.Fprintf(stdout, "\nloopback load: %d shapes, each closed loop with %d clients for %s against the endpoint and the same for the obvious PostgreSQL search; every query unique (no cache hits)\n",
		len(selected), o.clients, o.shapeDuration)
	// Warm connections and caches, unmeasured: a new PostgreSQL backend is several times
	// slower for its first seconds.
	endpointLoop(base, mixed, o.clients, vegeta.Rate{}, 3*time.Second, func(*vegeta.Result) {})

	rows := make([]shapeRow, len(selected))
	for i, s := range selected {
		next := func() query { return query{s, qs.next(s)} }
		e := newEndpointResult()
		endpointLoop(base, next, o.clients, vegeta.Rate{}, o.shapeDuration, func(r *vegeta.Result) { e.add(r) })
		e.m.Close()
		ob := obviousPhase(ctx, obvious, qs, s, o.clients, o.shapeDuration)
		rows[i] = shapeRow{s, e, ob}
		fmt.Fprintf(os.Stderr, "%-24s endpoint %6.0f/s p99 %-9s errors %d   obvious %7.1f/s p99 %s\n", s.name, e.m.Throughput,
			round(e.m.Latencies.P99), e.errors(), ob.throughput(), round(ob.lat.q(0.99)))
	}

	// Open loop: arrivals at a fixed rate, whatever the latency, of the shapes in turn.
	fmt.Fprintf(os.Stderr, "open loop: %d searches/s for %s\n", o.rate, o.duration)
	open := newEndpointResult()
	openByShape := map[string]*vegeta.Metrics{}
	var shapeOf sync.Map
	openNext := func() query {
		q := mixed()
		shapeOf.Store(base+"/api/v1/search/events?"+q.values.Encode(), q.shape.name)
		return q
	}
	profiled(debugAddr, o.cpuProfile, o.duration, func() struct{} {
		endpointLoop(base, openNext, 0, vegeta.Rate{Freq: o.rate, Per: time.Second}, o.duration, func(r *vegeta.Result) {
			open.add(r)
			name, _ := shapeOf.LoadAndDelete(r.URL)
			n, _ := name.(string)
			if openByShape[n] == nil {
				openByShape[n] = &vegeta.Metrics{}
			}
			openByShape[n].Add(r)
		})
		return struct{}{}
	})
	open.m.Close()
	for _, m := range openByShape {
		m.Close()
	}

	// Autocomplete from one client: its goal is a latency, not a rate.
	suggestAll, suggestMiss := suggestPhase(addr, 1, o.suggestDuration)

	// The endpoint against the statements it ran, replayed through pgx.
	var mixE *endpointResult
	raw := &latencies{}
	if o.mixDuration > 0 && rawNote == "" {
		mixE = newEndpointResult()
		endpointLoop(base, mixed, o.clients, vegeta.Rate{}, o.mixDuration, func(r *vegeta.Result) { mixE.add(r) })
		mixE.m.Close()
		var searches [][]statement
		for _, r := range raws {
			if len(r) > 0 {
				searches = append(searches, r)
			}
		}
		sqlPool, err := obviousPool(ctx, dbURL, o.clients)
		if err != nil {
			return err
		}
		sqlPhase(ctx, sqlPool, searches, o.clients, min(o.mixDuration/4, 3*time.Second), &latencies{})
		sqlPhase(ctx, sqlPool, searches, o.clients, o.mixDuration, raw)
		sqlPool.Close()
	}

	report(stdout, o, rows, open, openByShape, suggestAll, suggestMiss, mixE, raw, rawNote, raws, writes, ready, have)
	return nil
}

// ownSQLSearches is how many searches of the mix are captured for "endpoint vs its own SQL".
const ownSQLSearches = 200

// shapeRow is what one shape measured.
type shapeRow struct {
	shape    *shape
	endpoint *endpointResult
	obvious  *obviousResult
}

// endpointResult gathers an attack's results: latencies, the responses other than 200,
// pages the cache answered, and, from one response in eight, the number of matches.
type endpointResult struct {
	m        vegeta.Metrics
	bad      map[uint16]int // by status; 0: no response
	firstBad string
	hits     int
	seen     int
	totals   int64
	counted  int
}

func newEndpointResult() *endpointResult { return &endpointResult{bad: map[uint16]int{}} }

func (e *endpointResult) add(r *vegeta.Result) {
	e.m.Add(r)
	e.seen++
	if r.Code != http.StatusOK {
		e.bad[r.Code]++
		if e.firstBad == "" {
			e.firstBad = fmt.Sprintf("%d %s %.300s (GET %s)", r.Code, r.Error, r.Body, r.URL)
		}
		return
	}
	if r.Headers.Get("X-Cache") == "hit" {
		e.hits++
	}
	if e.seen%8 == 1 {
		var b struct {
			Total *int64 `json:"total"`
		}
		if json.Unmarshal(r.Body, &b) == nil && b.Total != nil {
			e.totals += *b.Total
			e.counted++
		}
	}
}

func (e *endpointResult) errors() int {
	n := 0
	for _, c := range e.bad {
		n += c
	}
	return n
}

func (e *endpointResult) meanTotal() string {
	if e.counted == 0 {
		return "-"
	}
	return fmt.Sprint(e.totals / int64(e.counted))
}

// endpointLoop sends the searches next gives to the service at base for d: closed loop
// with clients workers when rate is zero, else open loop at rate.
func endpointLoop(base string, next func() query, clients int, rate vegeta.Rate, d time.Duration, each func(*vegeta.Result)) {
	opts := []func(*vegeta.Attacker){vegeta.KeepAlive(true), vegeta.Timeout(10 * time.Second)}
	if rate.Freq == 0 {
		opts = append(opts, vegeta.Workers(uint64(clients)), vegeta.MaxWorkers(uint64(clients)), vegeta.Connections(clients))
	}
	targeter := func(t *vegeta.Target) error {
		q := next()
		*t = vegeta.Target{Method: "GET", URL: base + "/api/v1/search/events?" + q.values.Encode()}
		return nil
	}
	for r := range vegeta.NewAttacker(opts...).Attack(targeter, rate, d, "search") {
		each(r)
	}
}

// Goals of the issue, on this machine with 1M events.
const (
	goalRatio     = 3.0 // every shape at least 3× the obvious search's throughput
	goalSpread    = 3.0 // and none below a third of the fastest shape
	goalOpenP95   = 25 * time.Millisecond
	goalOpenP99   = 50 * time.Millisecond
	goalSuggestP9 = 10 * time.Millisecond // autocomplete p99
)

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func report(stdout io.Writer, o searchOptions, rows []shapeRow, open *endpointResult, openByShape map[string]*vegeta.Metrics,
	suggestAll, suggestMiss *vegeta.Metrics, mixE *endpointResult, raw *latencies, rawNote string, raws [][]statement,
	writes writeCost, ready time.Duration, events int) {
	fastest := 0.0
	for _, r := range rows {
		fastest = max(fastest, r.endpoint.m.Throughput)
	}
	var slowRatio, slowShape, errShapes []string
	totalErrors := 0
	fmt.Fprintf(stdout, "\nper shape, closed loop, %d clients, %s each (total: mean matches of a search; ratio: endpoint/obvious throughput)\n", o.clients, o.shapeDuration)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "shape\tendpoint/s\tp50\tp95\tp99\terrors\ttotal\t\tobvious/s\tp50\tp99\ttotal\t\tratio\tgoal\t")
	for _, r := range rows {
		e, ob := r.endpoint, r.obvious
		ratioV := 0.0
		if ob.throughput() > 0 {
			ratioV = e.m.Throughput / ob.throughput()
		}
		var fails []string
		if ratioV < goalRatio {
			fails = append(fails, fmt.Sprintf("<%.0f×", goalRatio))
			slowRatio = append(slowRatio, fmt.Sprintf("%s %.1f×", r.shape.name, ratioV))
		}
		if e.m.Throughput < fastest/goalSpread {
			fails = append(fails, "<⅓ fastest")
			slowShape = append(slowShape, fmt.Sprintf("%s %.0f/s", r.shape.name, e.m.Throughput))
		}
		if n := e.errors(); n > 0 {
			fails = append(fails, "errors")
			errShapes = append(errShapes, r.shape.name)
			totalErrors += n
		}
		if ob.lat.errs > 0 {
			fails = append(fails, fmt.Sprintf("obvious errors %d", ob.lat.errs))
		}
		goal := "ok"
		if len(fails) > 0 {
			goal = "FAIL " + strings.Join(fails, ", ")
		}
		obTotal := "-"
		if n := len(ob.lat.ds); n > 0 {
			obTotal = fmt.Sprint(ob.matches / int64(n))
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t%d\t%s\t\t%.1f\t%s\t%s\t%s\t\t%.1f\t%s\t\n", r.shape.name,
			e.m.Throughput, round(e.m.Latencies.P50), round(e.m.Latencies.P95), round(e.m.Latencies.P99), e.errors(), e.meanTotal(),
			ob.throughput(), round(ob.lat.q(0.50)), round(ob.lat.q(0.99)), obTotal, ratioV, goal)
	}
	_ = tw.Flush()
	for _, r := range rows {
		e := r.endpoint
		if e.errors() > 0 {
			fmt.Fprintf(stdout, "  %s: %d of %d not 200 (by status, 0 = no response: %v); first: %s\n", r.shape.name, e.errors(), e.m.Requests, e.bad, e.firstBad)
		}
		if e.hits > 0 {
			fmt.Fprintf(stdout, "  %s: %d pages from the cache\n", r.shape.name, e.hits)
		}
		if r.obvious.lat.err != nil {
			fmt.Fprintf(stdout, "  %s obvious: %d errors, first: %v\n", r.shape.name, r.obvious.lat.errs, r.obvious.lat.err)
		}
	}

	m := open.m
	openOK := m.Latencies.P95 <= goalOpenP95 && m.Latencies.P99 <= goalOpenP99 && open.errors() == 0
	fmt.Fprintf(stdout, "\nopen loop, %d searches/s of the %d shapes in turn for %s: %d requests, %.2f%% success, p50 %s, p95 %s, p99 %s, max %s: %s (p95 ≤ %s, p99 ≤ %s)\n",
		o.rate, len(rows), o.duration, m.Requests, m.Success*100, round(m.Latencies.P50), round(m.Latencies.P95), round(m.Latencies.P99),
		round(m.Latencies.Max), passFail(openOK), goalOpenP95, goalOpenP99)
	if open.errors() > 0 {
		fmt.Fprintf(stdout, "  %d not 200 (by status: %v); first: %s\n", open.errors(), open.bad, open.firstBad)
	}
	type worst struct {
		name string
		p99  time.Duration
	}
	var ws []worst
	for n, sm := range openByShape {
		ws = append(ws, worst{n, sm.Latencies.P99})
	}
	slices.SortFunc(ws, func(a, b worst) int { return cmp.Compare(b.p99, a.p99) })
	var parts []string
	for _, w := range ws[:min(5, len(ws))] {
		parts = append(parts, fmt.Sprintf("%s %s", w.name, round(w.p99)))
	}
	fmt.Fprintf(stdout, "  slowest shapes by p99 in the open loop: %s\n", strings.Join(parts, ", "))

	suggestOK := suggestMiss.Latencies.P99 <= goalSuggestP9 && suggestAll.Success == 1
	fmt.Fprintf(stdout, "\nautocomplete, 1 client for %s: %d requests (%.0f/s), %.2f%% success, p50 %s, p95 %s, p99 %s; not cached: %d, p50 %s, p95 %s, p99 %s: %s (p99 not cached ≤ %s)\n",
		o.suggestDuration, suggestAll.Requests, float64(suggestAll.Requests)/o.suggestDuration.Seconds(), suggestAll.Success*100,
		round(suggestAll.Latencies.P50), round(suggestAll.Latencies.P95), round(suggestAll.Latencies.P99),
		suggestMiss.Requests, round(suggestMiss.Latencies.P50), round(suggestMiss.Latencies.P95), round(suggestMiss.Latencies.P99),
		passFail(suggestOK), goalSuggestP9)

	fmt.Fprintf(stdout, "\nwrites (PostgreSQL, in a transaction rolled back; median of %d): UPDATE of one published event's title %s, INSERT of one event %s\n",
		writeRuns, round(writes.update), round(writes.insert))
	fmt.Fprintf(stdout, "time to load %d events: search ready in %.1f s\n", events, ready.Seconds())

	if o.mixDuration > 0 {
		fmt.Fprintln(stdout)
		if rawNote != "" || mixE == nil {
			fmt.Fprintf(stdout, "endpoint vs its own SQL: skipped (%s)\n", rawNote)
		} else {
			e := mixE.m
			p50, p95, p99 := raw.quantiles()
			rawRate := float64(raw.n()) / o.mixDuration.Seconds()
			fmt.Fprintf(stdout, "endpoint vs its own SQL (the %d shapes in turn, %d clients, %s; SQL: the statements the service ran for %d searches, replayed through pgx):\n",
				len(rows), o.clients, o.mixDuration, len(raws))
			fmt.Fprintf(stdout, "  endpoint %.0f/s p50 %s p95 %s p99 %s, %d errors; its SQL %.0f/s p50 %s p95 %s p99 %s, %d errors; endpoint/SQL throughput %.2f\n",
				e.Throughput, round(e.Latencies.P50), round(e.Latencies.P95), round(e.Latencies.P99), mixE.errors(),
				rawRate, round(p50), round(p95), round(p99), raw.errs, e.Throughput/max(rawRate, 1e-9))
			if raw.err != nil {
				fmt.Fprintf(stdout, "  SQL errors: %d, first: %v\n", raw.errs, raw.err)
			}
		}
	}

	fmt.Fprintf(stdout, "\ngoals (%d events):\n", events)
	fmt.Fprintf(stdout, "  every shape ≥ %.0f× the obvious search: %s", goalRatio, passFail(len(slowRatio) == 0))
	if len(slowRatio) > 0 {
		fmt.Fprintf(stdout, " (%s)", strings.Join(slowRatio, ", "))
	}
	fmt.Fprintf(stdout, "\n  every shape ≥ ⅓ of the fastest (%.0f/s): %s", fastest, passFail(len(slowShape) == 0 && fastest > 0))
	if len(slowShape) > 0 {
		fmt.Fprintf(stdout, " (%s)", strings.Join(slowShape, ", "))
	}
	fmt.Fprintf(stdout, "\n  open loop %d/s p95 ≤ %s and p99 ≤ %s: %s\n", o.rate, goalOpenP95, goalOpenP99, passFail(openOK))
	fmt.Fprintf(stdout, "  autocomplete p99 ≤ %s: %s\n", goalSuggestP9, passFail(suggestOK))
	fmt.Fprintf(stdout, "  every response 200: %s", passFail(totalErrors == 0 && open.errors() == 0))
	if len(errShapes) > 0 {
		fmt.Fprintf(stdout, " (%d errors in %s)", totalErrors, strings.Join(errShapes, ", "))
	}
	fmt.Fprintln(stdout)
}

// writeRuns is how many times each write is timed.
const writeRuns = 20

type writeCost struct{ update, insert time.Duration }

// measureWrites times, in PostgreSQL, the update of one published event's title and the
// insert of one event, each in a transaction rolled back: the data stays as it was.
func measureWrites(ctx context.Context, pool *pgxpool.Pool) (writeCost, error) {
	var ids []int64
	rows, err := pool.Query(ctx, `SELECT id FROM events WHERE status = 'published' AND visibility = 'public' AND starts_at > now()
		AND id % 9973 = 17 LIMIT $1`, writeRuns+1)
	if err != nil {
		return writeCost{}, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return writeCost{}, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return writeCost{}, err
	}
	if len(ids) == 0 {
		return writeCost{}, errors.New("no published upcoming event to update")
	}
	timed := func(sql string) (time.Duration, error) {
		var ds []time.Duration
		for i := range writeRuns + 1 { // the first warms the connection, untimed
			tx, err := pool.Begin(ctx)
			if err != nil {
				return 0, err
			}
			start := time.Now()
			_, err = tx.Exec(ctx, sql, ids[i%len(ids)])
			d := time.Since(start)
			_ = tx.Rollback(ctx)
			if err != nil {
				return 0, err
			}
			if i > 0 {
				ds = append(ds, d)
			}
		}
		slices.Sort(ds)
		return ds[len(ds)/2], nil
	}
	var w writeCost
	if w.update, err = timed(`UPDATE events SET title = title || '', updated_at = now() WHERE id = $1`); err != nil {
		return w, err
	}
	w.insert, err = timed(`INSERT INTO events (title, description, category, tags, starts_at, ends_at, timezone, venue_name, address,
		city, country, lat, lng, capacity, price, currency, visibility, status, created_by, published_at)
		SELECT title, description, category, tags, starts_at, ends_at, timezone, venue_name, address,
		city, country, lat, lng, capacity, price, currency, visibility, status, created_by, published_at FROM events WHERE id = $1`)
	return w, err
}

// suggestPhase sends autocomplete queries (prefixes of one to eight letters of the seed's
// topics, kinds of event, categories and cities, and some with two letters swapped) from clients for d, and
// returns the latencies of all of them and of those the cache did not answer.
func suggestPhase(addr string, clients int, d time.Duration) (all, miss *vegeta.Metrics) {
	var words []string
	for _, c := range seedCategories {
		words = append(append(append(words, c.name), c.topics...), c.kinds...)
	}
	for _, c := range seedCities {
		words = append(words, strings.ToLower(c.name))
	}
	words = append(words, prefixWords...)
	slices.Sort(words)
	words = slices.Compact(words)
	var prefixes []string
	for _, w := range words {
		rs := []rune(w)
		for n := 1; n <= min(len(rs), 8); n++ {
			prefixes = append(prefixes, string(rs[:n]))
		}
		if len(rs) >= 5 {
			rs[2], rs[3] = rs[3], rs[2]
			prefixes = append(prefixes, string(rs))
		}
	}
	slices.Sort(prefixes)
	prefixes = slices.Compact(prefixes)
	rng := rand.New(rand.NewPCG(7, 8))
	rng.Shuffle(len(prefixes), func(i, j int) { prefixes[i], prefixes[j] = prefixes[j], prefixes[i] })
	var (
		mu sync.Mutex
		n  int
	)
	targeter := func(t *vegeta.Target) error {
		mu.Lock()
		q := prefixes[n%len(prefixes)]
		n++
		mu.Unlock()
		*t = vegeta.Target{Method: "GET", URL: "http://" + addr + "/api/v1/search/suggest?q=" + url.QueryEscape(q)}
		return nil
	}
	a := vegeta.NewAttacker(vegeta.Workers(uint64(clients)), vegeta.MaxWorkers(uint64(clients)), vegeta.KeepAlive(true),
		vegeta.Connections(clients), vegeta.Timeout(10*time.Second))
	all, miss = &vegeta.Metrics{}, &vegeta.Metrics{}
	for res := range a.Attack(targeter, vegeta.Rate{}, d, "suggest") {
		all.Add(res)
		if res.Headers.Get("X-Cache") != "hit" {
			miss.Add(res)
		}
	}
	all.Close()
	miss.Close()
	return all, miss
}

// captureSearches returns the statements the search service runs for each of queries: it
// starts a search process whose database connections go through an sqlRecorder, and
// sends it the queries one at a time.
func captureSearches(platform string, env []string, dbURL string, queries []url.Values) ([][]statement, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, err
	}
	rec, err := newSQLRecorder(u.Host)
	if err != nil {
		return nil, err
	}
	defer rec.close()
	u.Host = rec.addr()
	addr := freeAddr()
	svc, _, err := startTimed(platform, append(slices.Clone(env), "DATABASE_URL="+u.String()), addr, "search", "")
	if err != nil {
		return nil, err
	}
	defer stop(svc)
	client := &http.Client{Timeout: 30 * time.Second}
	out := make([][]statement, 0, len(queries))
	for _, q := range queries {
		mark := rec.count()
		res, err := client.Get("http://" + addr + "/api/v1/search/events?" + q.Encode())
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("X-Cache") == "hit" {
			return nil, fmt.Errorf("GET %s: %s, X-Cache %q", q.Encode(), res.Status, res.Header.Get("X-Cache"))
		}
		// A search may run no SQL at all (an index in memory answering an empty page).
		out = append(out, searchStatements(rec.since(mark)))
	}
	return out, nil
}

func statementsIn(searches [][]statement) int {
	n := 0
	for _, s := range searches {
		n += len(s)
	}
	return n
}

// sqlPhase replays searches (each on one connection, as the endpoint runs them) from
// clients goroutines for d.
func sqlPhase(ctx context.Context, pool *pgxpool.Pool, searches [][]statement, clients int, d time.Duration, into *latencies) {
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	deadline := time.Now().Add(d)
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				mu.Lock()
				stmts := searches[next%len(searches)]
				next++
				mu.Unlock()
				start := time.Now()
				err := replay(ctx, pool, stmts)
				into.add(time.Since(start), err)
			}
		})
	}
	wg.Wait()
}

type latencies struct {
	mu   sync.Mutex
	ds   []time.Duration
	errs int
	err  error
}

func (l *latencies) add(d time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.errs++
		if l.err == nil {
			l.err = err
		}
		return
	}
	l.ds = append(l.ds, d)
}

func (l *latencies) n() int { return len(l.ds) + l.errs }

func (l *latencies) success() float64 {
	if l.n() == 0 {
		return 0
	}
	return float64(len(l.ds)) / float64(l.n())
}

func (l *latencies) quantiles() (p50, p95, p99 time.Duration) {
	return l.q(0.50), l.q(0.95), l.q(0.99)
}

// q is the quantile q of the latencies (0 when there are none).
func (l *latencies) q(q float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ds) == 0 {
		return 0
	}
	if !slices.IsSorted(l.ds) {
		slices.Sort(l.ds)
	}
	return l.ds[min(int(q*float64(len(l.ds))), len(l.ds)-1)]
}

// benchDatabase returns the URL of the named database on the server of DATABASE_URL,
// created and migrated if needed. It is kept between runs: seeding a million events takes
// minutes.
func benchDatabase(ctx context.Context, name string) (string, error) {
	admin, err := adminURL()
	if err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", err
		}
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	r, err := migrations.Open(u.String())
	if err != nil {
		return "", err
	}
	defer r.Close()
	if err := r.Up(); err != nil {
		return "", err
	}
	return u.String(), nil
}
