package gateway

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/config"
	"github.com/events-platform/events-platform/internal/httpserver"
	"github.com/events-platform/events-platform/test/integration"
)

const issuer = "events-platform"

// harness is a gateway behind the process server's middleware, as `platform serve` runs
// it, with a real Redis and a key pair to mint tokens.
type harness struct {
	t      *testing.T
	url    string
	gw     *Gateway
	key    ed25519.PrivateKey
	signer *auth.Signer
	reg    *prometheus.Registry
}

// setup starts a gateway. cfg's zero rate limits are replaced by limits no test reaches by
// accident; opts may set Redis and Upstreams.
func setup(t *testing.T, cfg config.Gateway, opts Options) *harness {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RateLimitPerMinute == 0 {
		cfg.RateLimitPerMinute, cfg.RateLimitBurst = 100000, 100000
	}
	if cfg.UserRateLimit == 0 {
		cfg.UserRateLimit = 100000
	}
	log := testLogger(t)
	if opts.Redis == nil {
		opts.Redis = redisClient(t, integration.RedisURL(t))
	}
	reg := prometheus.NewRegistry()
	opts.Log, opts.Config, opts.Registerer, opts.Version = log, cfg, reg, "test"
	opts.KeyPrefix = integration.KeyPrefix(t)
	opts.Verifier = auth.NewVerifier(issuer, key.Public().(ed25519.PublicKey))
	gw, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httpserver.New(log, prometheus.NewRegistry(), "platform", "test", nil)
	srv.Mux.Handle("/", gw.Handler())
	ts := httptest.NewServer(srv.Middleware(httpserver.RecordRoute(srv.Mux)))
	t.Cleanup(ts.Close)
	return &harness{t: t, url: ts.URL, gw: gw, key: key, signer: auth.NewSigner(key, issuer, 15*time.Minute), reg: reg}
}

// testLogger returns a logger whose output is shown when the test fails. It buffers rather
// than writing to t.Output: servers log after the client has its response, when the test
// may be over.
func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	var (
		mu  sync.Mutex
		buf bytes.Buffer
	)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if t.Failed() {
			t.Logf("logs:\n%s", buf.String())
		}
	})
	w := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func redisClient(t *testing.T, url string) *goredis.Client {
	t.Helper()
	o, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// token returns a valid access token for id.
func (h *harness) token(id auth.Identity) string {
	h.t.Helper()
	tok, err := h.signer.Sign(id)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// do sends a request to the gateway; headers are name/value pairs.
func (h *harness) do(method, path string, body io.Reader, headers ...string) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	h.t.Cleanup(func() { _ = res.Body.Close() })
	return res
}

// errorBody is the error envelope.
type errorBody struct {
	Success bool `json:"success"`
	Error   struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// decodeError reads an error envelope, failing the test when the body is not one.
func decodeError(t *testing.T, res *http.Response) errorBody {
	t.Helper()
	var e errorBody
	b, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(b, &e); err != nil || e.Success || e.Error.Code == "" {
		t.Fatalf("body %q is not an error envelope (%v)", b, err)
	}
	return e
}

// seen is what a fake service saw of a request.
type seen struct {
	Service   string `json:"service"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Query     string `json:"query"`
	UserID    string `json:"user_id"`
	UserRole  string `json:"user_role"`
	RequestID string `json:"request_id"`
	Forwarded string `json:"forwarded_for"`
	ClientIP  string `json:"client_ip"`
	BodyBytes int    `json:"body_bytes"`
	// HasIdentity and Identity are what auth.FromContext gave (in-process only).
	HasIdentity bool          `json:"has_identity"`
	Identity    auth.Identity `json:"identity"`
	HasDeadline bool          `json:"has_deadline"`
}

// fakeService stands in for one of our services: it answers 200 with what it saw, or the
// status reading the body failed with (400, as a service's decoder would).
type fakeService struct {
	name string
	hits atomic.Int64
}

func (f *fakeService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.hits.Add(1)
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	id, ok := auth.FromContext(r.Context())
	_, hasDeadline := r.Context().Deadline()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(seen{
		Service: f.name, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		UserID: r.Header.Get("X-User-ID"), UserRole: r.Header.Get("X-User-Role"),
		RequestID: r.Header.Get(httpserver.RequestIDHeader), Forwarded: r.Header.Get("X-Forwarded-For"),
		ClientIP:  r.Header.Get("X-Client-IP"),
		BodyBytes: int(n), HasIdentity: ok, Identity: id, HasDeadline: hasDeadline,
	})
}

// startService runs a fake service over HTTP.
func startService(t *testing.T, name string) (*fakeService, string) {
	t.Helper()
	f := &fakeService{name: name}
	return f, newHTTPTestServer(t, f)
}

// newHTTPTestServer serves h over HTTP until the test ends and returns its URL.
func newHTTPTestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

func decodeSeen(t *testing.T, res *http.Response) seen {
	t.Helper()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("status %d, want 200; body %s", res.StatusCode, b)
	}
	var s seen
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		t.Fatalf("decode upstream echo: %v", err)
	}
	return s
}

// closedURL returns a URL nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr
}

func TestNewRejectsBadConfiguration(t *testing.T) {
	rdb := redisClient(t, integration.RedisURL(t))
	v := auth.NewVerifier(issuer)
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"no redis", Options{Verifier: v}, "Redis"},
		{"no verifier", Options{Redis: rdb}, "verifier"},
		{"unknown upstream", Options{Redis: rdb, Verifier: v, Upstreams: []Upstream{{Name: "payments", URL: "http://x"}}}, `"payments"`},
		{"duplicate upstream", Options{Redis: rdb, Verifier: v, Upstreams: []Upstream{{Name: "users", URL: "http://a"}, {Name: "users", URL: "http://b"}}}, "twice"},
		{"relative URL", Options{Redis: rdb, Verifier: v, Upstreams: []Upstream{{Name: "events", URL: "events:8080"}}}, "absolute"},
		{"bad proxy CIDR", Options{Redis: rdb, Verifier: v, Config: config.Gateway{TrustedProxyCIDRs: []string{"10.0.0.0/33"}}}, "TRUSTED_PROXY_CIDRS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New() error = %v, want one mentioning %s", err, tt.wantErr)
			}
		})
	}
}

// counter returns the value of the gateway's counter name with the given label pairs, or
// 0 when it has no such series.
func (h *harness) counter(name string, labels ...string) float64 {
	h.t.Helper()
	families, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue series
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
