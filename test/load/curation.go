package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/eventview"
	"github.com/events-platform/events-platform/services/curation"
)

// The curation scenario (issue #17), on a database seeded once with `platform seed --users
// U --events E --interactions I` (kept, like the other scenarios'), copied for each run:
// the run changes what it measures (curation scores every event at its first start, the
// burst registers people), and the next run must start from the same data.
//
// Reads: the curation service alone (no gateway), after it loaded its board and scored the
// events that had no scores, closed loops of clients asking for trending and featured
// pages in a mix of what users ask for (everywhere, a city, a category, both; 10, 20 or
// 50 events); the same with one client; the machine's floor (/health of the same process);
// and the obvious implementation, one SQL query a request, on the same data with fewer
// clients.
//
// Rise: an upcoming event outside the top 20 gets a burst of registrations from
// registered users through the gateway (gateway, users, events and analytics in a second
// process), so that they travel as in production: the events service's domain events,
// analytics' hourly counts, which the curation service follows. The scenario polls
// trending until the event is in the top 10.

type curationOptions struct {
	platform string
	// users, events and interactions of the benchmark database.
	users, events, interactions int
	clients                     int           // of each read loop
	duration                    time.Duration // of each read loop
	baselineClients             int           // of the obvious SQL's loops
	// backfillWait bounds the wait for the service to score the seeded events (featured is
	// ranked by those scores); the loops run after it either way.
	backfillWait time.Duration
	// cpuProfile: where to write a CPU profile of the service during the trending loop;
	// empty: none.
	cpuProfile string
}

// The benchmark database's default sizes (issue #17).
const (
	defaultCurationUsers        = 100_000
	defaultCurationEvents       = 1_000_000
	defaultCurationInteractions = 10_000_000
)

// Goals of the issue, on this machine.
const (
	goalCurationP99 = 10 * time.Millisecond // trending and featured, each
	goalRise        = 60 * time.Second      // from the burst's first registration to the top 10
)

// riseWait bounds the wait for the event to rise; riseEvery is how often trending is
// asked meanwhile.
const (
	riseWait  = 3 * time.Minute
	riseEvery = 200 * time.Millisecond
)

// burstClients is how many registrations of the burst are in flight at once.
const burstClients = 50

// curationDatabase is the benchmark database's name (see sizedName).
func curationDatabase(o curationOptions) string {
	return sizedName("bench_curation", [3]int{o.users, o.events, o.interactions},
		[3]int{defaultCurationUsers, defaultCurationEvents, defaultCurationInteractions})
}

