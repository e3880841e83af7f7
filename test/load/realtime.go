package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The realtime scenario: N websocket clients (this process) each join one of a set of event
// channels of a server (another process); publications at a steady rate reach them. Against
// the realtime service they go the real path (a domain event on JetStream, the service's
// consumer, Redis, the sockets); against the baseline, a stock centrifuge node on the same
// Redis (test/load/stocknode), they are posted to the node directly.

type realtimeOptions struct {
	platform string
	conns    []int
	channels int
	rate     int
	duration time.Duration
	// cpuProfile: where to write a CPU profile of the realtime service during each run's
	// publications (suffixed with the connection count).
	cpuProfile string
}

// rtResult is one run's figures.
type rtResult struct {
	conns          int
	connectTook    time.Duration
	rssPerConnKB   float64
	published      int
	publishedPerS  float64
	expected       int
	delivered      int64
	deliveredPerS  float64
	p50, p99       time.Duration
	cpuPer1k       time.Duration
	disconnectedBy map[int]int
}

func runRealtime(ctx context.Context, o realtimeOptions, stdout io.Writer) error {
	env, cleanup, err := setup(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	stock, err := buildStockNode()
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Dir(stock))
	nc, err := nats.Connect(lookup(env, "NATS_URL"))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "realtime: %d channels, %d publications/s for %s (fan-out: connections / channels per publication)\n\n",
		o.channels, o.rate, o.duration)
	fmt.Fprintf(stdout, "%-9s %6s %10s %9s %7s %12s %10s %9s %9s %12s\n", "server", "conns", "connect", "KB/conn", "pubs/s", "delivered/s", "of wanted", "p50", "p99", "CPU/1k msgs")
	var results [][2]rtResult
	for _, n := range o.conns {
		var pair [2]rtResult
		for i, server := range []string{"realtime", "stock"} {
			addr := freeAddr()
			var cmd *exec.Cmd
			var publish func(ctx context.Context, ch int, body []byte) error
			debugAddr, profile := "", ""
			if server == "realtime" {
				if o.cpuProfile != "" {
					debugAddr, profile = freeAddr(), fmt.Sprintf("%s-%d", o.cpuProfile, n)
				}
				cmd, err = start(o.platform, env, addr, "realtime", debugAddr)
				publish = func(ctx context.Context, ch int, body []byte) error {
					_, err := js.Publish(ctx, "platform.event.published", body)
					return err
				}
			} else {
				cmd, err = startStock(stock, addr, lookup(env, "REDIS_URL"))
				// The channels the realtime service publishes an event.published to (its
				// page and the feed): the ratio is the cost of the platform's path (JetStream,
				// routing, idempotency keys), not of how many channels a new event reaches.
				publish = func(ctx context.Context, ch int, body []byte) error {
					res, err := http.Post(fmt.Sprintf("http://%s/publish?channel=event:%d&channel=feed", addr, ch), "application/json",
						bytes.NewReader([]byte(`{"type":"event.published","data":`+string(body)+`}`)))
					if err != nil {
						return err
					}
					res.Body.Close()
					if res.StatusCode != http.StatusNoContent {
						return fmt.Errorf("publish: %s", res.Status)
					}
					return nil
				}
			}
			if err != nil {
				return err
			}
			r, err := realtimeRun(ctx, o, cmd.Process.Pid, addr, n, publish, debugAddr, profile)
			stop(cmd)
			if err != nil {
				return fmt.Errorf("%s, %d connections: %w", server, n, err)
			}
			pair[i] = r
			fmt.Fprintf(stdout, "%-9s %6d %10s %9.1f %7.0f %12.0f %9.1f%% %9s %9s %12s  %s\n", server, n, round(r.connectTook), r.rssPerConnKB,
				r.publishedPerS, r.deliveredPerS, 100*float64(r.delivered)/float64(max(1, r.expected)), round(r.p50), round(r.p99), round(r.cpuPer1k), disconnects(r.disconnectedBy))
		}
		results = append(results, pair)
	}
	last := results[len(results)-1]
	rt, st := last[0], last[1]
	fmt.Fprintf(stdout, "\ngoals (%d connections, this machine):\n", rt.conns)
	fmt.Fprintf(stdout, "  ≤ 30 KB per connection: %.1f KB: %s\n", rt.rssPerConnKB, passFail(rt.rssPerConnKB <= 30))
	fmt.Fprintf(stdout, "  ≥ 100,000 delivered messages/s: %.0f/s: %s\n", rt.deliveredPerS, passFail(rt.deliveredPerS >= 100_000))
	fmt.Fprintf(stdout, "  p99 publish-to-receive ≤ 100 ms: %s: %s\n", round(rt.p99), passFail(rt.p99 <= 100*time.Millisecond))
	ratio := rt.deliveredPerS / max(1, st.deliveredPerS)
	fmt.Fprintf(stdout, "  ≥ 0.9 of the stock node's delivered/s: %.2f: %s\n", ratio, passFail(ratio >= 0.9))
	return nil
}

