package gateway

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/events-platform/events-platform/internal/config"
	"github.com/events-platform/events-platform/internal/httpserver"
)

func TestRoutesToOwningService(t *testing.T) {
	var ups []Upstream
	for _, name := range routedServices() {
		_, u := startService(t, name)
		ups = append(ups, Upstream{Name: name, URL: u})
	}
	h := setup(t, config.Gateway{}, Options{Upstreams: ups})
	tests := []struct {
		path        string
		wantService string // "" means the gateway answers 404
	}{
		{"/api/v1/auth/login", "users"},
		{"/api/v1/users", "users"},
		{"/api/v1/users/17", "users"},
		{"/api/v1/users/me", "users"},
		{"/.well-known/jwks.json", "users"},
		{"/api/v1/events?limit=20&category=tech", "events"},
		{"/api/v1/events/5/registrations", "events"},
		{"/api/v1/users/me/registrations", "events"},
		{"/api/v1/users/me/favorites/5", "events"},
		{"/api/v1/search/events?q=go%20conf", "search"},
		{"/api/v1/realtime/presence/5", "realtime"},
		{"/ws", "realtime"},
		{"/api/v1/curation/featured", "curation"},
		{"/api/v1/collections", "curation"},
		{"/api/v1/collections/3", "curation"},
		{"/api/v1/recommendations/events/5/similar?limit=3", "recommendations"},
		{"/api/v1/analytics/events/5/stats", "analytics"},
		{"/api/v1/payments", ""},
		{"/api/v1/search", ""},
		{"/api/v1", ""},
		{"/wp-admin", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := h.do(http.MethodGet, tt.path, nil)
			if tt.wantService == "" {
				if res.StatusCode != http.StatusNotFound {
					t.Fatalf("status = %d, want 404", res.StatusCode)
				}
				if got := decodeError(t, res).Error.Code; got != "not_found" {
					t.Errorf("error code = %q, want not_found", got)
				}
				return
			}
			s := decodeSeen(t, res)
			path, query, _ := strings.Cut(tt.path, "?")
			if s.Service != tt.wantService || s.Path != path || s.Query != query {
				t.Errorf("reached %s at %q?%q, want %s at %q?%q", s.Service, s.Path, s.Query, tt.wantService, path, query)
			}
		})
	}
}

func TestUpstreamUnavailable(t *testing.T) {
	h := setup(t, config.Gateway{UpstreamTimeout: 3 * time.Second}, Options{Upstreams: []Upstream{
		{Name: "events", URL: closedURL(t)},
		{Name: "curation", URL: "http://curation.invalid:8080"},
		// search: neither handler nor URL, and none in config
	}})
	tests := []struct {
		name, path, wantInMessage, upstream string
	}{
		{"connection refused", "/api/v1/events", "events service is unavailable", "events"},
		{"unresolvable host", "/api/v1/collections", "curation service is unavailable", "curation"},
		{"not configured", "/api/v1/search/events", "search service is not configured", "search"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.do(http.MethodGet, tt.path, nil)
			if res.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("status = %d, want 503", res.StatusCode)
			}
			e := decodeError(t, res)
			if e.Error.Code != "unavailable" || !strings.Contains(e.Error.Message, tt.wantInMessage) {
				t.Errorf("error = %s %q, want unavailable mentioning %q", e.Error.Code, e.Error.Message, tt.wantInMessage)
			}
			if got := h.counter("gateway_upstream_requests_total", "upstream", tt.upstream, "code", "503"); got != 1 {
				t.Errorf("gateway_upstream_requests_total{upstream=%q,code=503} = %v, want 1", tt.upstream, got)
			}
		})
	}
}

// slowService answers only when its client gives up, or after a minute.
var slowService = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
		http.Error(w, "gave up", http.StatusInternalServerError)
	case <-time.After(time.Minute):
		w.WriteHeader(http.StatusOK)
	}
})