func runCuration(ctx context.Context, o curationOptions, stdout io.Writer) error {
	began := time.Now()
	defer func() { fmt.Fprintf(stdout, "\nthe scenario took %s\n", time.Since(began).Round(time.Second)) }()
	// setup gives the signing key (and a scratch database this scenario does not use).
	env, cleanup, err := setup(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	// A NATS server of the scenario's own: analytics' and curation's durable consumers
	// then read the burst's domain events and no other process's.
	natsURL, stopNATS, err := startNATS("curation")
	if err != nil {
		return err
	}
	defer stopNATS()

	name := curationDatabase(o)
	if _, err := seededDatabase(ctx, o.platform, name, o.users, o.events, o.interactions, stdout); err != nil {
		return err
	}
	copied := time.Now()
	dbURL, drop, err := copyDatabase(ctx, name, name+"_run")
	if err != nil {
		return err
	}
	defer drop()
	copyTook := time.Since(copied)
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := printCurationData(ctx, pool, name, copyTook, stdout); err != nil {
		return err
	}
	env = append(env, "DATABASE_URL="+dbURL, "DATABASE_READ_URL=", "NATS_URL="+natsURL)

	addr, debugAddr := freeAddr(), ""
	if o.cpuProfile != "" {
		debugAddr = freeAddr()
	}
	started := time.Now()
	svc, ready, err := startTimed(o.platform, env, addr, "curation", debugAddr)
	if err != nil {
		return err
	}
	defer stop(svc)
	pid := svc.Process.Pid
	rss := &rssSamples{pid: pid}
	rss.sample("board loaded")
	ms, err := scrapeMetrics(addr)
	if err != nil {
		return err
	}
	boardEvents := ms.sum("curation_board_events", nil)
	fmt.Fprintf(stdout, "\nthe curation service: ready in %s (%.0f events on its board; loading and ranking it took %s by its own count, curation_follow_seconds), RSS %s\n",
		ready.Round(100*time.Millisecond), boardEvents, firstFollow(ms), mib(rss.last()))

	// The rest of the platform, for the burst; started now, so that its start is not in
	// the measurements.
	gwAddr := freeAddr()
	gw, err := start(o.platform, env, gwAddr, "gateway,users,events,analytics", "")
	if err != nil {
		return err
	}
	defer stop(gw)

	backfill, err := waitBackfill(ctx, pool, o.backfillWait, started, stdout)
	if err != nil {
		return err
	}
	rss.sample("events scored")

	reads, err := curationReads(ctx, o, addr, debugAddr, dbURL, pid, stdout)
	if err != nil {
		return err
	}
	rss.sample("after the reads")

	rise, err := curationRise(ctx, pool, env, addr, gwAddr, stdout)
	if err != nil {
		return err
	}
	rss.sample("after the burst")
	fmt.Fprintf(stdout, "\nthe curation process's RSS: %s\n", rss)

	fmt.Fprintf(stdout, "\ngoals (this machine):\n")
	for _, r := range []readResult{reads.trending, reads.featured} {
		fmt.Fprintf(stdout, "  %s p99 ≤ %s (%d clients): %s (p50 %s, %.0f requests/s; the floor's p99 %s): %s\n", r.name, goalCurationP99, o.clients,
			round(r.m.Latencies.P99), round(r.m.Latencies.P50), r.m.Throughput, round(reads.floor.m.Latencies.P99),
			passFail(r.m.Latencies.P99 <= goalCurationP99 && r.errors == 0))
	}
	if rise.err != nil {
		fmt.Fprintf(stdout, "  rise into the top 10 ≤ %s after a burst of %d registrations: %v: FAIL\n", goalRise, rise.burst, rise.err)
	} else {
		fmt.Fprintf(stdout, "  rise into the top 10 ≤ %s after a burst of %d registrations: %s: %s\n", goalRise, rise.burst,
			rise.took.Round(100*time.Millisecond), passFail(rise.took <= goalRise))
	}
	fmt.Fprintf(stdout, "  (board loaded in %s; %s; peak RSS sampled %s)\n", ready.Round(100*time.Millisecond), backfill, mib(rss.max()))
	return nil
}

// copyDatabase makes the database to a copy of from (to which nobody may be connected),
// in place of a copy an interrupted run left, and returns its URL and a function that
// drops it.
func copyDatabase(ctx context.Context, from, to string) (string, func(), error) {
	base, err := adminURL()
	if err != nil {
		return "", nil, err
	}
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("connect: %w", err)
	}
	src, dst := pgx.Identifier{from}.Sanitize(), pgx.Identifier{to}.Sanitize()
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+dst+" WITH (FORCE)"); err != nil {
		admin.Close(ctx)
		return "", nil, err
	}
	// FILE_COPY copies the files rather than writing every page to the WAL: seconds, not
	// minutes, for a database of gigabytes.
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+dst+" TEMPLATE "+src+" STRATEGY FILE_COPY"); err != nil {
		admin.Close(ctx)
		return "", nil, fmt.Errorf("copy %s: %w", from, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		admin.Close(ctx)
		return "", nil, err
	}
	u.Path = "/" + to
	drop := func() {
		_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+dst+" WITH (FORCE)")
		admin.Close(context.Background())
	}
	return u.String(), drop, nil
}

