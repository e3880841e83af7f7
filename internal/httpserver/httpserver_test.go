package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func newTestServer(t *testing.T, checks []Check) (*Server, *prometheus.Registry, *strings.Builder) {
	t.Helper()
	var logs strings.Builder
	reg := prometheus.NewRegistry()
	s := New(slog.New(slog.NewJSONHandler(&logs, nil)), reg, "users", "v1", checks)
	inner := http.NewServeMux()
	inner.HandleFunc("GET /api/v1/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(RequestID(r.Context())))
	})
	inner.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	s.Mux.Handle("/", RecordRoute(inner))
	return s, reg, &logs
}

func serve(s *Server, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.srv.Handler.ServeHTTP(rec, req)
	return rec
}

func TestRequestID(t *testing.T) {
	s, _, _ := newTestServer(t, nil)
	tests := []struct {
		incoming string
		keep     bool
	}{
		{"abc-123", true},
		{"", false},
		{"has space", false},
		{strings.Repeat("a", 200), false},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/api/v1/things/1", nil)
		if tt.incoming != "" {
			req.Header.Set(RequestIDHeader, tt.incoming)
		}
		rec := serve(s, req)
		got := rec.Header().Get(RequestIDHeader)
		if body := rec.Body.String(); body != got {
			t.Errorf("handler saw request id %q, response header %q", body, got)
		}
		if tt.keep && got != tt.incoming {
			t.Errorf("incoming %q: got %q, want it kept", tt.incoming, got)
		}
		if !tt.keep && (got == tt.incoming || len(got) != 32) {
			t.Errorf("incoming %q: got %q, want a fresh 32-hex id", tt.incoming, got)
		}
	}
}

func TestPanicBecomesA500Envelope(t *testing.T) {
	s, _, logs := newTestServer(t, nil)
	rec := serve(s, httptest.NewRequest("GET", "/panic", nil))
	var body struct {
		Success bool `json:"success"`
		Error   struct{ Code, Message string }
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != 500 || body.Success || body.Error.Code != "internal" || strings.Contains(rec.Body.String(), "boom") {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "boom") || !strings.Contains(logs.String(), "stack") {
		t.Errorf("the panic and its stack must be logged: %s", logs)
	}
}

func TestMetricsAndLogUseTheInnermostRoute(t *testing.T) {
	s, reg, logs := newTestServer(t, nil)
	serve(s, httptest.NewRequest("GET", "/api/v1/things/42", nil))
	serve(s, httptest.NewRequest("GET", "/api/v1/things/43", nil))
	got := testutil.ToFloat64(s.metrics.requests.WithLabelValues("GET /api/v1/things/{id}", "GET", "200"))
	if got != 2 {
		t.Errorf("requests for the route: got %v, want 2", got)
	}
	if n, _ := testutil.GatherAndCount(reg, "http_request_duration_seconds"); n != 1 {
		t.Errorf("duration series: got %d, want 1 (one route, not one per id)", n)
	}
	if !strings.Contains(logs.String(), `"route":"GET /api/v1/things/{id}"`) || !strings.Contains(logs.String(), `"status":200`) {
		t.Errorf("access log: %s", logs)
	}
	rec := serve(s, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `http_requests_total{code="200",method="GET",route="GET /api/v1/things/{id}"} 2`) {
		t.Errorf("/metrics: %s", rec.Body)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	failing := false
	s, _, _ := newTestServer(t, []Check{
		{Name: "postgres", Check: func(context.Context) error { return nil }},
		{Name: "redis", Check: func(context.Context) error {
			if failing {
				return errors.New("dial tcp 10.0.0.1:6379: refused")
			}
			return nil
		}},
	})
	rec := serve(s, httptest.NewRequest("GET", "/health", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"status":"healthy"`) || !strings.Contains(rec.Body.String(), `"service":"users"`) {
		t.Errorf("health: got %d %s", rec.Code, rec.Body)
	}
	rec = serve(s, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 {
		t.Errorf("ready: got %d %s", rec.Code, rec.Body)
	}
	failing = true
	rec = serve(s, httptest.NewRequest("GET", "/readyz", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 503 || !strings.Contains(string(body), `"redis":"failing"`) || !strings.Contains(string(body), `"postgres":"ok"`) ||
		!strings.Contains(string(body), `"unavailable":["redis"]`) {
		t.Errorf("not ready: got %d %s", rec.Code, body)
	}
	if strings.Contains(string(body), "10.0.0.1") {
		t.Errorf("readiness leaks the error text: %s", body)
	}
}

func TestShutdownFinishesInFlightRequests(t *testing.T) {
	s, _, _ := newTestServer(t, nil)
	started := make(chan struct{})
	s.Mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		w.Write([]byte("done"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	url := "http://" + ln.Addr().String()

	type result struct {
		body string
		err  error
	}
	inflight := make(chan result, 1)
	go func() {
		res, err := http.Get(url + "/slow")
		if err != nil {
			inflight <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		inflight <- result{body: string(b)}
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if r := <-inflight; r.err != nil || r.body != "done" {
		t.Fatalf("in-flight request: got %q, %v; want it finished", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after a clean shutdown: %v", err)
	}
	if _, err := http.Get(url + "/health"); err == nil {
		t.Fatalf("new requests must be refused after shutdown")
	}
}
