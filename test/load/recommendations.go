package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/events-platform/events-platform/internal/auth"
)

// The recommendations scenario, in two parts, on a database seeded once with `platform
// seed --users U --events E --interactions I` (kept and reused by later runs of the same
// sizes).
//
// Training: `platform retrain` on it, timed, with the peak resident memory of the process.
//
// Serving: the recommendations service alone (no gateway), closed loops of clients asking
// for a page of ten:
//   - cold: each request a user not asked for before in the run, after the run's cached
//     pages (Redis keys recs:*) are deleted, so that each page is computed;
//   - warm: 500 users asked once each, then the loop cycles over them (cache hits);
//   - similar: events like an upcoming event, each request another event (report only).
//
// The latency is the client's, on the same machine: with 50 clients in a closed loop it is
// mostly queueing (Little's law: mean latency = clients / throughput), so the service's own
// histogram (recommendations_serve_seconds) is printed beside it.

type recommendationsOptions struct {
	platform string
	// users, events and interactions of the benchmark database.
	users, events, interactions int
	clients                     int           // concurrent clients of each loop
	duration                    time.Duration // of each loop
	// cpuProfile: where to write a CPU profile of the service during the cold loop; empty:
	// none.
	cpuProfile string
	// train runs platform retrain before serving; false serves the live model as it is
	// (for measuring serving alone).
	train bool
}

// The benchmark database's default sizes (issue #16).
const (
	defaultRecUsers        = 100_000
	defaultRecEvents       = 50_000
	defaultRecInteractions = 1_000_000
)

// warmUsers is how many users the warm loop cycles over.
const warmUsers = 500

// soloDuration is the length of the one-client loops (report only).
const soloDuration = 3 * time.Second

// Goals of the issue, on this machine.
const (
	goalTraining = 30 * time.Second
	goalColdP99  = 10 * time.Millisecond
	goalWarmP99  = 2 * time.Millisecond
)

// recommendationsDatabase is the benchmark database's name (see sizedName).
func recommendationsDatabase(o recommendationsOptions) string {
	return sizedName("bench_recommendations", [3]int{o.users, o.events, o.interactions},
		[3]int{defaultRecUsers, defaultRecEvents, defaultRecInteractions})
}

// sizedName names a seeded benchmark database: base at the default sizes (users,
// events, interactions), suffixed with the sizes otherwise.
func sizedName(base string, sizes, defaults [3]int) string {
	if sizes == defaults {
		return base
	}
	return fmt.Sprintf("%s_%d_%d_%d", base, sizes[0], sizes[1], sizes[2])
}

func runRecommendations(ctx context.Context, o recommendationsOptions, stdout io.Writer) error {
	began := time.Now()
	defer func() { fmt.Fprintf(stdout, "\nthe scenario took %s\n", time.Since(began).Round(time.Second)) }()
	// setup gives the signing key (and a scratch database this scenario does not use).
	env, cleanup, err := setup(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	rdb, err := benchRedis()
	if err != nil {
		return err
	}
	defer rdb.Close()
	// A NATS server of the scenario's own: the service reloads its catalogue after every
	// domain event of the stream, and other processes' would land in the measurements.
	natsURL, stopNATS, err := startNATS("recommendations")
	if err != nil {
		return err
	}
	defer stopNATS()

	name := recommendationsDatabase(o)
	dbURL, err := seededDatabase(ctx, o.platform, name, o.users, o.events, o.interactions, stdout)
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	// Each run stores a version (tens of MiB at the default sizes): those older than the
	// live one go, so that the database does not grow run after run.
	if _, err := pool.Exec(ctx, `DELETE FROM recommendation_models
		WHERE version < (SELECT coalesce(max(version), 0) FROM recommendation_models WHERE status = 'promoted')`); err != nil {
		return fmt.Errorf("delete older model versions: %w", err)
	}
	if err := printRecommendationsData(ctx, pool, name, stdout); err != nil {
		return err
	}

	tr := retrainRun{status: "promoted"}
	if o.train {
		if tr, err = retrainTimed(ctx, o.platform, append(os.Environ(), "DATABASE_URL="+dbURL), pool, stdout); err != nil {
			return err
		}
	}

	env = append(env, "DATABASE_URL="+dbURL, "DATABASE_READ_URL=", "NATS_URL="+natsURL)
	cold, warm, err := recommendationsServing(ctx, o, env, pool, rdb, stdout)
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "\ngoals (this machine):\n")
	if o.train {
		fmt.Fprintf(stdout, "  training ≤ %s: %s (peak RSS %s): %s\n", goalTraining, tr.wall.Round(100*time.Millisecond), mib(tr.maxRSS),
			passFail(tr.err == nil && tr.wall <= goalTraining))
	}
	fmt.Fprintf(stdout, "  serve p99 ≤ %s (cold, %d clients): %s: %s\n", goalColdP99, o.clients, round(cold.m.Latencies.P99),
		passFail(cold.m.Latencies.P99 <= goalColdP99 && cold.errors == 0))
	fmt.Fprintf(stdout, "  serve p99 ≤ %s (warm, %d clients, cache hits %s): %s: %s\n", goalWarmP99, o.clients, percent(warm.hits, warm.hits+warm.misses),
		round(warm.m.Latencies.P99), passFail(warm.m.Latencies.P99 <= goalWarmP99 && warm.errors == 0))
	if tr.status != "promoted" {
		fmt.Fprintf(stdout, "  (the new model was not promoted: %s)\n", tr.describe())
	}
	return nil
}