// printCurationData prints the machine and what the database holds.
func printCurationData(ctx context.Context, pool *pgxpool.Pool, name string, copyTook time.Duration, stdout io.Writer) error {
	var users, events, showable, unscored, interactions, hours, recentHours int64
	var newest time.Time
	if err := pool.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM events),
		       (SELECT count(*) FROM events e WHERE `+showableSQL+`),
		       (SELECT count(*) FROM events e WHERE e.starts_at > now() AND e.status <> 'cancelled'
		         AND NOT EXISTS (SELECT FROM event_scores s WHERE s.event_id = e.id)),
		       (SELECT count(*) FROM analytics_events), (SELECT count(*) FROM analytics_event_hours),
		       (SELECT count(*) FROM analytics_event_hours WHERE hour >= now() - $1 * interval '1 hour'),
		       (SELECT coalesce(max(hour), 'epoch') FROM analytics_event_hours)`, curationHeatWindow.Hours()).
		Scan(&users, &events, &showable, &unscored, &interactions, &hours, &recentHours, &newest); err != nil {
		return fmt.Errorf("sizes of %s: %w", name, err)
	}
	fmt.Fprintf(stdout, "\nmachine: %d CPUs, load average %s\n", runtime.NumCPU(), loadAverage())
	fmt.Fprintf(stdout, "%s (copied for this run in %s): %d users, %d events (%d upcoming, published, public and approved; %d upcoming without scores), %d analytics interactions, %d event hours (%d in the last %.0f days, the heat's window; the newest %s ago)\n",
		name, copyTook.Round(100*time.Millisecond), users, events, showable, unscored, interactions, hours, recentHours, curationHeatWindow.Hours()/24,
		time.Since(newest).Round(time.Minute))
	if time.Since(newest) > 24*time.Hour {
		fmt.Fprintf(stdout, "  (the seeded interactions are more than a day old: their heat has decayed, and trending leans on how soon events start)\n")
	}
	return nil
}

// curationHeatWindow is how far back the curation service reads the hourly counts (14 half-lives).
var curationHeatWindow = 14 * curation.HalfLife

// showableSQL is what trending and featured may show (alias e): upcoming, published,
// public and approved.
const showableSQL = `e.status = 'published' AND e.visibility = 'public' AND e.moderation = 'approved' AND e.starts_at > now()`

// firstFollow is the curation service's first load of its board, by its own histogram
// (curation_follow_seconds, whose first observation is the load), or "unknown" once
// later follows are in it too.
func firstFollow(ms metricSamples) string {
	h := ms.histogram("curation_follow_seconds", "")
	if h.n != 1 {
		return "unknown"
	}
	return h.mean().Round(10 * time.Millisecond).String()
}

// waitBackfill waits until the curation service has scored every upcoming event that had
// no scores (its backfill, in the background after the board is loaded), at most limit,
// and describes how long that took from since (the service's start). It looks every 10 s
// with the backfill's own cheap query (an anti-join in id order, stopping at the first
// event without scores): counting those left would take a core from the backfill.
func waitBackfill(ctx context.Context, pool *pgxpool.Pool, limit time.Duration, since time.Time, stdout io.Writer) (string, error) {
	var before, left int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM event_scores), (SELECT count(*) FROM events e
		WHERE e.starts_at > now() AND e.status <> 'cancelled' AND NOT EXISTS (SELECT FROM event_scores s WHERE s.event_id = e.id))`).
		Scan(&before, &left); err != nil {
		return "", fmt.Errorf("events without scores: %w", err)
	}
	if left == 0 {
		return "every event had its scores already", nil
	}
	fmt.Fprintf(stdout, "waiting for the service to score the %d upcoming events without scores (at most %s)...\n", left, limit)
	deadline := time.Now().Add(limit)
	last := time.Now()
	for {
		time.Sleep(10 * time.Second)
		var scored int64
		var unscored bool
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM event_scores), EXISTS (SELECT FROM events e
			WHERE e.starts_at > now() AND e.status <> 'cancelled' AND NOT EXISTS (SELECT FROM event_scores s WHERE s.event_id = e.id))`).
			Scan(&scored, &unscored); err != nil {
			return "", fmt.Errorf("events without scores: %w", err)
		}
		scored -= before
		took := time.Since(since).Round(time.Second)
		if !unscored {
			msg := fmt.Sprintf("the service scored %d events without scores in %s from its start (%.0f/s)", scored, took, float64(scored)/took.Seconds())
			fmt.Fprintf(stdout, "%s\n", msg)
			return msg, nil
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("NOT DONE: the service had scored %d of the %d events without scores %s after its start; featured was measured meanwhile", scored, left, took)
			fmt.Fprintf(stdout, "%s\n", msg)
			return msg, nil
		}
		if time.Since(last) >= time.Minute {
			fmt.Fprintf(stdout, "  %s: %d scored\n", took, scored)
			last = time.Now()
		}
	}
}

// curationReadsResult is the read loops' figures.
type curationReadsResult struct {
	trending, featured readResult
	floor              readResult // GET /health of the same process, by as many clients
}

// curationReads runs the read loops against the service at addr and the obvious SQL on
// dbURL, and prints them.
func curationReads(ctx context.Context, o curationOptions, addr, debugAddr, dbURL string, pid int, stdout io.Writer) (curationReadsResult, error) {
	var res curationReadsResult
	base := "http://" + addr + "/api/v1/curation"
	mix := newCurationMix(uint64(time.Now().UnixNano()))
	trendingURL := func() (string, http.Header) { return base + "/trending?" + mix.trending().Encode(), nil }
	featuredURL := func() (string, http.Header) { return base + "/featured?" + mix.featured().Encode(), nil }
	fmt.Fprintf(stdout, "\nreads: the curation service directly, closed loops of %d clients for %s each, then one client for %s; the queries: %s; load average %s\n",
		o.clients, o.duration, soloDuration, curationMixDescription, loadAverage())

	// Warms the connections, the pool and the runtime, unmeasured.
	recLoop("warm-up", trendingURL, o.clients, 2*time.Second)
	recLoop("warm-up", featuredURL, o.clients, 2*time.Second)
	follows, _ := scrapeMetrics(addr)
	cpuBefore, _ := cpuTime(pid)
	trending := routeMeasured(addr, "/api/v1/curation/trending", func() readResult {
		return profiled(debugAddr, o.cpuProfile, o.duration, func() readResult {
			return recLoop("trending", trendingURL, o.clients, o.duration)
		})
	})
	cpuTrending, _ := cpuTime(pid)
	featured := routeMeasured(addr, "/api/v1/curation/featured", func() readResult {
		return recLoop("featured", featuredURL, o.clients, o.duration)
	})
	cpuFeatured, _ := cpuTime(pid)
	trending1 := routeMeasured(addr, "/api/v1/curation/trending", func() readResult {
		return recLoop("trending, 1 client", trendingURL, 1, soloDuration)
	})
	featured1 := routeMeasured(addr, "/api/v1/curation/featured", func() readResult {
		return recLoop("featured, 1 client", featuredURL, 1, soloDuration)
	})
	// One query alone: its page made once per ranking, a cache hit otherwise (report only:
	// what the mix's misses cost).
	one := routeMeasured(addr, "/api/v1/curation/trending", func() readResult {
		return recLoop("trending: one query", func() (string, http.Header) { return base + "/trending?limit=20", nil }, o.clients, o.duration)
	})
	var follow histogram // the board's updates during the service's loops
	if after, err := scrapeMetrics(addr); err == nil && follows != nil {
		follow = after.histogram("curation_follow_seconds", "").minus(follows.histogram("curation_follow_seconds", ""))
	}
	floor := recLoopResult{readResult: recLoop("floor: GET /health, no work", func() (string, http.Header) {
		return "http://" + addr + "/health", nil
	}, o.clients, o.duration)}
	res.trending, res.featured, res.floor = trending.readResult, featured.readResult, floor.readResult

	// The baseline: the obvious SQL, fewer clients (each query is a scan).
	bpool, err := obviousPool(ctx, dbURL, o.baselineClients)
	if err != nil {
		return res, err
	}
	defer bpool.Close()
	baseTrending := sqlLoop(ctx, bpool, func() (string, []any) { return obviousTrending(mix.trending()) }, o.baselineClients, o.duration)
	baseFeatured := sqlLoop(ctx, bpool, func() (string, []any) { return obviousFeatured(mix.featured()) }, o.baselineClients, o.duration)

	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "loop\tclients\trequests\treq/s\terrors\tp50\tp90\tp99\tmax\t\tservice: mean\tp50 ≤\tp99 ≤\t")
	for _, r := range []struct {
		recLoopResult
		clients int
	}{{trending, o.clients}, {featured, o.clients}, {trending1, 1}, {featured1, 1}, {one, o.clients}, {floor, o.clients}} {
		m := r.m
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%d\t%s\t%s\t%s\t%s\t\t%s\t%s\t%s\t\n", r.name, r.clients, m.Requests, m.Throughput, r.errors,
			round(m.Latencies.P50), round(m.Latencies.P90), round(m.Latencies.P99), round(m.Latencies.Max),
			round(r.server.mean()), bound(r.server.quantile(0.5)), bound(r.server.quantile(0.99)))
	}
	for _, b := range []struct {
		name string
		r    *sqlLoopResult
	}{{"obvious SQL: trending", baseTrending}, {"obvious SQL: featured", baseFeatured}} {
		l := &b.r.lat
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%d\t%s\t%s\t%s\t%s\t\t\t\t\t\n", b.name, o.baselineClients, l.n(), b.r.throughput(), l.errs,
			round(l.q(0.5)), round(l.q(0.9)), round(l.q(0.99)), round(l.q(1)))
	}
	_ = tw.Flush()
	fmt.Fprintf(stdout, "  (service: http_request_duration_seconds of the route over the loop; its quantiles are the buckets' upper bounds)\n")
	if d := cpuTrending - cpuBefore; cpuBefore > 0 && d > 0 {
		fmt.Fprintf(stdout, "  the service's CPU: %.2f cores during the trending loop, %.2f during the featured loop (of %d)\n",
			d.Seconds()/o.duration.Seconds(), (cpuFeatured-cpuTrending).Seconds()/o.duration.Seconds(), runtime.NumCPU())
	}
	if follow.n > 0 {
		fmt.Fprintf(stdout, "  meanwhile the board was brought up to date and ranked again %.0f times, %s each on average (curation_follow_seconds): every page cached is made again after each\n",
			follow.n, round(follow.mean()))
	}
	for _, r := range []recLoopResult{trending, featured, trending1, featured1, one, floor} {
		if r.firstBad != "" {
			fmt.Fprintf(stdout, "  %s: %d not 200; first: %s\n", r.name, r.errors, r.firstBad)
		}
		if r.note != "" {
			fmt.Fprintf(stdout, "  %s: %s\n", r.name, r.note)
		}
	}
	for _, b := range []*sqlLoopResult{baseTrending, baseFeatured} {
		if b.lat.err != nil {
			fmt.Fprintf(stdout, "  obvious SQL: %d failed; first: %v\n", b.lat.errs, b.lat.err)
		}
	}
	if p := baseTrending.lat.q(0.5); p > 0 && trending.m.Latencies.P50 > 0 {
		fmt.Fprintf(stdout, "  trending: the service's p50 at %d clients is %.0f× below the obvious SQL's at %d\n", o.clients,
			float64(p)/float64(trending.m.Latencies.P50), o.baselineClients)
	}
	if o.cpuProfile != "" {
		fmt.Fprintf(stdout, "  CPU profile of the service during the trending loop: %s (go tool pprof -top %s %s)\n", o.cpuProfile, o.platform, o.cpuProfile)
	}
	return res, nil
}

// routeMeasured runs loop and adds the service's own latency of route over it, from its
// http_request_duration_seconds.
func routeMeasured(addr, route string, loop func() readResult) recLoopResult {
	before, errBefore := scrapeMetrics(addr)
	r := recLoopResult{readResult: loop()}
	after, errAfter := scrapeMetrics(addr)
	if err := errors.Join(errBefore, errAfter); err != nil {
		r.note = fmt.Sprintf("no service metrics: %v", err)
		return r
	}
	match := route + `"`
	r.server = after.histogram("http_request_duration_seconds", match).minus(before.histogram("http_request_duration_seconds", match))
	return r
}

