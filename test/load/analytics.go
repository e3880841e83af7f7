package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/events-platform/events-platform/internal/auth"
)

// The analytics scenario, in two parts.
//
// Ingest: clients post batches of interactions to the analytics service, as the web and
// mobile clients do, on a fresh database; then the same number of equivalent rows are
// COPYed straight into analytics_events by as many connections, in statements of the
// batch's size: the most PostgreSQL can take here without the service (no validation, no
// rollups, no group commit).
//
// Reads: on a database seeded once with `platform seed --interactions N` (kept and reused
// by later runs of the same N), an organizer's event stats and the admins' platform
// overview, each by closed-loop clients.

type analyticsOptions struct {
	platform string
	// duration is each ingest run's (one per batch size), and of each COPY run at most.
	duration time.Duration
	clients  int // ingest: concurrent clients, and COPY connections
	// interactions, users and events of the reads' database.
	interactions int
	readClients  int
	readDuration time.Duration
	// cpuProfile: where to write a CPU profile of the service during each batch size's
	// ingest (file-<batch>); empty: none.
	cpuProfile string
}

// ingestBatches are the batch sizes measured, in turn.
var ingestBatches = []int{100, 1000}

// ingestEvents is how many events the ingest's interactions are spread over.
const ingestEvents = 2000

// Goals of the issue, on this machine.
const (
	goalIngestRate  = 50_000 // interactions/s through the endpoint
	goalIngestRatio = 0.5    // of raw COPY's rows/s
	goalStatsP99    = 50 * time.Millisecond
)

func runAnalytics(ctx context.Context, o analyticsOptions, stdout io.Writer) error {
	began := time.Now()
	defer func() { fmt.Fprintf(stdout, "\nthe scenario took %s\n", time.Since(began).Round(time.Second)) }()
	env, cleanup, err := setup(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	natsURL, stopNATS, err := startNATS("analytics")
	if err != nil {
		return err
	}
	defer stopNATS()
	env = append(env, "NATS_URL="+natsURL)
	// The reads' database first: a seed's writes and their vacuum are over before
	// anything is measured.
	name := fmt.Sprintf("bench_analytics_%d", o.interactions)
	readsURL, err := seededDatabase(ctx, o.platform, name, max(o.interactions/200, 50), max(o.interactions/500, 200), o.interactions, stdout)
	if err != nil {
		return err
	}
	ingest, err := analyticsIngest(ctx, o, env, stdout)
	if err != nil {
		return err
	}
	reads, err := analyticsReads(ctx, o, env, name, readsURL, stdout)
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "\ngoals (this machine):\n")
	for _, r := range ingest {
		fmt.Fprintf(stdout, "  batches of %d: ≥ %d interactions/s through the endpoint: %.0f/s: %s; ≥ %.1f× raw COPY: %.2f×: %s\n",
			r.batch, goalIngestRate, r.endpointRate, passFail(r.endpointRate >= goalIngestRate),
			goalIngestRatio, r.ratio(), passFail(r.ratio() >= goalIngestRatio))
	}
	stats := reads[0]
	fmt.Fprintf(stdout, "  event stats p99 ≤ %s (%s): %s: %s\n", goalStatsP99, stats.name, round(stats.m.Latencies.P99),
		passFail(stats.m.Latencies.P99 <= goalStatsP99 && stats.errors == 0))
	return nil
}

// ingestResult is one batch size's figures.
type ingestResult struct {
	batch        int
	m            *vegeta.Metrics
	codes        map[uint16]int
	firstBad     string
	stored       int // interactions answered 202
	rows         int // rows analytics_events gained meanwhile
	endpointRate float64
	copyRows     int
	copyRate     float64
	copyLat      []time.Duration
	copyErr      error
}

func (r ingestResult) ratio() float64 { return r.endpointRate / max(r.copyRate, 1e-9) }

