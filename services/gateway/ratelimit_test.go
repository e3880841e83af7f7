package gateway

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/config"
)

// step is one request of a rate-limit scenario and what it must get.
type step struct {
	name          string
	headers       []string
	wantStatus    int
	wantRemaining string // "" when the header must be absent
}

// runSteps sends each step in order. Limits are one request a minute or slower, so no
// bucket refills while a scenario runs, however slow the machine.
func runSteps(t *testing.T, h *harness, steps []step) {
	t.Helper()
	for i, s := range steps {
		res := h.do(http.MethodGet, "/api/v1/events", nil, s.headers...)
		if res.StatusCode != s.wantStatus {
			t.Fatalf("request %d (%s): status = %d, want %d", i+1, s.name, res.StatusCode, s.wantStatus)
		}
		if got := res.Header.Get("X-RateLimit-Remaining"); got != s.wantRemaining {
			t.Errorf("request %d (%s): X-RateLimit-Remaining = %q, want %q", i+1, s.name, got, s.wantRemaining)
		}
		if s.wantRemaining != "" {
			if got := res.Header.Get("X-RateLimit-Limit"); got == "" {
				t.Errorf("request %d (%s): no X-RateLimit-Limit", i+1, s.name)
			}
			if reset, err := strconv.Atoi(res.Header.Get("X-RateLimit-Reset")); err != nil || reset < 1 || reset > 3600 {
				t.Errorf("request %d (%s): X-RateLimit-Reset = %q, want whole seconds in [1, 3600]", i+1, s.name, res.Header.Get("X-RateLimit-Reset"))
			}
		}
		if s.wantStatus != http.StatusTooManyRequests {
			continue
		}
		retry, err := strconv.Atoi(res.Header.Get("Retry-After"))
		if err != nil || retry < 1 || retry > 3600 {
			t.Errorf("request %d (%s): Retry-After = %q, want whole seconds in [1, 3600]", i+1, s.name, res.Header.Get("Retry-After"))
		}
		if got := decodeError(t, res).Error.Code; got != "rate_limited" {
			t.Errorf("request %d (%s): error code = %q, want rate_limited", i+1, s.name, got)
		}
	}
}

func TestRateLimitPerIP(t *testing.T) {
	_, eventsURL := startService(t, "events")
	// The test client is 127.0.0.1; as a trusted proxy it lets X-Forwarded-For name
	// the client, so one test can be several clients.
	h := setup(t, config.Gateway{RateLimitPerMinute: 1, RateLimitBurst: 3, TrustedProxyCIDRs: []string{"127.0.0.1/32"}},
		Options{Upstreams: []Upstream{{Name: "events", URL: eventsURL}}})
	a := []string{"X-Forwarded-For", "203.0.113.7"}
	b := []string{"X-Forwarded-For", "198.51.100.2, 203.0.113.8"}
	runSteps(t, h, []step{
		{"client A 1", a, http.StatusOK, "2"},
		{"client A 2", a, http.StatusOK, "1"},
		{"client A 3", a, http.StatusOK, "0"},
		{"client A over the burst", a, http.StatusTooManyRequests, "0"},
		{"client B, another address", b, http.StatusOK, "2"},
		{"client A still refused", a, http.StatusTooManyRequests, "0"},
	})
	if got := h.counter("gateway_rate_limit_rejections_total", "scope", "ip"); got != 2 {
		t.Errorf("gateway_rate_limit_rejections_total{scope=ip} = %v, want 2", got)
	}
}

func TestRateLimitPerUser(t *testing.T) {
	_, eventsURL := startService(t, "events")
	h := setup(t, config.Gateway{UserRateLimit: 2}, Options{Upstreams: []Upstream{{Name: "events", URL: eventsURL}}})
	alice := []string{"Authorization", "Bearer " + h.token(auth.Identity{UserID: 1, Role: auth.RoleAttendee})}
	bob := []string{"Authorization", "Bearer " + h.token(auth.Identity{UserID: 2, Role: auth.RoleAttendee})}
	runSteps(t, h, []step{
		{"alice 1", alice, http.StatusOK, "1"},
		{"alice 2", alice, http.StatusOK, "0"},
		{"alice over her limit", alice, http.StatusTooManyRequests, "0"},
		{"bob from the same address", bob, http.StatusOK, "1"},
	})
	if got := h.counter("gateway_rate_limit_rejections_total", "scope", "user"); got != 1 {
		t.Errorf("gateway_rate_limit_rejections_total{scope=user} = %v, want 1", got)
	}
	// Anonymous requests from the same address answer to the (generous) IP limit only.
	res := h.do(http.MethodGet, "/api/v1/events", nil)
	if res.StatusCode != http.StatusOK {
		t.Errorf("anonymous: status = %d, want 200", res.StatusCode)
	}
}

// TestRefusedRequestCostsNothing checks that a request one limit refuses is not charged to
// the other: a caller over its account limit does not use up its address's allowance.
func TestRefusedRequestCostsNothing(t *testing.T) {
	_, eventsURL := startService(t, "events")
	h := setup(t, config.Gateway{RateLimitPerMinute: 1, RateLimitBurst: 3, UserRateLimit: 1},
		Options{Upstreams: []Upstream{{Name: "events", URL: eventsURL}}})
	alice := []string{"Authorization", "Bearer " + h.token(auth.Identity{UserID: 1, Role: auth.RoleAttendee})}
	runSteps(t, h, []step{
		{"alice", alice, http.StatusOK, "0"},
		{"alice over her limit", alice, http.StatusTooManyRequests, "0"},
		{"alice over her limit again", alice, http.StatusTooManyRequests, "0"},
		{"anonymous from the same address", nil, http.StatusOK, "1"},
		{"anonymous again", nil, http.StatusOK, "0"},
		{"anonymous over the address's burst", nil, http.StatusTooManyRequests, "0"},
	})
}

// TestRateLimitFailsOpen checks that a Redis outage lets requests through unlimited, with
// the same configuration that refuses them while Redis is up.
func TestRateLimitFailsOpen(t *testing.T) {
	tests := []struct {
		name       string
		redisURL   func(t *testing.T) string
		wantSecond int
		wantErrors bool
	}{
		{"redis up", func(t *testing.T) string { return "" }, http.StatusTooManyRequests, false},
		{"redis unreachable", func(t *testing.T) string { return "redis" + closedURL(t)[len("http"):] }, http.StatusOK, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, eventsURL := startService(t, "events")
			opts := Options{Upstreams: []Upstream{{Name: "events", URL: eventsURL}}}
			if u := tt.redisURL(t); u != "" {
				opts.Redis = redisClient(t, u)
			}
			h := setup(t, config.Gateway{RateLimitPerMinute: 1, RateLimitBurst: 1}, opts)
			for i, want := range []int{http.StatusOK, tt.wantSecond} {
				if res := h.do(http.MethodGet, "/api/v1/events", nil); res.StatusCode != want {
					t.Fatalf("request %d: status = %d, want %d", i+1, res.StatusCode, want)
				}
			}
			if got := h.counter("gateway_rate_limit_errors_total") > 0; got != tt.wantErrors {
				t.Errorf("gateway_rate_limit_errors_total > 0 is %v, want %v", got, tt.wantErrors)
			}
		})
	}
}