// curationMix draws the queries of the read loops.
type curationMix struct {
	mu  sync.Mutex // rng is not safe for concurrent use
	rng *rand.Rand
}

// curationMixDescription says what curationMix draws.
const curationMixDescription = "trending 30% everywhere, 30% a city (of 40, as typed), 20% a category (as often as events have it), 20% both; " +
	"featured 40% everywhere, 60% a city; limit 10 (40%), 20 (40%) or 50 (20%)"

func newCurationMix(seed uint64) *curationMix {
	return &curationMix{rng: rand.New(rand.NewPCG(seed, seed^0xc0ffee))}
}

func (m *curationMix) trending() url.Values {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := url.Values{}
	switch r := m.rng.IntN(10); {
	case r < 3:
	case r < 6:
		setCity(m.rng, v)
	case r < 8:
		v.Set("category", popularCategory(m.rng).name)
	default:
		setCity(m.rng, v)
		v.Set("category", popularCategory(m.rng).name)
	}
	m.limit(v)
	return v
}

func (m *curationMix) featured() url.Values {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := url.Values{}
	if m.rng.IntN(10) >= 4 {
		setCity(m.rng, v)
	}
	m.limit(v)
	return v
}

func (m *curationMix) limit(v url.Values) {
	switch r := m.rng.IntN(5); {
	case r < 2:
		v.Set("limit", "10")
	case r < 4:
		v.Set("limit", "20")
	default:
		v.Set("limit", "50")
	}
}

