// Command load runs the load scenarios against a local platform on loopback and prints
// their figures. Each scenario is bounded in time and stops by itself.
//
//	go run ./test/load gateway        # login and GET /users/me, through the gateway and direct
//	go run ./test/load search         # 25 query shapes over 1M seeded events, endpoint vs the obvious SQL; open loop; autocomplete
//	go run ./test/load registrations  # one hot event, 2,000 concurrent clients registering
//	go run ./test/load realtime       # 5k/10k/19.5k websockets, publications fanned out, vs a stock centrifuge node
//	go run ./test/load analytics      # batches of interactions in, vs raw COPY; event stats and overviews over 10M seeded interactions
//	go run ./test/load recommendations  # retrain on 100k users × 50k events × 1M interactions; serving, cold and cached
//	go run ./test/load curation       # trending and featured over 1M events × 10M interactions vs the obvious SQL; a registration burst's rise
//	go run ./test/load movielens -out u.data  # a MovieLens-100K-shaped ratings file (needs no dependencies)
//
// It needs the local dependencies (hack/deps.sh up) and builds nothing: pass -platform
// (default bin/platform, from `make build`).
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/migrations"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	platform := fs.String("platform", "bin/platform", "the platform binary")
	duration := fs.Duration("duration", 10*time.Second, "length of each attack (search: of the open loop)")
	workers := fs.Uint64("workers", 32, "concurrent clients for GET /users/me")
	loginWorkers := fs.Uint64("login-workers", 8, "concurrent clients for login (bcrypt bound)")
	users := fs.Int("users", 50, "gateway: accounts to log in as")
	cpuProfile := fs.String("cpuprofile", "", "gateway, search, realtime, analytics, recommendations and curation: write a CPU profile of the serving process during the (first) attack to this file (realtime and analytics: one per run, the file name suffixed with its size)")
	var so searchOptions
	fs.IntVar(&so.events, "events", 1_000_000, "search: events in the benchmark database (seeded once, then reused)")
	fs.StringVar(&so.database, "db", "bench_search", "search: name of the benchmark database")
	fs.IntVar(&so.clients, "clients", 8, "search: concurrent clients of each shape's closed loop (endpoint and obvious SQL alike)")
	fs.DurationVar(&so.shapeDuration, "shape-duration", 8*time.Second, "search: closed loop of each shape, against the endpoint and again against the obvious SQL")
	fs.IntVar(&so.rate, "rate", 100, "search: searches a second of the open loop (which lasts -duration)")
	fs.StringVar(&so.shapes, "shapes", "", "search: shapes to measure, comma-separated (default all)")
	fs.DurationVar(&so.mixDuration, "mix-duration", 6*time.Second, "search: endpoint vs its own SQL replayed, the shapes in turn (0 skips it)")
	fs.DurationVar(&so.suggestDuration, "suggest-duration", 5*time.Second, "search: autocomplete from one client")
	dumpN := fs.Int("n", 600, "search-dump: searches to answer (each with its second page)")
	var rto realtimeOptions
	conns := fs.String("conns", "5000,10000,19500", "realtime: connection counts to measure, in turn (each process may open 20,000 files here)")
	fs.IntVar(&rto.channels, "channels", 100, "realtime: event channels the connections are spread over")
	fs.IntVar(&rto.rate, "pub-rate", 500, "realtime: publications a second")
	var ro registrationOptions
	fs.IntVar(&ro.clients, "reg-clients", 2000, "registrations: concurrent clients")
	fs.IntVar(&ro.attendees, "attendees", 150000, "registrations: accounts that each register once")
	fs.IntVar(&ro.capacity, "capacity", 5000, "registrations: seats of the hot event")
	var ao analyticsOptions
	fs.IntVar(&ao.clients, "ingest-clients", 16, "analytics: concurrent clients posting batches (and connections COPYing)")
	fs.IntVar(&ao.interactions, "interactions", 10_000_000, "analytics: interactions seeded for the reads (once per size, then reused)")
	fs.IntVar(&ao.readClients, "read-clients", 8, "analytics: concurrent clients of each read's closed loop")
	fs.DurationVar(&ao.readDuration, "read-duration", 5*time.Second, "analytics: each read's closed loop")
	var rco recommendationsOptions
	fs.IntVar(&rco.users, "rec-users", defaultRecUsers, "recommendations: users seeded (once per sizes, then reused)")
	fs.IntVar(&rco.events, "rec-events", defaultRecEvents, "recommendations: events seeded")
	fs.IntVar(&rco.interactions, "rec-interactions", defaultRecInteractions, "recommendations: analytics interactions seeded")
	fs.IntVar(&rco.clients, "rec-clients", 50, "recommendations: concurrent clients of each serving loop")
	fs.DurationVar(&rco.duration, "rec-duration", 10*time.Second, "recommendations: each serving loop (cold, warm, similar); -cpuprofile profiles the cold one")
	fs.BoolVar(&rco.train, "rec-train", true, "recommendations: retrain before serving (false: serve the live model, to measure serving alone)")
	var co curationOptions
	fs.IntVar(&co.users, "cur-users", defaultCurationUsers, "curation: users seeded (once per sizes, then reused)")
	fs.IntVar(&co.events, "cur-events", defaultCurationEvents, "curation: events seeded")
	fs.IntVar(&co.interactions, "cur-interactions", defaultCurationInteractions, "curation: analytics interactions seeded")
	fs.IntVar(&co.clients, "cur-clients", 50, "curation: concurrent clients of the trending and featured loops")
	fs.DurationVar(&co.duration, "cur-duration", 10*time.Second, "curation: each read loop (the service's and the obvious SQL's); -cpuprofile profiles the trending one")
	fs.IntVar(&co.baselineClients, "cur-baseline-clients", 4, "curation: concurrent clients of the obvious SQL's loops")
	fs.DurationVar(&co.backfillWait, "cur-backfill-wait", 30*time.Minute, "curation: longest wait for the service to score the seeded events before the reads")
	var mo movieLensOptions
	fs.StringVar(&mo.out, "out", "u.data", "movielens: the ratings file to write")
	fs.Uint64Var(&mo.seed, "seed", 1, "movielens: the generator's seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *duration > 2*time.Minute {
		return errors.New("-duration is capped at 2m")
	}
	if so.clients < 1 || so.rate < 1 || so.shapeDuration <= 0 || so.suggestDuration <= 0 || so.mixDuration < 0 {
		return errors.New("-clients, -rate, -shape-duration and -suggest-duration must be positive, -mix-duration not negative")
	}
	switch fs.Arg(0) {
	case "gateway":
	case "search":
		so.platform, so.duration, so.cpuProfile = *platform, *duration, *cpuProfile
		return runSearch(ctx, so, stdout)
	case "search-dump":
		so.platform = *platform
		return runSearchDump(ctx, so, *dumpN, stdout)
	case "registrations":
		ro.platform, ro.duration = *platform, *duration
		return runRegistrations(ctx, ro, stdout)
	case "realtime":
		rto.platform, rto.duration, rto.cpuProfile = *platform, *duration, *cpuProfile
		for _, c := range strings.Split(*conns, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(c))
			if err != nil || n < rto.channels {
				return fmt.Errorf("-conns: %q is not a count of at least -channels", c)
			}
			rto.conns = append(rto.conns, n)
		}
		if rto.channels < 1 || rto.rate < 1 {
			return errors.New("-channels and -pub-rate must be positive")
		}
		return runRealtime(ctx, rto, stdout)
	case "analytics":
		ao.platform, ao.duration, ao.cpuProfile = *platform, *duration, *cpuProfile
		if ao.clients < 1 || ao.interactions < 1000 || ao.readClients < 1 || ao.readDuration <= 0 || ao.readDuration > 2*time.Minute {
			return errors.New("-ingest-clients and -read-clients must be positive, -interactions at least 1000, -read-duration at most 2m")
		}
		return runAnalytics(ctx, ao, stdout)
	case "recommendations":
		rco.platform, rco.cpuProfile = *platform, *cpuProfile
		if rco.users < 2*warmUsers || rco.events < 1 || rco.interactions < 1000 || rco.clients < 1 || rco.duration <= 0 || rco.duration > 2*time.Minute {
			return fmt.Errorf("-rec-users must be at least %d, -rec-events and -rec-clients positive, -rec-interactions at least 1000, -rec-duration at most 2m", 2*warmUsers)
		}
		return runRecommendations(ctx, rco, stdout)
	case "curation":
		co.platform, co.cpuProfile = *platform, *cpuProfile
		if co.users < 1000 || co.events < 1000 || co.interactions < 1000 || co.clients < 1 || co.baselineClients < 1 ||
			co.duration <= 0 || co.duration > 2*time.Minute || co.backfillWait < 0 {
			return errors.New("-cur-users, -cur-events and -cur-interactions must be at least 1000, -cur-clients and -cur-baseline-clients positive, -cur-duration at most 2m")
		}
		return runCuration(ctx, co, stdout)
	case "movielens":
		// Its flags may also follow its name (movielens -out f), as none other's can.
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("movielens: unexpected %q", fs.Arg(0))
		}
		return runMovieLens(mo, stdout)
	default:
		return errors.New("usage: load [flags] gateway|search|search-dump|registrations|realtime|analytics|recommendations|curation|movielens")
	}
	env, cleanup, err := setup(ctx)
	if err != nil {
		return err
	}
	defer cleanup()

	gwAddr, usersAddr := freeAddr(), freeAddr()
	debugAddr := ""
	if *cpuProfile != "" {
		debugAddr = freeAddr()
	}
	gw, err := start(*platform, env, gwAddr, "all", debugAddr)
	if err != nil {
		return err
	}
	defer stop(gw)
	direct, err := start(*platform, env, usersAddr, "users", "")
	if err != nil {
		return err
	}
	defer stop(direct)

	gwBase, directBase := "http://"+gwAddr, "http://"+usersAddr
	tokens, err := registerUsers(gwBase, *users)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loopback load: %d accounts, %s per attack, %d clients for /users/me, %d for login\n\n",
		*users, *duration, *workers, *loginWorkers)

	results := []result{
		attack("login via gateway", loginTargeter(gwBase, *users), *loginWorkers, *duration),
		attack("login direct", loginTargeter(directBase, *users), *loginWorkers, *duration),
		profiled(debugAddr, *cpuProfile, *duration, func() result {
			return attack("GET /users/me via gateway", meTargeter(gwBase, tokens), *workers, *duration)
		}),
		attack("GET /users/me direct", meTargeter(directBase, tokens), *workers, *duration),
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\trequests\treq/s\tsuccess\tp50\tp95\tp99\t")
	for _, r := range results {
		m := r.m
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f%%\t%s\t%s\t%s\t\n", r.name, m.Requests, m.Throughput, m.Success*100,
			round(m.Latencies.P50), round(m.Latencies.P95), round(m.Latencies.P99))
	}
	_ = tw.Flush()
	fmt.Fprintln(stdout)
	for i := 0; i+1 < len(results); i += 2 {
		g, d := results[i].m, results[i+1].m
		fmt.Fprintf(stdout, "%s: gateway/direct throughput %.2f, p50 %.2f, p99 %.2f\n", strings.TrimSuffix(results[i].name, " via gateway"),
			g.Throughput/d.Throughput, ratio(g.Latencies.P50, d.Latencies.P50), ratio(g.Latencies.P99, d.Latencies.P99))
	}
	for _, r := range results {
		if len(r.m.Errors) > 0 {
			fmt.Fprintf(stdout, "%s errors: %v\n", r.name, r.m.Errors)
		}
	}
	return nil
}