// analyticsIngest starts the analytics service on the scenario's fresh database, makes
// events and as many users as clients, and measures each batch size: the endpoint,
// then raw COPY.
func analyticsIngest(ctx context.Context, o analyticsOptions, env []string, stdout io.Writer) ([]ingestResult, error) {
	dbURL := lookup(env, "DATABASE_URL")
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = int32(o.clients)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	var organizer int64
	if err := pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, name, role) VALUES ('ingest-organizer@example.com', 'x', 'Ingest', 'organizer') RETURNING id`).Scan(&organizer); err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO events (title, category, starts_at, city, capacity, status, created_by, published_at)
		SELECT 'Ingest ' || g, 'music', now() + interval '30 days', 'Berlin', 100, 'published', $2, now() - interval '7 days'
		FROM generate_series(1, $1::int) g`, ingestEvents, organizer); err != nil {
		return nil, err
	}
	events, err := ids(ctx, pool, `SELECT id FROM events ORDER BY id`)
	if err != nil {
		return nil, err
	}
	users, err := ids(ctx, pool, `
		INSERT INTO users (email, password_hash, name) SELECT 'visitor' || g || '@example.com', 'x', 'Visitor ' || g
		FROM generate_series(1, $1::int) g RETURNING id`, o.clients)
	if err != nil {
		return nil, err
	}
	key, err := auth.LoadPrivateKey(lookup(env, "JWT_PRIVATE_KEY_FILE"))
	if err != nil {
		return nil, err
	}
	signer := auth.NewSigner(key, "events-platform", time.Hour)
	tokens := make([]string, len(users))
	for i, id := range users {
		if tokens[i], err = signer.Sign(auth.Identity{UserID: id, Role: auth.RoleAttendee}); err != nil {
			return nil, err
		}
	}

	addr, debugAddr := freeAddr(), ""
	if o.cpuProfile != "" {
		debugAddr = freeAddr()
	}
	svc, err := start(o.platform, env, addr, "analytics", debugAddr)
	if err != nil {
		return nil, err
	}
	defer stop(svc)
	fmt.Fprintf(stdout, "\nmachine: %d CPUs, load average %s before the ingest\n", runtime.NumCPU(), loadAverage())
	fmt.Fprintf(stdout, "analytics ingest: %d clients posting views of %d events as %d signed-in users in turn, for %s per batch size; then as many rows COPYed by %d connections in statements of the batch's size\n",
		o.clients, len(events), len(users), o.duration, o.clients)
	var results []ingestResult
	for _, batch := range ingestBatches {
		before := rowCount(ctx, pool)
		r := profiled(debugAddr, fmt.Sprintf("%s-%d", o.cpuProfile, batch), o.duration, func() ingestResult {
			return ingestEndpoint(addr, batch, o.clients, o.duration, events, tokens)
		})
		r.rows = rowCount(ctx, pool) - before
		r.copyRows, r.copyRate, r.copyLat, r.copyErr = ingestCopy(ctx, pool, batch, o.clients, r.stored, o.duration, events, users)
		results = append(results, r)
	}

	fmt.Fprintf(stdout, "\n")
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "batch\trequests\t202\tinteractions/s\tp50\tp99\tmax\t\tCOPY rows\trows/s\tp50\tp99\t\tendpoint/COPY\t")
	for _, r := range results {
		cp50, cp99 := quantile(r.copyLat, 0.5), quantile(r.copyLat, 0.99)
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t\t%d\t%.0f\t%s\t%s\t\t%.2f\t\n", r.batch, r.m.Requests, r.codes[http.StatusAccepted],
			r.endpointRate, round(r.m.Latencies.P50), round(r.m.Latencies.P99), round(r.m.Latencies.Max),
			r.copyRows, r.copyRate, round(cp50), round(cp99), r.ratio())
	}
	_ = tw.Flush()
	for _, r := range results {
		if r.firstBad != "" {
			fmt.Fprintf(stdout, "  batches of %d: responses other than 202 (by status, 0 = no response: %v); first: %s\n", r.batch, r.codes, r.firstBad)
		}
		if r.copyErr != nil {
			fmt.Fprintf(stdout, "  batches of %d: COPY failed: %v\n", r.batch, r.copyErr)
		}
	}
	for _, r := range results {
		fmt.Fprintf(stdout, "  batches of %d: %d interactions answered 202, %d rows added to analytics_events meanwhile\n", r.batch, r.stored, r.rows)
	}
	return results, nil
}