// The obvious implementation: one query a request, each event's heat the decayed sum of
// its hourly counts over the same window and weights as the service's, the same score
// (log10 of 1 + heat, plus the bonus for starting soon), the page's events read whole.
// The decay is computed in float8: extract returns numeric, and power() in numeric over
// the window's 1.8M hours of the default sizes takes seven times as long (27 s against
// 3.9 s on one core here).
var obviousHeatSQL = fmt.Sprintf(`SELECT event_id, sum((views * %d + favorites * %d + registrations * %d)
		* power(2.0::float8, -extract(epoch FROM now() - hour - interval '30 minutes')::float8 / %g)) AS heat
	FROM analytics_event_hours WHERE hour >= now() - interval '%g hours' GROUP BY event_id`,
	curation.WeightView, curation.WeightFavorite, curation.WeightRegister, curation.HalfLife.Seconds(), curationHeatWindow.Hours())

// obviousSoonSQL is the bonus for starting soon (alias e), as curation.HotScore adds it.
const obviousSoonSQL = `0.5 * power(2.0::float8, -extract(epoch FROM e.starts_at - now())::float8 / (72 * 3600))`

func obviousTrending(v url.Values) (string, []any) {
	sql := `SELECT ` + eventview.Columns("e.") + `, log10(1 + h.heat) + ` + obviousSoonSQL + ` AS score
		FROM (` + obviousHeatSQL + `) h JOIN events e ON e.id = h.event_id WHERE ` + showableSQL
	var args []any
	if c := v.Get("city"); c != "" {
		args = append(args, c)
		sql += fmt.Sprintf(` AND lower(e.city) = lower($%d)`, len(args))
	}
	if c := v.Get("category"); c != "" {
		args = append(args, c)
		sql += fmt.Sprintf(` AND lower(e.category) = lower($%d)`, len(args))
	}
	args = append(args, limitOf(v))
	return sql + fmt.Sprintf(` ORDER BY score DESC, e.id LIMIT $%d`, len(args)), args
}