type result struct {
	name string
	m    *vegeta.Metrics
}

func attack(name string, tr vegeta.Targeter, workers uint64, d time.Duration) result {
	a := vegeta.NewAttacker(vegeta.Workers(workers), vegeta.MaxWorkers(workers), vegeta.KeepAlive(true),
		vegeta.Connections(int(workers)), vegeta.Timeout(10*time.Second))
	var m vegeta.Metrics
	for res := range a.Attack(tr, vegeta.Rate{}, d, name) {
		m.Add(res)
	}
	m.Close()
	return result{name, &m}
}

// profiled runs fn while taking a CPU profile of the process serving pprof at debugAddr.
func profiled[T any](debugAddr, file string, d time.Duration, fn func() T) T {
	if debugAddr == "" {
		return fn()
	}
	secs := max(int(d.Seconds())-1, 1)
	done := make(chan error, 1)
	go func() {
		res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", debugAddr, secs))
		if err != nil {
			done <- err
			return
		}
		defer res.Body.Close()
		f, err := os.Create(file)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, res.Body)
		done <- errors.Join(err, f.Close())
	}()
	r := fn()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "cpu profile:", err)
	}
	return r
}

func loginTargeter(base string, users int) vegeta.Targeter {
	var n atomic.Uint64
	hdr := http.Header{"Content-Type": {"application/json"}}
	return func(t *vegeta.Target) error {
		i := n.Add(1) % uint64(users)
		*t = vegeta.Target{Method: "POST", URL: base + "/api/v1/auth/login", Header: hdr,
			Body: fmt.Appendf(nil, `{"email":"load%d@example.com","password":"password123"}`, i)}
		return nil
	}
}