func TestUpstreamTimeout(t *testing.T) {
	tests := []struct {
		name     string
		upstream func(t *testing.T) Upstream
	}{
		{"over HTTP", func(t *testing.T) Upstream {
			ts := newHTTPTestServer(t, slowService)
			return Upstream{Name: "events", URL: ts}
		}},
		{"in process", func(t *testing.T) Upstream { return Upstream{Name: "events", Handler: slowService} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := setup(t, config.Gateway{UpstreamTimeout: 200 * time.Millisecond}, Options{Upstreams: []Upstream{tt.upstream(t)}})
			res := h.do(http.MethodGet, "/api/v1/events", nil)
			if res.StatusCode != http.StatusGatewayTimeout {
				t.Fatalf("status = %d, want 504", res.StatusCode)
			}
			e := decodeError(t, res)
			if e.Error.Code != "upstream_timeout" || !strings.Contains(e.Error.Message, "events") {
				t.Errorf("error = %s %q, want upstream_timeout naming events", e.Error.Code, e.Error.Message)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	const limit = 1024
	tests := []struct {
		name       string
		size       int
		chunked    bool
		wantStatus int
	}{
		{"declared length within limit", limit, false, http.StatusOK},
		{"streamed within limit", limit, true, http.StatusOK},
		{"declared length over limit", limit + 1, false, http.StatusRequestEntityTooLarge},
		{"streamed over limit", 4 * limit, true, http.StatusRequestEntityTooLarge},
	}
	modes := []struct {
		name     string
		upstream func(t *testing.T, f *fakeService) Upstream
	}{
		{"over HTTP", func(t *testing.T, f *fakeService) Upstream {
			return Upstream{Name: "events", URL: newHTTPTestServer(t, f)}
		}},
		{"in process", func(t *testing.T, f *fakeService) Upstream { return Upstream{Name: "events", Handler: f} }},
	}
	for _, mode := range modes {
		events := &fakeService{name: "events"}
		h := setup(t, config.Gateway{MaxBodyBytes: limit}, Options{Upstreams: []Upstream{mode.upstream(t, events)}})
		for _, tt := range tests {
			t.Run(mode.name+"/"+tt.name, func(t *testing.T) {
				before := events.hits.Load()
				var body io.Reader = bytes.NewReader(bytes.Repeat([]byte("x"), tt.size))
				if tt.chunked {
					body = struct{ io.Reader }{body} // unknown length: sent chunked
				}
				req, err := http.NewRequest(http.MethodPost, h.url+"/api/v1/events", body)
				if err != nil {
					t.Fatal(err)
				}
				if got := req.ContentLength > 0; got == tt.chunked {
					t.Fatalf("request declares length %v, want %v", got, !tt.chunked)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				if res.StatusCode != tt.wantStatus {
					b, _ := io.ReadAll(res.Body)
					t.Fatalf("status = %d, want %d; body %s", res.StatusCode, tt.wantStatus, b)
				}
				if tt.wantStatus == http.StatusOK {
					if got := decodeSeen(t, res).BodyBytes; got != tt.size {
						t.Errorf("service read %d bytes, want %d", got, tt.size)
					}
					return
				}
				if got := decodeError(t, res).Error.Code; got != "payload_too_large" {
					t.Errorf("error code = %q, want payload_too_large", got)
				}
				if !tt.chunked {
					if got := events.hits.Load() - before; got != 0 {
						t.Errorf("service reached %d times for a declared oversized body, want 0", got)
					}
				}
			})
		}
	}
}

func TestRequestIDPropagated(t *testing.T) {
	_, eventsURL := startService(t, "events")
	h := setup(t, config.Gateway{}, Options{Upstreams: []Upstream{{Name: "events", URL: eventsURL}}})
	tests := []struct {
		name, sent string
	}{
		{"client's ID kept", "trace-abc_123.4"},
		{"ID made when none sent", ""},
		{"unsafe ID replaced", "bad id\twith spaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			if tt.sent != "" {
				headers = []string{httpserver.RequestIDHeader, tt.sent}
			}
			res := h.do(http.MethodGet, "/api/v1/events", nil, headers...)
			echoed := res.Header.Get(httpserver.RequestIDHeader)
			s := decodeSeen(t, res)
			if echoed == "" || s.RequestID != echoed {
				t.Errorf("service saw request ID %q, response carries %q; want the same, non-empty", s.RequestID, echoed)
			}
			wantKept := tt.name == "client's ID kept"
			if got := echoed == tt.sent; got != wantKept {
				t.Errorf("response ID %q for sent %q: kept = %v, want %v", echoed, tt.sent, got, wantKept)
			}
		})
	}
}

// TestWebsocketPassesThrough checks that an upgrade reaches the realtime service in both
// modes and outlives the upstream timeout, which bounds only the wait for the handshake.
func TestWebsocketPassesThrough(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, msg, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, msg); err != nil {
				return
			}
		}
	})
	const timeout = 100 * time.Millisecond
	tests := []struct {
		name     string
		upstream func(t *testing.T) Upstream
	}{
		{"over HTTP", func(t *testing.T) Upstream { return Upstream{Name: "realtime", URL: newHTTPTestServer(t, echo)} }},
		{"in process", func(t *testing.T) Upstream { return Upstream{Name: "realtime", Handler: echo} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := setup(t, config.Gateway{UpstreamTimeout: timeout}, Options{Upstreams: []Upstream{tt.upstream(t)}})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(h.url, "http")+"/ws", nil)
			if err != nil {
				t.Fatalf("dial through gateway: %v", err)
			}
			defer c.CloseNow()
			for i, msg := range []string{"hello", "still here"} {
				if i > 0 {
					time.Sleep(3 * timeout) // past the upstream timeout
				}
				if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
					t.Fatalf("write %q: %v", msg, err)
				}
				_, got, err := c.Read(ctx)
				if err != nil {
					t.Fatalf("read echo of %q: %v", msg, err)
				}
				if string(got) != msg {
					t.Errorf("echo = %q, want %q", got, msg)
				}
			}
		})
	}
}

// TestForwardedFor checks the chain a service sees: extended when the peer is a trusted
// proxy, restarted when the client may have forged it.
func TestForwardedFor(t *testing.T) {
	tests := []struct {
		name     string
		trusted  []string
		want     string
		wantAddr string
	}{
		{"untrusted peer", nil, "127.0.0.1", "127.0.0.1"},
		{"trusted proxy", []string{"127.0.0.0/8"}, "6.6.6.6, 127.0.0.1", "6.6.6.6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, eventsURL := startService(t, "events")
			h := setup(t, config.Gateway{TrustedProxyCIDRs: tt.trusted}, Options{Upstreams: []Upstream{{Name: "events", URL: eventsURL}}})
			s := decodeSeen(t, h.do(http.MethodGet, "/api/v1/events", nil, "X-Forwarded-For", "6.6.6.6", "X-Client-IP", "9.9.9.9"))
			if s.Forwarded != tt.want {
				t.Errorf("service saw X-Forwarded-For %q, want %q", s.Forwarded, tt.want)
			}
			if s.ClientIP != tt.wantAddr {
				t.Errorf("service saw X-Client-IP %q, want %q (a client-sent one is replaced)", s.ClientIP, tt.wantAddr)
			}
		})
	}
}