// obviousFeatured: the editors' picks in their order, then the best by quality.
func obviousFeatured(v url.Values) (string, []any) {
	sql := `SELECT ` + eventview.Columns("e.") + `, p.position IS NOT NULL, coalesce(s.quality, 0)
		FROM events e LEFT JOIN event_scores s ON s.event_id = e.id LEFT JOIN featured_picks p ON p.event_id = e.id WHERE ` + showableSQL
	var args []any
	if c := v.Get("city"); c != "" {
		args = append(args, c)
		sql += fmt.Sprintf(` AND lower(e.city) = lower($%d)`, len(args))
	}
	args = append(args, limitOf(v))
	return sql + fmt.Sprintf(` ORDER BY p.position NULLS LAST, coalesce(s.quality, 0) DESC, e.id LIMIT $%d`, len(args)), args
}

// limitOf is the query's limit (20, the API's default, when it has none).
func limitOf(v url.Values) int {
	if n, err := strconv.Atoi(v.Get("limit")); err == nil {
		return n
	}
	return 20
}

// sqlLoopResult is what a loop of queries did.
type sqlLoopResult struct {
	lat     latencies
	elapsed time.Duration
}

func (r *sqlLoopResult) throughput() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(len(r.lat.ds)) / r.elapsed.Seconds()
}

// sqlLoop runs the queries next gives, reading every row, from clients goroutines for d
// (those under way at the end finish and count).
func sqlLoop(ctx context.Context, pool *pgxpool.Pool, next func() (string, []any), clients int, d time.Duration) *sqlLoopResult {
	res := &sqlLoopResult{}
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				sql, args := next()
				t := time.Now()
				rows, err := pool.Query(ctx, sql, args...)
				if err == nil {
					for rows.Next() {
					}
					rows.Close()
					err = rows.Err()
				}
				res.lat.add(time.Since(t), err)
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// riseResult is what the burst did.
type riseResult struct {
	burst int
	took  time.Duration // from the first registration sent to the event in the top 10
	err   error
}

// trendingPage is what the scenario reads of a trending page.
type trendingPage struct {
	Data []struct {
		ID            int64   `json:"id"`
		Title         string  `json:"title"`
		TrendingScore float64 `json:"trending_score"`
	} `json:"data"`
}

func getTrending(addr string, limit int) (trendingPage, error) {
	var p trendingPage
	res, err := http.Get(fmt.Sprintf("http://%s/api/v1/curation/trending?limit=%d", addr, limit))
	if err != nil {
		return p, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 300))
		return p, fmt.Errorf("GET trending: %d %s", res.StatusCode, body)
	}
	return p, json.NewDecoder(res.Body).Decode(&p)
}

// rank is the place of id on p, from 1 (0: not on it).
func (p trendingPage) rank(id int64) int {
	for i, e := range p.Data {
		if e.ID == id {
			return i + 1
		}
	}
	return 0
}