func meTargeter(base string, tokens []string) vegeta.Targeter {
	var n atomic.Uint64
	headers := make([]http.Header, len(tokens))
	for i, tok := range tokens {
		headers[i] = http.Header{"Authorization": {"Bearer " + tok}}
	}
	return func(t *vegeta.Target) error {
		i := n.Add(1) % uint64(len(tokens))
		*t = vegeta.Target{Method: "GET", URL: base + "/api/v1/users/me", Header: headers[i]}
		return nil
	}
}

func registerUsers(base string, n int) ([]string, error) {
	tokens := make([]string, 0, n)
	for i := range n {
		body := fmt.Sprintf(`{"email":"load%d@example.com","password":"password123","name":"Load %d"}`, i, i)
		res, err := http.Post(base+"/api/v1/auth/register", "application/json", strings.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("register: %w", err)
		}
		var env struct {
			Data struct {
				Token string `json:"token"`
			} `json:"data"`
		}
		err = json.NewDecoder(res.Body).Decode(&env)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusCreated {
			return nil, fmt.Errorf("register load%d: status %d %v", i, res.StatusCode, err)
		}
		tokens = append(tokens, env.Data.Token)
	}
	return tokens, nil
}

// setup makes a fresh migrated database and a signing key; cleanup drops them.
func setup(ctx context.Context) ([]string, func(), error) {
	base, err := adminURL()
	if err != nil {
		return nil, nil, err
	}
	name := fmt.Sprintf("load_%d", time.Now().UnixNano())
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close(ctx)
		return nil, nil, err
	}
	u, _ := url.Parse(base)
	u.Path = "/" + name
	dir, _ := os.MkdirTemp("", "platform-load")
	cleanup := func() {
		_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close(context.Background())
		_ = os.RemoveAll(dir)
	}
	r, err := migrations.Open(u.String())
	if err == nil {
		err = r.Up()
		_ = r.Close()
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	pemBytes, _ := auth.EncodePrivateKey(key)
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		cleanup()
		return nil, nil, err
	}
	env := append(os.Environ(), "DATABASE_URL="+u.String(), "JWT_PRIVATE_KEY_FILE="+keyFile, "LOG_LEVEL=error",
		// The scenario measures the gateway's cost, limiter included, not its refusals.
		"RATE_LIMIT_PER_MINUTE=100000000", "RATE_LIMIT_BURST=1000000", "USER_RATE_LIMIT_PER_MINUTE=100000000")
	return env, cleanup, nil
}