// loadAverage is the system's load averages over 1, 5 and 15 minutes: other processes
// running meanwhile take CPU from the figures.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// rowCount is how many rows analytics_events holds (-1: the count failed).
func rowCount(ctx context.Context, pool *pgxpool.Pool) int {
	n := -1
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM analytics_events`).Scan(&n)
	return n
}

// ingestEndpoint posts batches of views from clients for d, as the tokens' users in turn.
func ingestEndpoint(addr string, batch, clients int, d time.Duration, events []int64, tokens []string) ingestResult {
	url := "http://" + addr + "/api/v1/analytics/interactions"
	headers := make([]http.Header, len(tokens))
	for i, tok := range tokens {
		headers[i] = http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}}
	}
	var seq atomic.Int64
	run := time.Now().UnixNano()
	targeter := func(t *vegeta.Target) error {
		n := seq.Add(1)
		rng := rand.New(rand.NewPCG(uint64(run), uint64(n)))
		now := time.Now()
		body := make([]byte, 0, batch*140)
		body = append(body, `{"interactions":[`...)
		for i := range batch {
			if i > 0 {
				body = append(body, ',')
			}
			body = fmt.Appendf(body, `{"id":"%d-%d-%d","type":"view","event_id":%d,"occurred_at":"%s","session_id":"s%d"}`,
				run, n, i, events[skewedIndex(rng, len(events))], now.Add(-time.Duration(rng.Int64N(int64(time.Hour)))).UTC().Format(time.RFC3339Nano), n%97)
		}
		body = append(body, "]}"...)
		*t = vegeta.Target{Method: "POST", URL: url, Header: headers[int(n)%len(headers)], Body: body}
		return nil
	}
	a := vegeta.NewAttacker(vegeta.Workers(uint64(clients)), vegeta.MaxWorkers(uint64(clients)), vegeta.KeepAlive(true),
		vegeta.Connections(clients), vegeta.Timeout(30*time.Second))
	r := ingestResult{batch: batch, m: &vegeta.Metrics{}, codes: map[uint16]int{}}
	var first, last time.Time
	for res := range a.Attack(targeter, vegeta.Rate{}, d, fmt.Sprintf("ingest %d", batch)) {
		r.m.Add(res)
		r.codes[res.Code]++
		if res.Code == http.StatusAccepted {
			r.stored += batch
		} else if r.firstBad == "" {
			r.firstBad = fmt.Sprintf("%d %s %.300s", res.Code, res.Error, res.Body)
		}
		if first.IsZero() || res.Timestamp.Before(first) {
			first = res.Timestamp
		}
		if res.End().After(last) {
			last = res.End()
		}
	}
	r.m.Close()
	if elapsed := last.Sub(first); elapsed > 0 {
		r.endpointRate = float64(r.stored) / elapsed.Seconds()
	}
	return r
}

// ingestCopy writes rows rows like the endpoint's into analytics_events with CopyFrom,
// batch rows a statement (each its own transaction, as each request is), from conns
// connections, stopping after limit at most. It returns how many it wrote, the rate and
// each statement's latency.
func ingestCopy(ctx context.Context, pool *pgxpool.Pool, batch, conns, rows int, limit time.Duration, events, users []int64) (int, float64, []time.Duration, error) {
	columns := []string{"occurred_at", "id", "type", "event_id", "user_id", "visitor", "source", "properties"}
	var (
		next    atomic.Int64
		written atomic.Int64
		mu      sync.Mutex
		lat     []time.Duration
		errs    []error
		wg      sync.WaitGroup
	)
	began := time.Now()
	deadline := began.Add(limit)
	for c := range conns {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(began.UnixNano()), uint64(c)))
			user := users[c%len(users)]
			var mine []time.Duration
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
			for next.Add(int64(batch)) <= int64(rows) && time.Now().Before(deadline) {
				now := time.Now()
				src := make([][]any, batch)
				for i := range src {
					src[i] = []any{now.Add(-time.Duration(rng.Int64N(int64(time.Hour)))).UTC(), uuid.New(), "view",
						events[skewedIndex(rng, len(events))], user, user, "client", nil}
				}
				start := time.Now()
				n, err := pool.CopyFrom(ctx, pgx.Identifier{"analytics_events"}, columns, pgx.CopyFromRows(src))
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(start))
				written.Add(n)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	return int(written.Load()), float64(written.Load()) / elapsed.Seconds(), lat, errors.Join(errs...)
}

// skewedIndex returns an index in [0, n), the first ones far more often: a few events
// draw most views.
func skewedIndex(rng *rand.Rand, n int) int {
	return min(int(float64(n)*rng.Float64()*rng.Float64()*rng.Float64()), n-1)
}

// readResult is one read loop's figures.
type readResult struct {
	name     string
	m        *vegeta.Metrics
	errors   int
	firstBad string
}

// analyticsReads starts the analytics service on the seeded database name at dbURL and
// runs each read loop.
func analyticsReads(ctx context.Context, o analyticsOptions, env []string, name, dbURL string, stdout io.Writer) ([]readResult, error) {
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	var admin, nEvents, hourRows, viewerRows, activeRows int64
	var oldest, newest time.Time
	if err := pool.QueryRow(ctx, `
		SELECT (SELECT id FROM users WHERE email = 'admin@example.com'), (SELECT count(*) FROM events),
		       (SELECT count(*) FROM analytics_event_hours), (SELECT count(*) FROM analytics_event_viewers),
		       (SELECT count(*) FROM analytics_active_visitors), (SELECT min(hour) FROM analytics_event_hours),
		       (SELECT max(hour) FROM analytics_event_hours)`).Scan(&admin, &nEvents, &hourRows, &viewerRows, &activeRows, &oldest, &newest); err != nil {
		return nil, err
	}
	// Popular events (by views), and events anyone could look at.
	popular, err := ids(ctx, pool, `SELECT event_id FROM analytics_event_hours GROUP BY event_id ORDER BY sum(views) DESC LIMIT 20`)
	if err != nil {
		return nil, err
	}
	visible, err := ids(ctx, pool, `SELECT id FROM events WHERE status IN ('published', 'completed')`)
	if err != nil {
		return nil, err
	}
	if len(popular) == 0 || len(visible) == 0 {
		return nil, fmt.Errorf("%s has no interactions to read", name)
	}
	key, err := auth.LoadPrivateKey(lookup(env, "JWT_PRIVATE_KEY_FILE"))
	if err != nil {
		return nil, err
	}
	token, err := auth.NewSigner(key, "events-platform", time.Hour).Sign(auth.Identity{UserID: admin, Role: auth.RoleAdmin})
	if err != nil {
		return nil, err
	}

	addr := freeAddr()
	svc, err := start(o.platform, append(env, "DATABASE_URL="+dbURL, "DATABASE_READ_URL="), addr, "analytics", "")
	if err != nil {
		return nil, err
	}
	defer stop(svc)
	base := "http://" + addr + "/api/v1/analytics"
	fmt.Fprintf(stdout, "\nanalytics reads: %d interactions in %s (%d events; rollups: %d event hours, %d event viewer days, %d active visitor days; %s to %s), closed loop, %d clients for %s each, as an admin; load average %s\n",
		o.interactions, name, nEvents, hourRows, viewerRows, activeRows, oldest.Format(time.DateOnly), newest.Format(time.DateOnly), o.readClients, o.readDuration,
		loadAverage())

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var mu sync.Mutex // rng is not safe for concurrent use
	now := time.Now().UTC()
	// A period of up to days days ending within the last week, on the hour.
	period := func(v url.Values, days int) {
		to := now.Add(-time.Duration(rng.IntN(7*24)) * time.Hour).Truncate(time.Hour)
		from := to.Add(-time.Duration(1+rng.IntN(days*24)) * time.Hour)
		v.Set("from", from.Format(time.RFC3339))
		v.Set("to", to.Format(time.RFC3339))
	}
	// The mix: a popular event a third of the time; by day over up to 90 days mostly, by
	// the hour over up to 31 days or by the week over up to 90 days sometimes.
	statsMix := func() string {
		mu.Lock()
		defer mu.Unlock()
		id := visible[rng.IntN(len(visible))]
		if rng.IntN(3) == 0 {
			id = popular[rng.IntN(len(popular))]
		}
		v := url.Values{}
		switch r := rng.IntN(10); {
		case r < 2:
			v.Set("interval", "hour")
			period(v, 31)
		case r < 3:
			v.Set("interval", "week")
			period(v, 90)
		default:
			v.Set("interval", "day")
			period(v, 90)
		}
		return fmt.Sprintf("%s/events/%d/stats?%s", base, id, v.Encode())
	}
	statsTop := func() string {
		mu.Lock()
		defer mu.Unlock()
		to := now.Truncate(time.Hour)
		return fmt.Sprintf("%s/events/%d/stats?interval=day&from=%s&to=%s", base, popular[rng.IntN(len(popular))],
			to.Add(-90*24*time.Hour).Format(time.RFC3339), to.Format(time.RFC3339))
	}
	overview := func(days int) func() string {
		return func() string {
			mu.Lock()
			defer mu.Unlock()
			// Ending at a different minute each time, so that no two are the same.
			to := now.Add(-time.Duration(rng.IntN(24*60)) * time.Minute).Truncate(time.Minute)
			return fmt.Sprintf("%s/overview?from=%s&to=%s", base, to.Add(-time.Duration(days)*24*time.Hour).Format(time.RFC3339), to.Format(time.RFC3339))
		}
	}
	loops := []struct {
		name string
		next func() string
	}{
		{"stats: mix of events and periods", statsMix},
		{"stats: top 20 events, 90 days by day", statsTop},
		{"overview: 7 days", overview(7)},
		{"overview: 30 days", overview(30)},
		{"overview: 90 days", overview(90)},
	}
	// Warm connections and caches, unmeasured.
	readLoop("warm-up", statsMix, token, o.readClients, 2*time.Second)
	var results []readResult
	for _, l := range loops {
		r := readLoop(l.name, l.next, token, o.readClients, o.readDuration)
		fmt.Fprintf(os.Stderr, "%-40s %6.1f/s p99 %s\n", l.name, r.m.Throughput, round(r.m.Latencies.P99))
		results = append(results, r)
	}

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "read\trequests\treq/s\terrors\tp50\tp95\tp99\tmax\t")
	for _, r := range results {
		m := r.m
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\t%s\t%s\t%s\t%s\t\n", r.name, m.Requests, m.Throughput, r.errors,
			round(m.Latencies.P50), round(m.Latencies.P95), round(m.Latencies.P99), round(m.Latencies.Max))
	}
	_ = tw.Flush()
	for _, r := range results {
		if r.firstBad != "" {
			fmt.Fprintf(stdout, "  %s: %d not 200; first: %s\n", r.name, r.errors, r.firstBad)
		}
	}
	return results, nil
}

// readLoop sends the GETs next gives, as the token's holder, from clients in a closed loop
// for d.
func readLoop(name string, next func() string, token string, clients int, d time.Duration) readResult {
	hdr := http.Header{"Authorization": {"Bearer " + token}}
	return recLoop(name, func() (string, http.Header) { return next(), hdr }, clients, d)
}

// seededDatabase returns the URL of the benchmark database name, seeding it first with
// `platform seed` (users, events and analytics interactions) unless it holds the
// interactions asked for; an interrupted seed is started again. Then it is vacuumed and
// analyzed, so that autovacuum does not run during the measurements.
func seededDatabase(ctx context.Context, platform, name string, users, events, interactions int, stdout io.Writer) (string, error) {
	dbURL, err := benchDatabase(ctx, name)
	if err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", err
	}
	var have int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM analytics_events`).Scan(&have)
	conn.Close(ctx)
	if err != nil {
		return "", err
	}
	if have == interactions {
		return dbURL, nil
	}
	if have > 0 {
		fmt.Fprintf(stdout, "%s holds %d interactions, not %d: seeding it again\n", name, have, interactions)
		base, err := adminURL()
		if err != nil {
			return "", err
		}
		admin, err := pgx.Connect(ctx, base)
		if err != nil {
			return "", err
		}
		_, err = admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		admin.Close(ctx)
		if err != nil {
			return "", err
		}
		if dbURL, err = benchDatabase(ctx, name); err != nil {
			return "", err
		}
	}
	fmt.Fprintf(stdout, "\nseeding %d interactions (%d users, %d events) into %s (once; later runs of this size reuse it)...\n", interactions, users, events, name)
	start := time.Now()
	cmd := exec.CommandContext(ctx, platform, "seed", "--users", strconv.Itoa(users), "--events", strconv.Itoa(events),
		"--interactions", strconv.Itoa(interactions))
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	cmd.Stdout, cmd.Stderr = stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(stdout, "seeded in %s\n", time.Since(start).Round(time.Second))
	start = time.Now()
	conn, err = pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `VACUUM (ANALYZE)`); err != nil {
		return "", fmt.Errorf("vacuum %s: %w", name, err)
	}
	fmt.Fprintf(stdout, "vacuumed and analyzed in %s\n", time.Since(start).Round(time.Second))
	return dbURL, nil
}