// printRecommendationsData prints the machine and what the database holds.
func printRecommendationsData(ctx context.Context, pool *pgxpool.Pool, name string, stdout io.Writer) error {
	var users, attendees, active, events, upcoming, interactions, registrations, favorites, versions int64
	if err := pool.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM users WHERE role = 'attendee'),
		       (SELECT count(DISTINCT user_id) FROM analytics_events WHERE user_id IS NOT NULL),
		       (SELECT count(*) FROM events),
		       (SELECT count(*) FROM events WHERE status = 'published' AND visibility = 'public' AND starts_at > now()),
		       (SELECT count(*) FROM analytics_events), (SELECT count(*) FROM event_registrations), (SELECT count(*) FROM favorites),
		       (SELECT count(*) FROM recommendation_models)`).
		Scan(&users, &attendees, &active, &events, &upcoming, &interactions, &registrations, &favorites, &versions); err != nil {
		return fmt.Errorf("sizes of %s: %w", name, err)
	}
	fmt.Fprintf(stdout, "\nmachine: %d CPUs, load average %s\n", runtime.NumCPU(), loadAverage())
	fmt.Fprintf(stdout, "%s: %d users (%d attendees, %d with analytics interactions), %d events (%d upcoming, published and public), %d analytics interactions, %d registrations, %d favorites\n",
		name, users, attendees, active, events, upcoming, interactions, registrations, favorites)
	live, err := liveModel(ctx, pool)
	switch {
	case err != nil:
		return err
	case live == "":
		fmt.Fprintf(stdout, "model versions stored: %d, none promoted\n", versions)
	default:
		fmt.Fprintf(stdout, "model versions stored: %d; live before this run: %s\n", versions, live)
	}
	return nil
}

// liveModel describes the newest promoted model ("" when there is none).
func liveModel(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	var version, size int64
	var users, items int
	var at time.Time
	err := pool.QueryRow(ctx, `SELECT version, created_at, users, items, size_bytes FROM recommendation_models
		WHERE status = 'promoted' ORDER BY version DESC LIMIT 1`).Scan(&version, &at, &users, &items, &size)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("live model: %w", err)
	}
	return fmt.Sprintf("version %d of %s (%d users × %d events, %s)", version, at.Format(time.DateTime), users, items, mib(size/1024)), nil
}

// retrainRun is what one `platform retrain` did.
type retrainRun struct {
	wall, cpu time.Duration
	maxRSS    int64 // KiB
	err       error
	// The version it stored (0: none), its status and reason, and its sizes.
	version            int64
	status, reason     string
	users, items       int
	interactions, size int64
	trainingSeconds    float64
	liveVersion        int64 // the promoted version after it ran (0: none)
}

func (r retrainRun) describe() string {
	switch {
	case r.err != nil:
		return fmt.Sprintf("retrain failed: %v", r.err)
	case r.version == 0:
		return "retrain stored no version"
	case r.liveVersion == 0:
		return fmt.Sprintf("version %d %s: %s; no model is live: the service serves popularity by registrations", r.version, r.status, r.reason)
	default:
		return fmt.Sprintf("version %d %s: %s; live version %d serves", r.version, r.status, r.reason, r.liveVersion)
	}
}

// retrainTimed runs `platform retrain` with env, printing its output, and reads back the
// version it stored.
func retrainTimed(ctx context.Context, bin string, env []string, pool *pgxpool.Pool, stdout io.Writer) (retrainRun, error) {
	var before int64
	if err := pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM recommendation_models`).Scan(&before); err != nil {
		return retrainRun{}, err
	}
	fmt.Fprintf(stdout, "\ntraining: platform retrain, load average %s\n", loadAverage())
	cmd := exec.CommandContext(ctx, bin, "retrain", "--force") // the seeded data never changes: train anyway
	cmd.Env = env
	start := time.Now()
	cmd.Stdout, cmd.Stderr = &stamped{w: stdout, start: start}, os.Stderr
	var r retrainRun
	r.err = cmd.Run()
	r.wall = time.Since(start)
	if cmd.ProcessState == nil {
		return r, fmt.Errorf("retrain: %w", r.err)
	}
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss // KiB on Linux
	}
	err := pool.QueryRow(ctx, `SELECT version, status, reason, users, items, interactions, training_seconds, size_bytes
		FROM recommendation_models WHERE version > $1 ORDER BY version DESC LIMIT 1`, before).
		Scan(&r.version, &r.status, &r.reason, &r.users, &r.items, &r.interactions, &r.trainingSeconds, &r.size)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return r, err
	}
	if err := pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM recommendation_models WHERE status = 'promoted'`).Scan(&r.liveVersion); err != nil {
		return r, err
	}
	fmt.Fprintf(stdout, "retrain: %s wall, %s CPU (%.1f cores), peak RSS %s", r.wall.Round(100*time.Millisecond),
		r.cpu.Round(100*time.Millisecond), r.cpu.Seconds()/r.wall.Seconds(), mib(r.maxRSS))
	if r.err != nil {
		fmt.Fprintf(stdout, "; FAILED: %v\n", r.err)
		return r, nil
	}
	if r.version == 0 {
		fmt.Fprintf(stdout, "; stored no version\n")
		return r, nil
	}
	fmt.Fprintf(stdout, "\n  version %d: %s (%s); %d users × %d events, %d interactions, %.1f s of training by its own count, %s stored\n",
		r.version, r.status, r.reason, r.users, r.items, r.interactions, r.trainingSeconds, mib(r.size/1024))
	if r.status != "promoted" {
		if r.liveVersion == 0 {
			fmt.Fprintf(stdout, "  refused by the gate and no model is live: the service serves popularity by registrations\n")
		} else {
			fmt.Fprintf(stdout, "  refused by the gate: live version %d serves\n", r.liveVersion)
		}
	}
	return r, nil
}

// stamped writes the lines written to it to w, each indented and headed by the time since
// start: where a run's time goes.
type stamped struct {
	w     io.Writer
	start time.Time
	mid   bool // within a line
}

func (in *stamped) Write(p []byte) (int, error) {
	var b []byte
	for _, c := range p {
		if !in.mid {
			b = fmt.Appendf(b, "  %5.1fs  ", time.Since(in.start).Seconds())
		}
		b = append(b, c)
		in.mid = c != '\n'
	}
	if _, err := in.w.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// recLoopResult is a serving loop's figures: the client's, and the service's own from its
// metrics over the loop.
type recLoopResult struct {
	readResult
	hits, misses float64
	server       histogram
	note         string
}

// recommendationsServing starts the service on the benchmark database and runs the cold,
// warm and similar loops, in that order, the cold and warm ones also with one client alone
// (report only).
func recommendationsServing(ctx context.Context, o recommendationsOptions, env []string, pool *pgxpool.Pool, rdb *goredis.Client,
	stdout io.Writer) (cold, warm recLoopResult, err error) {
	users, err := ids(ctx, pool, `SELECT id FROM users WHERE role = 'attendee'`)
	if err != nil {
		return cold, warm, err
	}
	upcoming, err := ids(ctx, pool, `SELECT id FROM events WHERE status = 'published' AND visibility = 'public' AND starts_at > now()`)
	if err != nil {
		return cold, warm, err
	}
	if len(users) < 2*warmUsers || len(upcoming) == 0 {
		return cold, warm, fmt.Errorf("the database has %d attendees and %d upcoming events: too few", len(users), len(upcoming))
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	rng.Shuffle(len(users), func(i, j int) { users[i], users[j] = users[j], users[i] })
	rng.Shuffle(len(upcoming), func(i, j int) { upcoming[i], upcoming[j] = upcoming[j], upcoming[i] })
	key, err := auth.LoadPrivateKey(lookup(env, "JWT_PRIVATE_KEY_FILE"))
	if err != nil {
		return cold, warm, err
	}
	signer := auth.NewSigner(key, "events-platform", time.Hour)
	headers := make([]http.Header, len(users))
	for i, id := range users {
		tok, err := signer.Sign(auth.Identity{UserID: id, Role: auth.RoleAttendee})
		if err != nil {
			return cold, warm, err
		}
		headers[i] = http.Header{"Authorization": {"Bearer " + tok}}
	}
	// The last warmUsers users are the warm loop's; the cold loops take the others in turn.
	coldHeaders, warmHeaders := headers[:len(headers)-warmUsers], headers[len(headers)-warmUsers:]

	addr, debugAddr := freeAddr(), ""
	if o.cpuProfile != "" {
		debugAddr = freeAddr()
	}
	svc, err := start(o.platform, env, addr, "recommendations", debugAddr)
	if err != nil {
		return cold, warm, err
	}
	defer stop(svc)
	base := "http://" + addr + "/api/v1/recommendations/events"
	before, err := scrapeMetrics(addr)
	if err != nil {
		return cold, warm, err
	}
	served := before.sum("recommendations_model_version", nil)
	fmt.Fprintf(stdout, "\nserving: the recommendations service (model version %.0f, %.0f events in its catalogue), %d clients in a closed loop for %s each, GET %s?limit=10 directly; load average %s\n",
		served, before.sum("recommendations_catalogue_events", nil), o.clients, o.duration, base, loadAverage())
	if served == 0 {
		fmt.Fprintf(stdout, "  no model is live: every page is popularity by registrations\n")
	}

	var nextCold atomic.Int64
	coldNext := func() (string, http.Header) {
		i := nextCold.Add(1) - 1
		return base + "?limit=10", coldHeaders[int(i)%len(coldHeaders)]
	}
	// Warms the service's connections, pools and runtime on users the cold loop then skips.
	recLoop("warm-up", coldNext, o.clients, 2*time.Second)
	if err := forgetPages(ctx, rdb); err != nil {
		return cold, warm, err
	}
	warmedUp := nextCold.Load()
	cold = measured(addr, `cached="false"`, func() readResult {
		return profiled(debugAddr, o.cpuProfile, o.duration, func() readResult {
			return recLoop("cold: a new user each request", coldNext, o.clients, o.duration)
		})
	})
	if used := nextCold.Load() - warmedUp; used+warmedUp > int64(len(coldHeaders)) {
		cold.note = fmt.Sprintf("%d requests over %d users: users repeat after the first %d (cache hits)", used, len(coldHeaders), int64(len(coldHeaders))-warmedUp)
	}
	// One client alone: what a page costs without queueing behind the others'.
	cold1 := measured(addr, `cached="false"`, func() readResult {
		return recLoop("cold, 1 client", coldNext, 1, soloDuration)
	})

	// The warm users asked once each (their pages cached), then in turn.
	for _, err := range fanOut(o.clients, warmHeaders, func(h http.Header) error { return getOK(base+"?limit=10", h) }) {
		if err != nil {
			return cold, warm, fmt.Errorf("warming %d users: %w", warmUsers, err)
		}
	}
	var nextWarm atomic.Int64
	warm = measured(addr, `cached="true"`, func() readResult {
		return recLoop(fmt.Sprintf("warm: %d users in turn", warmUsers), func() (string, http.Header) {
			return base + "?limit=10", warmHeaders[int(nextWarm.Add(1))%len(warmHeaders)]
		}, o.clients, o.duration)
	})
	warm1 := measured(addr, `cached="true"`, func() readResult {
		return recLoop("warm, 1 client", func() (string, http.Header) {
			return base + "?limit=10", warmHeaders[int(nextWarm.Add(1))%len(warmHeaders)]
		}, 1, soloDuration)
	})

	// Similar events: each request another upcoming event (anonymous: the answer is the
	// same for everyone).
	if err := forgetPages(ctx, rdb); err != nil {
		return cold, warm, err
	}
	var nextEvent atomic.Int64
	similar := measured(addr, `algorithm="similar",cached="false"`, func() readResult {
		return recLoop("similar: a new event each request", func() (string, http.Header) {
			id := upcoming[int(nextEvent.Add(1)-1)%len(upcoming)]
			return fmt.Sprintf("%s/%d/similar?limit=5", base, id), nil
		}, o.clients, o.duration)
	})
	if n := nextEvent.Load(); n > int64(len(upcoming)) {
		similar.note = fmt.Sprintf("%d requests over %d events: events repeat (cache hits)", n, len(upcoming))
	}

	// The floor of this machine: the same clients on an endpoint of the same process that
	// does no work (/health), so the goals can be set beside what HTTP and the load
	// generator alone cost here.
	floor := recLoopResult{readResult: recLoop("floor: GET /health, no work", func() (string, http.Header) {
		return "http://" + addr + "/health", nil
	}, o.clients, o.duration)}

	loops := []recLoopResult{cold, cold1, warm, warm1, similar, floor}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "loop\trequests\treq/s\terrors\tp50\tp90\tp99\tmax\tcache hits\t\tservice: mean\tp50 ≤\tp99 ≤\t")
	for _, r := range loops {
		m := r.m
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%d\t%s\t%s\t%s\t%s\t%s\t\t%s\t%s\t%s\t\n", r.name, m.Requests, m.Throughput, r.errors,
			round(m.Latencies.P50), round(m.Latencies.P90), round(m.Latencies.P99), round(m.Latencies.Max), percent(r.hits, r.hits+r.misses),
			round(r.server.mean()), bound(r.server.quantile(0.5)), bound(r.server.quantile(0.99)))
	}
	_ = tw.Flush()
	fmt.Fprintf(stdout, "  (service: recommendations_serve_seconds over the loop, pages computed in the cold and similar loops, cached in the warm one; quantiles are its buckets' upper bounds)\n")
	for _, r := range loops {
		if r.firstBad != "" {
			fmt.Fprintf(stdout, "  %s: %d not 200; first: %s\n", r.name, r.errors, r.firstBad)
		}
		if r.note != "" {
			fmt.Fprintf(stdout, "  %s: %s\n", r.name, r.note)
		}
	}
	if o.cpuProfile != "" {
		fmt.Fprintf(stdout, "  CPU profile of the service during the cold loop: %s (go tool pprof -top %s %s)\n", o.cpuProfile, o.platform, o.cpuProfile)
	}
	return cold, warm, nil
}

// measured runs loop and adds the service's cache counts and its serve-time histogram
// (the series matching match) over it.
func measured(addr, match string, loop func() readResult) recLoopResult {
	before, errBefore := scrapeMetrics(addr)
	r := recLoopResult{readResult: loop()}
	after, errAfter := scrapeMetrics(addr)
	if err := errors.Join(errBefore, errAfter); err != nil {
		r.note = fmt.Sprintf("no service metrics: %v", err)
		return r
	}
	hit, miss := map[string]string{"result": "hit"}, map[string]string{"result": "miss"}
	r.hits = after.sum("recommendations_cache_total", hit) - before.sum("recommendations_cache_total", hit)
	r.misses = after.sum("recommendations_cache_total", miss) - before.sum("recommendations_cache_total", miss)
	r.server = after.histogram("recommendations_serve_seconds", match).minus(before.histogram("recommendations_serve_seconds", match))
	return r
}

// recLoop is readLoop with headers of the request's own: next gives each GET's URL and
// headers (a user's token; nil: anonymous).
func recLoop(name string, next func() (string, http.Header), clients int, d time.Duration) readResult {
	targeter := func(t *vegeta.Target) error {
		u, h := next()
		*t = vegeta.Target{Method: "GET", URL: u, Header: h}
		return nil
	}
	a := vegeta.NewAttacker(vegeta.Workers(uint64(clients)), vegeta.MaxWorkers(uint64(clients)), vegeta.KeepAlive(true),
		vegeta.Connections(clients), vegeta.Timeout(30*time.Second))
	r := readResult{name: name, m: &vegeta.Metrics{}}
	for res := range a.Attack(targeter, vegeta.Rate{}, d, name) {
		r.m.Add(res)
		if res.Code != http.StatusOK {
			r.errors++
			if r.firstBad == "" {
				r.firstBad = fmt.Sprintf("%d %s %.300s (GET %s)", res.Code, res.Error, res.Body, res.URL)
			}
		}
	}
	r.m.Close()
	return r
}

// fanOut calls fn on each of xs from n goroutines and returns the errors.
func fanOut[T any](n int, xs []T, fn func(T) error) []error {
	errs := make([]error, len(xs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(xs); i = int(next.Add(1) - 1) {
				errs[i] = fn(xs[i])
			}
		})
	}
	wg.Wait()
	return errs
}

// getOK GETs url with h and reports (as an error) whether the answer was not 200.
func getOK(url string, h http.Header) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header = h
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 300))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", url, res.StatusCode, body)
	}
	return nil
}

// benchRedis is a client of REDIS_URL, the Redis the service caches its pages in.
func benchRedis() (*goredis.Client, error) {
	u := os.Getenv("REDIS_URL")
	if u == "" {
		return nil, errors.New("REDIS_URL is not set; run: eval \"$(hack/deps.sh env)\"")
	}
	opts, err := goredis.ParseURL(u)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	return goredis.NewClient(opts), nil
}

// forgetPages deletes the service's cached pages (recs:*), and nothing else of the shared
// Redis.
func forgetPages(ctx context.Context, rdb *goredis.Client) error {
	iter := rdb.Scan(ctx, 0, "recs:*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		if batch = append(batch, iter.Val()); len(batch) == 1000 {
			if err := rdb.Unlink(ctx, batch...).Err(); err != nil {
				return fmt.Errorf("forget cached pages: %w", err)
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("forget cached pages: %w", err)
	}
	if len(batch) > 0 {
		if err := rdb.Unlink(ctx, batch...).Err(); err != nil {
			return fmt.Errorf("forget cached pages: %w", err)
		}
	}
	return nil
}

// metricSamples are the samples of a Prometheus text exposition.
type metricSamples []metricSample

type metricSample struct {
	name   string
	labels string // as written between the braces
	value  float64
}

// scrapeMetrics reads the service's /metrics.
func scrapeMetrics(addr string) (metricSamples, error) {
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %d", res.StatusCode)
	}
	var out metricSamples
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		s := metricSample{name: line[:i], value: v}
		if j := strings.IndexByte(s.name, '{'); j >= 0 {
			s.name, s.labels = line[:j], strings.TrimSuffix(line[j+1:i], "}")
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// sum adds up the samples of name having every one of labels.
func (ms metricSamples) sum(name string, labels map[string]string) float64 {
	total := 0.0
	for _, s := range ms {
		if s.name != name {
			continue
		}
		ok := true
		for k, v := range labels {
			ok = ok && strings.Contains(","+s.labels+",", ","+k+`="`+v+`",`)
		}
		if ok {
			total += s.value
		}
	}
	return total
}

// histogram is a Prometheus histogram's cumulative buckets, summed over its series.
type histogram struct {
	bounds []float64 // upper bounds, ascending, +Inf last
	counts []float64 // cumulative
	total  float64   // of the observations, seconds
	n      float64
}

// histogram sums the series of the histogram name whose labels contain match.
func (ms metricSamples) histogram(name, match string) histogram {
	var h histogram
	byBound := map[float64]float64{}
	for _, s := range ms {
		if !strings.Contains(s.labels, match) {
			continue
		}
		switch s.name {
		case name + "_bucket":
			i := strings.Index(s.labels, `le="`)
			if i < 0 {
				continue
			}
			le, err := strconv.ParseFloat(strings.TrimSuffix(s.labels[i+4:], `"`), 64)
			if err != nil {
				continue
			}
			if _, ok := byBound[le]; !ok {
				h.bounds = append(h.bounds, le)
			}
			byBound[le] += s.value
		case name + "_sum":
			h.total += s.value
		case name + "_count":
			h.n += s.value
		}
	}
	slices.Sort(h.bounds)
	for _, b := range h.bounds {
		h.counts = append(h.counts, byBound[b])
	}
	return h
}

