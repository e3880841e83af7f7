package gateway

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/events-platform/events-platform/internal/config"
)

func TestCORS(t *testing.T) {
	const app = "https://app.example.com"
	preflight := func(origin string) []string {
		return []string{"Origin", origin, "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "authorization, content-type"}
	}
	tests := []struct {
		name            string
		origins         []string
		dev             bool
		method          string
		headers         []string
		wantStatus      int
		wantAllowOrigin string
		wantCredentials string
		wantUpstream    bool
	}{
		{"preflight from allowed origin", []string{app}, false, http.MethodOptions, preflight(app), http.StatusNoContent, app, "true", false},
		{"preflight from other origin", []string{app}, false, http.MethodOptions, preflight("https://evil.example"), http.StatusForbidden, "", "", false},
		{"preflight from origin differing in scheme", []string{app}, false, http.MethodOptions, preflight("http://app.example.com"), http.StatusForbidden, "", "", false},
		{"request from allowed origin", []string{app}, false, http.MethodGet, []string{"Origin", app}, http.StatusOK, app, "true", true},
		{"request from other origin", []string{app}, false, http.MethodGet, []string{"Origin", "https://evil.example"}, http.StatusOK, "", "", true},
		{"request without origin", []string{app}, false, http.MethodGet, nil, http.StatusOK, "", "", true},
		{"wildcard preflight has no credentials", []string{"*"}, false, http.MethodOptions, preflight("https://any.example"), http.StatusNoContent, "*", "", false},
		// serve --dev: a front end's development server on this machine, any port.
		{"dev: preflight from localhost:5173", nil, true, http.MethodOptions, preflight("http://localhost:5173"), http.StatusNoContent, "http://localhost:5173", "true", false},
		{"dev: request from 127.0.0.1:3000", nil, true, http.MethodGet, []string{"Origin", "http://127.0.0.1:3000"}, http.StatusOK, "http://127.0.0.1:3000", "true", true},
		{"dev: configured origins still allowed", []string{app}, true, http.MethodGet, []string{"Origin", app}, http.StatusOK, app, "true", true},
		{"dev: https localhost is not the dev server", nil, true, http.MethodOptions, preflight("https://localhost:5173"), http.StatusForbidden, "", "", false},
		{"dev: a host named like localhost", nil, true, http.MethodOptions, preflight("http://localhost.evil.example:3000"), http.StatusForbidden, "", "", false},
		{"dev: localhost without a port", nil, true, http.MethodOptions, preflight("http://localhost"), http.StatusForbidden, "", "", false},
		{"not dev: localhost refused", nil, false, http.MethodOptions, preflight("http://localhost:5173"), http.StatusForbidden, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, eventsURL := startService(t, "events")
			h := setup(t, config.Gateway{CORSAllowedOrigins: tt.origins, CORSAllowLoopback: tt.dev}, Options{Upstreams: []Upstream{{Name: "events", URL: eventsURL}}})
			res := h.do(tt.method, "/api/v1/events", nil, tt.headers...)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != tt.wantAllowOrigin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.wantAllowOrigin)
			}
			if got := res.Header.Get("Access-Control-Allow-Credentials"); got != tt.wantCredentials {
				t.Errorf("Access-Control-Allow-Credentials = %q, want %q", got, tt.wantCredentials)
			}
			if !slices.Contains(res.Header.Values("Vary"), "Origin") {
				t.Errorf("Vary = %q, want it to name Origin", res.Header.Values("Vary"))
			}
			if got := events.hits.Load() > 0; got != tt.wantUpstream {
				t.Errorf("service reached = %v, want %v", got, tt.wantUpstream)
			}
			if tt.wantStatus != http.StatusNoContent {
				return
			}
			for header, want := range map[string]string{
				"Access-Control-Allow-Methods": "POST",
				"Access-Control-Allow-Headers": "Authorization",
				"Access-Control-Max-Age":       "600",
			} {
				if got := res.Header.Get(header); !strings.Contains(got, want) {
					t.Errorf("%s = %q, want it to contain %q", header, got, want)
				}
			}
		})
	}
}