// curationRise picks an upcoming event outside the top 20 with seats for the burst,
// registers enough users for it through the gateway at gwAddr to outrank the tenth (twice
// the tenth's heat), and polls trending on the service at addr until it is in the top 10.
func curationRise(ctx context.Context, pool *pgxpool.Pool, env []string, addr, gwAddr string, stdout io.Writer) (riseResult, error) {
	var r riseResult
	top, err := getTrending(addr, 100)
	if err != nil {
		return r, err
	}
	if len(top.Data) < 20 {
		return r, fmt.Errorf("trending lists %d events: too few", len(top.Data))
	}
	tenth := top.Data[9].TrendingScore
	// Outrank the tenth without the bonus for starting soon: twice the heat its score says.
	r.burst = max(50, int(math.Ceil(2*(math.Pow(10, tenth)-1)/curation.WeightRegister)))
	e, err := pickRising(ctx, pool, top, r.burst)
	if err != nil {
		return r, err
	}
	headers, err := attendeeHeaders(ctx, pool, env, e.id, r.burst)
	if err != nil {
		return r, err
	}
	// The burst's registrations in analytics' hourly counts of the event.
	countedNow := func() (int, error) {
		var n int
		err := pool.QueryRow(ctx, `SELECT coalesce(sum(registrations), 0) FROM analytics_event_hours
			WHERE event_id = $1 AND hour >= date_trunc('hour', now()) - interval '1 hour'`, e.id).Scan(&n)
		return n, err
	}
	before, err := countedNow()
	if err != nil {
		return r, err
	}
	place := "not in the top 100"
	if n := top.rank(e.id); n > 0 {
		place = fmt.Sprintf("#%d", n)
	}
	fmt.Fprintf(stdout, "\nrise: event %d %q (%s, starts in %s, %s; %s of trending), the tenth's score %.3f: %d registrations through the gateway by as many attendees, %d at a time; then trending?limit=10 every %s; load average %s\n",
		e.id, e.title, e.city, days(time.Until(e.startsAt)), e.seats, place, tenth, r.burst, burstClients, riseEvery, loadAverage())

	t0 := time.Now()
	done := registerBurst(fmt.Sprintf("http://%s/api/v1/events/%d/registrations", gwAddr, e.id), headers)
	var (
		burst                    *burstResult
		firstCounted, allCounted time.Duration // since t0
		counted, countedAtRise   int           // of the burst's registrations
		rank                     int
	)
	risen := func() bool { return rank > 0 || r.err != nil }
	// Until the event rose and analytics counted the whole burst (or the wait is over).
	for deadline := t0.Add(riseWait); !risen() || allCounted == 0; time.Sleep(riseEvery) {
		select {
		case b := <-done:
			burst = &b
		default:
		}
		if n, err := countedNow(); err == nil {
			counted = n - before
			if counted > 0 && firstCounted == 0 {
				firstCounted = time.Since(t0)
			}
			if counted >= r.burst && allCounted == 0 {
				allCounted = time.Since(t0)
			}
		}
		if !risen() {
			p, err := getTrending(addr, 10)
			if err != nil {
				r.err = err
			} else if rank = p.rank(e.id); rank > 0 {
				r.took, countedAtRise = time.Since(t0), counted
			}
		}
		if time.Now().After(deadline) {
			if !risen() {
				r.err = fmt.Errorf("not in the top 10 after %s", riseWait)
			}
			break
		}
	}
	if burst == nil {
		b := <-done
		burst = &b
	}
	var codes []string
	for code, n := range burst.codes {
		codes = append(codes, fmt.Sprintf("%d×%d", n, code))
	}
	fmt.Fprintf(stdout, "  the burst: %d requests (%s) in %s, p50 %s, p99 %s\n", burst.m.Requests, strings.Join(codes, " "),
		burst.end.Sub(t0).Round(10*time.Millisecond), round(burst.m.Latencies.P50), round(burst.m.Latencies.P99))
	if burst.firstBad != "" {
		fmt.Fprintf(stdout, "  first answer other than 201: %s\n", burst.firstBad)
	}
	at := func(d time.Duration) string {
		if d == 0 {
			return "not yet"
		}
		return d.Round(10 * time.Millisecond).String()
	}
	fmt.Fprintf(stdout, "  from the first registration sent: analytics' hourly counts had the first at %s, all %d at %s; ", at(firstCounted), r.burst, at(allCounted))
	if r.err != nil {
		fmt.Fprintf(stdout, "trending: %v\n", r.err)
	} else {
		fmt.Fprintf(stdout, "trending had the event in its top 10 (#%d) at %s, when analytics had counted %d\n", rank, r.took.Round(10*time.Millisecond), countedAtRise)
	}
	return r, nil
}

// risingEvent is the event the burst is for.
type risingEvent struct {
	id          int64
	title, city string
	startsAt    time.Time
	seats       string
}