// adminURL is DATABASE_URL: the server the scenarios create their databases on.
func adminURL() (string, error) {
	u := os.Getenv("DATABASE_URL")
	if u == "" {
		return "", errors.New("DATABASE_URL is not set; run: eval \"$(hack/deps.sh env)\"")
	}
	return u, nil
}

func start(bin string, env []string, addr, target, debugAddr string) (*exec.Cmd, error) {
	cmd, _, err := startTimed(bin, env, addr, target, debugAddr)
	return cmd, err
}

// startTimed starts the platform serving target and returns once it is ready, with how
// long that took. The search and curation services load every published public upcoming
// event before they are ready (tens of seconds for a million): they are given 3 minutes,
// the others 30 s.
func startTimed(bin string, env []string, addr, target, debugAddr string) (*exec.Cmd, time.Duration, error) {
	args := []string{"serve", "--target=" + target}
	if debugAddr != "" {
		args = append(args, "--debug-addr="+debugAddr)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(env, "HTTP_ADDR="+addr)
	// The search service answers 503 to /readyz while it loads, and logs each: not news.
	cmd.Stderr = &dropLines{w: os.Stderr, drop: []string{"path=/readyz", "status=503"}}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := waitFor(cmd)
	wait := 30 * time.Second
	if target == "search" || target == "curation" {
		wait = 3 * time.Minute
	}
	for deadline := began.Add(wait); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-exited:
			return nil, 0, fmt.Errorf("%s --target=%s exited before it was ready: %v", bin, target, cmd.ProcessState)
		default:
		}
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return cmd, time.Since(began), nil
			}
		}
	}
	stop(cmd)
	return nil, 0, fmt.Errorf("%s --target=%s not ready after %s", bin, target, wait)
}

// dropLines writes to w the lines written to it, but those containing every one of drop.
type dropLines struct {
	w    io.Writer
	drop []string
	mu   sync.Mutex
	buf  []byte
}

func (d *dropLines) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.buf = append(d.buf, p...)
	for {
		i := bytes.IndexByte(d.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := d.buf[:i+1]
		keep := false
		for _, s := range d.drop {
			keep = keep || !bytes.Contains(line, []byte(s))
		}
		if keep {
			if _, err := d.w.Write(line); err != nil {
				return len(p), err
			}
		}
		d.buf = d.buf[i+1:]
	}
}

// exits holds, for each process started, a channel closed once it has exited.
var exits sync.Map // *exec.Cmd → chan struct{}

// waitFor waits for cmd in the background, once, and returns a channel closed when it
// has exited.
func waitFor(cmd *exec.Cmd) chan struct{} {
	done := make(chan struct{})
	if ch, loaded := exits.LoadOrStore(cmd, done); loaded {
		return ch.(chan struct{})
	}
	go func() { _ = cmd.Wait(); close(done) }()
	return done
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-waitFor(cmd):
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-waitFor(cmd)
	}
	exits.Delete(cmd)
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(time.Millisecond)
	}
	if d > time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