func disconnects(m map[int]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for code, n := range m {
		parts = append(parts, fmt.Sprintf("%d closed with %d", n, code))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// realtimeRun connects n clients to the server at addr (process pid), publishes at the
// scenario's rate and measures.
func realtimeRun(ctx context.Context, o realtimeOptions, pid int, addr string, n int, publish func(context.Context, int, []byte) error,
	debugAddr, profile string) (rtResult, error) {
	r := rtResult{conns: n, disconnectedBy: map[int]int{}}
	rssBefore, _ := rssKB(pid)
	var (
		delivered    atomic.Int64
		lastDelivery atomic.Int64
		mu           sync.Mutex
		lat          []time.Duration
		wg           sync.WaitGroup
	)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Each connection reads from the moment it joins: it answers the server's pings (an
	// empty message, answered with one), and counts publications.
	read := func(c *websocket.Conn) {
		defer wg.Done()
		var mine []time.Duration
		defer func() { mu.Lock(); lat = append(lat, mine...); mu.Unlock() }()
		for {
			_, b, err := c.Read(runCtx)
			if err != nil {
				var ce websocket.CloseError
				if asCloseError(err, &ce) {
					mu.Lock()
					r.disconnectedBy[int(ce.Code)]++
					mu.Unlock()
				}
				return
			}
			now := time.Now()
			for _, line := range bytes.Split(b, []byte("\n")) {
				if string(line) == "{}" {
					_ = c.Write(runCtx, websocket.MessageText, []byte("{}"))
				} else if at, ok := sentAt(line); ok {
					delivered.Add(1)
					lastDelivery.Store(now.UnixNano())
					mine = append(mine, now.Sub(at))
				}
			}
		}
	}
	conns := make([]*websocket.Conn, n)
	began := time.Now()
	var next atomic.Int64
	var dialErr atomic.Value
	var dialers sync.WaitGroup
	for range 32 {
		dialers.Add(1)
		go func() {
			defer dialers.Done()
			for i := int(next.Add(1) - 1); i < n && dialErr.Load() == nil; i = int(next.Add(1) - 1) {
				c, err := rtConnect(runCtx, addr, i%o.channels)
				if err != nil {
					dialErr.Store(fmt.Errorf("connection %d: %w", i, err))
					return
				}
				conns[i] = c
				wg.Add(1)
				go read(c)
			}
		}()
	}
	dialers.Wait()
	if err, _ := dialErr.Load().(error); err != nil {
		cancel()
		for _, c := range conns {
			if c != nil {
				_ = c.CloseNow()
			}
		}
		wg.Wait()
		return r, err
	}
	r.connectTook = time.Since(began)
	time.Sleep(2 * time.Second) // let the server settle before reading its memory
	rssAfter, _ := rssKB(pid)
	r.rssPerConnKB = float64(rssAfter-rssBefore) / float64(n)
	cpuBefore, _ := cpuTime(pid)
	profiledDone := make(chan struct{})
	go func() {
		defer close(profiledDone)
		profiled(debugAddr, profile, o.duration, func() struct{} { return struct{}{} })
	}()
	defer func() { <-profiledDone }()
	publishing := time.Now()
	inflight := make(chan struct{}, 64)
	var pubs sync.WaitGroup
	var pubErr atomic.Value
	tick := time.NewTicker(time.Second / time.Duration(o.rate))
	end := time.Now().Add(o.duration)
	for i := 0; time.Now().Before(end); i++ {
		<-tick.C
		ch := i % o.channels
		body := fmt.Sprintf(`{"version":1,"event_id":%d,"title":"Bench","visibility":"public","status":"published","occurred_at":%q}`,
			ch+1, time.Now().UTC().Format(time.RFC3339Nano))
		// Published concurrently, so that the rate holds whatever one publication takes.
		if failed, _ := pubErr.Load().(error); failed != nil {
			tick.Stop()
			return r, failed
		}
		inflight <- struct{}{}
		pubs.Add(1)
		go func() {
			defer func() { <-inflight; pubs.Done() }()
			if err := publish(runCtx, ch+1, []byte(body)); err != nil {
				pubErr.Store(err)
			}
		}()
		r.published++
	}
	tick.Stop()
	pubs.Wait()
	r.expected = r.published * (n / o.channels)
	for deadline := time.Now().Add(10 * time.Second); delivered.Load() < int64(r.expected) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	cpuAfter, _ := cpuTime(pid)
	cancel()
	for _, c := range conns {
		_ = c.CloseNow()
	}
	wg.Wait()
	r.delivered = delivered.Load()
	// Over the time from the first publication to the last delivery: a server that falls
	// behind delivers over longer than it was published to.
	r.publishedPerS = float64(r.published) / o.duration.Seconds()
	if took := time.Duration(lastDelivery.Load() - publishing.UnixNano()); r.delivered > 0 && took > 0 {
		r.deliveredPerS = float64(r.delivered) / took.Seconds()
	}
	if r.delivered > 0 {
		r.cpuPer1k = time.Duration(float64(cpuAfter-cpuBefore) / float64(r.delivered) * 1000)
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return r, nil
}

// rtConnect opens one anonymous connection and joins event:{ch+1}.
func rtConnect(ctx context.Context, addr string, ch int) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(dctx, "ws://"+addr+"/ws", nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(1 << 20)
	for _, cmd := range []string{`{"id":1,"connect":{}}`, fmt.Sprintf(`{"id":2,"subscribe":{"channel":"event:%d"}}`, ch+1)} {
		if err := c.Write(dctx, websocket.MessageText, []byte(cmd)); err != nil {
			_ = c.CloseNow()
			return nil, err
		}
		_, reply, err := c.Read(dctx)
		if err != nil {
			_ = c.CloseNow()
			return nil, err
		}
		if bytes.Contains(reply, []byte(`"error"`)) {
			_ = c.CloseNow()
			return nil, fmt.Errorf("%s: %s", cmd, reply)
		}
	}
	return c, nil
}

// sentAt reads the publication time out of a pushed publication.
func sentAt(line []byte) (time.Time, bool) {
	i := bytes.Index(line, []byte(`"occurred_at":"`))
	if i < 0 {
		return time.Time{}, false
	}
	rest := line[i+len(`"occurred_at":"`):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:j]))
	return t, err == nil
}

func asCloseError(err error, ce *websocket.CloseError) bool {
	c := websocket.CloseStatus(err)
	if c == -1 {
		return false
	}
	ce.Code = c
	return true
}

// rssKB is a process's resident memory.
func rssKB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}

// cpuTime is a process's user and system CPU time so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command (which may hold spaces) in parentheses.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticks = 100 // USER_HZ
	return time.Duration(utime+stime) * time.Second / ticks, nil
}

func buildStockNode() (string, error) {
	dir, err := os.MkdirTemp("", "stocknode")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "stocknode")
	out, err := exec.Command("go", "build", "-o", bin, "./test/load/stocknode").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build the stock node: %v\n%s", err, out)
	}
	return bin, nil
}

func startStock(bin, addr, redisURL string) (*exec.Cmd, error) {
	cmd := exec.Command(bin, "-addr", addr, "-redis", redisURL, "-prefix", fmt.Sprintf("stocknode-%d", time.Now().UnixNano()))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			return cmd, nil
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	return nil, fmt.Errorf("the stock node did not start on %s", addr)
}