// pickRising picks an upcoming event that may be shown, not on top's first 20, not
// starting within a day (so that it stays while measured), with seats for burst.
func pickRising(ctx context.Context, pool *pgxpool.Pool, top trendingPage, burst int) (risingEvent, error) {
	var (
		e                    risingEvent
		capacity, registered *int
	)
	top20 := make([]int64, 20)
	for i := range top20 {
		top20[i] = top.Data[i].ID
	}
	err := pool.QueryRow(ctx, `SELECT e.id, e.title, e.city, e.starts_at, e.capacity, e.registered_count FROM events e
		WHERE `+showableSQL+` AND e.starts_at > now() + interval '1 day' AND e.id <> ALL($1)
		  AND (e.capacity IS NULL OR e.capacity - e.registered_count >= $2)
		ORDER BY random() LIMIT 1`, top20, burst).Scan(&e.id, &e.title, &e.city, &e.startsAt, &capacity, &registered)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("no upcoming event outside the top 20 has %d seats left", burst)
	} else if err != nil {
		return e, fmt.Errorf("pick the event: %w", err)
	}
	e.seats = "unlimited seats"
	if capacity != nil {
		e.seats = fmt.Sprintf("%d of %d seats left", *capacity-*registered, *capacity)
	}
	return e, nil
}

// attendeeHeaders signs in n attendees not registered for event, each request's headers.
func attendeeHeaders(ctx context.Context, pool *pgxpool.Pool, env []string, event int64, n int) ([]http.Header, error) {
	users, err := ids(ctx, pool, `SELECT u.id FROM users u WHERE u.role = 'attendee'
		AND NOT EXISTS (SELECT FROM event_registrations g WHERE g.event_id = $1 AND g.user_id = u.id) ORDER BY random() LIMIT $2`, event, n)
	if err != nil {
		return nil, fmt.Errorf("pick the attendees: %w", err)
	}
	if len(users) < n {
		return nil, fmt.Errorf("only %d attendees are not registered for event %d, the burst needs %d", len(users), event, n)
	}
	key, err := auth.LoadPrivateKey(lookup(env, "JWT_PRIVATE_KEY_FILE"))
	if err != nil {
		return nil, err
	}
	signer := auth.NewSigner(key, "events-platform", time.Hour)
	headers := make([]http.Header, len(users))
	for i, id := range users {
		tok, err := signer.Sign(auth.Identity{UserID: id, Role: auth.RoleAttendee})
		if err != nil {
			return nil, err
		}
		headers[i] = http.Header{"Authorization": {"Bearer " + tok}}
	}
	return headers, nil
}

// burstResult is what the burst's requests got.
type burstResult struct {
	m        vegeta.Metrics
	codes    map[uint16]int
	firstBad string
	end      time.Time
}

// registerBurst POSTs to register once with each of headers, burstClients at a time, in
// the background, and sends what they got on the channel returned.
func registerBurst(register string, headers []http.Header) <-chan burstResult {
	done := make(chan burstResult, 1)
	var next atomic.Int64
	targeter := func(t *vegeta.Target) error {
		i := next.Add(1) - 1
		if i >= int64(len(headers)) {
			return vegeta.ErrNoTargets
		}
		*t = vegeta.Target{Method: "POST", URL: register, Header: headers[i]}
		return nil
	}
	go func() {
		a := vegeta.NewAttacker(vegeta.Workers(burstClients), vegeta.MaxWorkers(burstClients), vegeta.KeepAlive(true),
			vegeta.Connections(burstClients), vegeta.Timeout(30*time.Second))
		b := burstResult{codes: map[uint16]int{}}
		for res := range a.Attack(targeter, vegeta.Rate{}, riseWait, "burst") {
			if res.Error == vegeta.ErrNoTargets.Error() {
				continue // every attendee has registered: the attack ends, nothing was sent
			}
			b.m.Add(res)
			b.codes[res.Code]++
			if res.Code != http.StatusCreated && b.firstBad == "" {
				b.firstBad = fmt.Sprintf("%d %s %.300s", res.Code, res.Error, res.Body)
			}
		}
		b.m.Close()
		b.end = time.Now()
		done <- b
	}()
	return done
}

// days formats d in days.
func days(d time.Duration) string { return fmt.Sprintf("%.1f days", d.Hours()/24) }

// rssSamples are a process's resident memory at moments of the run.
type rssSamples struct {
	pid   int
	names []string
	kib   []int64
}

func (s *rssSamples) sample(name string) {
	if kb, err := rssKB(s.pid); err == nil {
		s.names, s.kib = append(s.names, name), append(s.kib, kb)
	}
}

func (s *rssSamples) last() int64 {
	if len(s.kib) == 0 {
		return 0
	}
	return s.kib[len(s.kib)-1]
}

func (s *rssSamples) max() int64 {
	m := int64(0)
	for _, k := range s.kib {
		m = max(m, k)
	}
	return m
}

func (s *rssSamples) String() string {
	parts := make([]string, len(s.names))
	for i := range s.names {
		parts[i] = s.names[i] + " " + mib(s.kib[i])
	}
	return strings.Join(parts, ", ")
}