// quantile returns the q quantile of ds (sorted in place).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(int(q*float64(len(ds))), len(ds)-1)]
}

// ids runs a query of ids.
func ids(ctx context.Context, pool *pgxpool.Pool, sql string, args ...any) ([]int64, error) {
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// startNATS starts a NATS server with JetStream of the scenario's own (named by name), on
// a free loopback port with its store in a folder of its own: the services' durable
// consumers then read no domain events of other processes using the shared server, and
// leave none unread there. done stops it and removes its folder.
func startNATS(name string) (url string, done func(), err error) {
	dir, err := os.MkdirTemp("", name+"-nats")
	if err != nil {
		return "", nil, err
	}
	cmd, url, err := startNATSIn(dir)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return url, func() { stop(cmd); os.RemoveAll(dir) }, nil
}

func startNATSIn(dir string) (*exec.Cmd, string, error) {
	addr := freeAddr()
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command("nats-server", "-a", host, "-p", port, "-js", "-sd", dir, "-l", filepath.Join(dir, "server.log"))
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start nats-server (hack/deps.sh up installs it): %w", err)
	}
	exited := waitFor(cmd)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-exited:
			return nil, "", fmt.Errorf("nats-server exited: %v (see %s)", cmd.ProcessState, filepath.Join(dir, "server.log"))
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return cmd, "nats://" + addr, nil
		}
	}
	stop(cmd)
	return nil, "", errors.New("nats-server not listening after 10 s")
}