// minus is h's observations since earlier (the same histogram, scraped before).
func (h histogram) minus(earlier histogram) histogram {
	out := histogram{bounds: h.bounds, total: h.total - earlier.total, n: h.n - earlier.n}
	for i, b := range h.bounds {
		c := h.counts[i]
		for j, eb := range earlier.bounds {
			if eb == b {
				c -= earlier.counts[j]
			}
		}
		out.counts = append(out.counts, c)
	}
	return out
}

func (h histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.total / h.n * float64(time.Second))
}

// quantile is the upper bound of the bucket holding the q quantile (+Inf: above every
// bucket; 0: no observations).
func (h histogram) quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	for i, c := range h.counts {
		if c >= q*h.n {
			return h.bounds[i]
		}
	}
	return math.Inf(1)
}

// bound formats a histogram bucket's upper bound in seconds.
func bound(s float64) string {
	switch {
	case s == 0:
		return "-"
	case math.IsInf(s, 1):
		return "+Inf"
	}
	return round(time.Duration(s * float64(time.Second))).String()
}

// percent is part of whole as a percentage ("-" when whole is 0).
func percent(part, whole float64) string {
	if whole == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*part/whole)
}

// mib formats KiB as MiB.
func mib(kib int64) string { return fmt.Sprintf("%.0f MiB", float64(kib)/1024) }
