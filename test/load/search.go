package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
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
	duration time.Duration
	events   int
	database string
	clients  int
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
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE status = 'published' AND starts_at >= now()`).Scan(&upcoming)

	env, cleanup, err := setup(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	env = append(env, "DATABASE_URL="+dbURL)
	queries := mix(200_000)

	// The raw SQL phase's searches: the statements the service runs for the last
	// rawSearches queries of the mix (the endpoint phase does not reach them, so they do
	// not warm its cache), captured once.
	capStart := time.Now()
	raws, err := captureSearches(o.platform, env, dbURL, queries[len(queries)-rawSearches:])
	if err != nil {
		return fmt.Errorf("capture the searches' SQL: %w", err)
	}
	fmt.Fprintf(stdout, "captured the SQL of %d searches (%d statements) in %s\n", len(raws), statementsIn(raws), time.Since(capStart).Round(time.Second))

	addr, debugAddr := freeAddr(), ""
	if o.cpuProfile != "" {
		debugAddr = freeAddr()
	}
	svc, err := start(o.platform, env, addr, "search", debugAddr)
	if err != nil {
		return err
	}
	defer stop(svc)

	fmt.Fprintf(stdout, "loopback load: %d events (%d published and upcoming), %d clients, %s per phase, mixed queries (text, text+category, text+geo 25 km, filters only), each unique (no cache hits)\n\n",
		have, upcoming, o.clients, o.duration)

	// Both measured phases start on warm connections: a new PostgreSQL backend is several
	// times slower for its first seconds (here the service's first 5 s cost 22 ms of
	// database CPU a search against 5.5 ms once warm), which a steady-state figure must
	// not include. The endpoint is warmed through the service's own pool, the raw SQL
	// phase's pool by replaying SQL; neither warm-up is measured.
	var n int64
	var mu sync.Mutex
	targeter := func(t *vegeta.Target) error {
		mu.Lock()
		q := queries[n%int64(len(queries))]
		n++
		mu.Unlock()
		*t = vegeta.Target{Method: "GET", URL: "http://" + addr + "/api/v1/search/events?" + q.values.Encode()}
		return nil
	}
	attacker := func() *vegeta.Attacker { // one per attack: a finished attack stops its attacker
		return vegeta.NewAttacker(vegeta.Workers(uint64(o.clients)), vegeta.MaxWorkers(uint64(o.clients)), vegeta.KeepAlive(true),
			vegeta.Connections(o.clients), vegeta.Timeout(10*time.Second))
	}
	for range attacker().Attack(targeter, vegeta.Rate{}, o.duration/3, "warm") {
	}
	sqlPhase(ctx, pool, raws[len(raws)/2:], o.clients, o.duration/6, &latencies{})

	kinds := []string{"text", "text+category", "text+geo", "filters"}
	endpoint := map[string]*vegeta.Metrics{"all": {}}
	for _, k := range kinds {
		endpoint[k] = &vegeta.Metrics{}
	}
	warmed := n
	profiled(debugAddr, o.cpuProfile, o.duration, func() struct{} {
		for res := range attacker().Attack(targeter, vegeta.Rate{}, o.duration, "search") {
			endpoint["all"].Add(res)
			endpoint[kindOf(res.URL)].Add(res)
		}
		return struct{}{}
	})
	for _, m := range endpoint {
		m.Close()
	}
	sent := int(n - warmed)

	// Autocomplete from one client: its goal is a latency (under 10 ms), not a rate.
	suggestAll, suggestMiss := suggestPhase(addr, 1, o.duration/3)

	// The service's own statements for the searches of the mix, replayed through pgx.
	raw := &latencies{}
	sqlPhase(ctx, pool, raws, o.clients, o.duration, raw)

	e := endpoint["all"]
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\trequests\tper s\tsuccess\tp50\tp95\tp99\t")
	fmt.Fprintf(tw, "GET /api/v1/search/events\t%d\t%.0f\t%.2f%%\t%s\t%s\t%s\t\n", e.Requests, e.Throughput, e.Success*100,
		round(e.Latencies.P50), round(e.Latencies.P95), round(e.Latencies.P99))
	for _, k := range kinds {
		m := endpoint[k]
		fmt.Fprintf(tw, "  %s\t%d\t%.0f\t%.2f%%\t%s\t%s\t%s\t\n", k, m.Requests, float64(m.Requests)/o.duration.Seconds(), m.Success*100,
			round(m.Latencies.P50), round(m.Latencies.P95), round(m.Latencies.P99))
	}
	p50, p95, p99 := raw.quantiles()
	fmt.Fprintf(tw, "raw SQL (pgx)\t%d\t%.0f\t%.2f%%\t%s\t%s\t%s\t\n", raw.n(), float64(raw.n())/o.duration.Seconds(), raw.success()*100,
		round(p50), round(p95), round(p99))
	for _, m := range []struct {
		name string
		m    *vegeta.Metrics
	}{{"GET /api/v1/search/suggest (1 client)", suggestAll}, {"  not cached", suggestMiss}} {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f%%\t%s\t%s\t%s\t\n", m.name, m.m.Requests, float64(m.m.Requests)/(o.duration/3).Seconds(),
			m.m.Success*100, round(m.m.Latencies.P50), round(m.m.Latencies.P95), round(m.m.Latencies.P99))
	}
	_ = tw.Flush()
	fmt.Fprintf(stdout, "\nendpoint/SQL: p50 %.2f, p95 %.2f, p99 %.2f, throughput %.2f (%d queries sent)\n",
		ratio(e.Latencies.P50, p50), ratio(e.Latencies.P95, p95), ratio(e.Latencies.P99, p99), e.Throughput/(float64(raw.n())/o.duration.Seconds()), sent)
	if len(e.Errors) > 0 {
		fmt.Fprintf(stdout, "endpoint errors: %v\n", e.Errors)
	}
	if raw.err != nil {
		fmt.Fprintf(stdout, "SQL errors: %d, first: %v\n", raw.errs, raw.err)
	}
	return nil
}

// suggestPhase sends autocomplete queries (prefixes of one to eight letters of words,
// categories and cities, and some with two letters swapped) from clients for d, and
// returns the latencies of all of them and of those the cache did not answer.
func suggestPhase(addr string, clients int, d time.Duration) (all, miss *vegeta.Metrics) {
	var prefixes []string
	for _, w := range append(append(slices.Clone(searchWords), searchCategories...), "berlin", "lisbon", "london", "tokyo", "paris", "madrid") {
		for n := 1; n <= min(len(w), 8); n++ {
			prefixes = append(prefixes, w[:n])
		}
		if len(w) >= 5 {
			b := []byte(w)
			b[2], b[3] = b[3], b[2]
			prefixes = append(prefixes, string(b))
		}
	}
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

func kindOf(u string) string {
	v, _ := url.Parse(u)
	q := v.Query()
	switch {
	case q.Has("lat"):
		return "text+geo"
	case q.Has("q") && q.Has("category"):
		return "text+category"
	case q.Has("q"):
		return "text"
	}
	return "filters"
}

// rawSearches is how many searches of the mix the raw SQL phase replays, in turn.
const rawSearches = 2000

// captureSearches returns the statements the search service runs for each of queries: it
// starts a search process whose database connections go through an sqlRecorder, and
// sends it the queries one at a time.
func captureSearches(platform string, env []string, dbURL string, queries []searchQuery) ([][]statement, error) {
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
	svc, err := start(platform, append(slices.Clone(env), "DATABASE_URL="+u.String()), addr, "search", "")
	if err != nil {
		return nil, err
	}
	defer stop(svc)
	client := &http.Client{Timeout: 30 * time.Second}
	out := make([][]statement, 0, len(queries))
	for _, q := range queries {
		mark := rec.count()
		res, err := client.Get("http://" + addr + "/api/v1/search/events?" + q.values.Encode())
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("X-Cache") != "miss" {
			return nil, fmt.Errorf("GET %s: %s, X-Cache %q", q.values.Encode(), res.Status, res.Header.Get("X-Cache"))
		}
		stmts := searchStatements(rec.since(mark))
		if len(stmts) == 0 {
			return nil, fmt.Errorf("GET %s ran no search statement", q.values.Encode())
		}
		out = append(out, stmts)
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
	if len(l.ds) == 0 {
		return 0, 0, 0
	}
	slices.Sort(l.ds)
	at := func(q float64) time.Duration { return l.ds[min(int(q*float64(len(l.ds))), len(l.ds)-1)] }
	return at(0.50), at(0.95), at(0.99)
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
