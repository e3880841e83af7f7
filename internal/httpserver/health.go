package httpserver

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// Check is one dependency that readiness depends on.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

// Health answers liveness: the process is up and serving.
func Health(service, version string) http.Handler {
	body := map[string]string{"status": "healthy", "service": service, "version": version}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		httpapi.WriteJSON(w, http.StatusOK, body)
	})
}

// Readiness answers 200 when every check passes within two seconds and 503 otherwise,
// naming each dependency's state and listing those down under "unavailable". Error text is kept out of the body; it may name hosts.
func Readiness(checks []Check) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		results := make(map[string]string, len(checks))
		var mu sync.Mutex
		var wg sync.WaitGroup
		ready := true
		for _, c := range checks {
			wg.Go(func() {
				state := "ok"
				if err := c.Check(ctx); err != nil {
					state = "failing"
				}
				mu.Lock()
				defer mu.Unlock()
				results[c.Name] = state
				ready = ready && state == "ok"
			})
		}
		wg.Wait()
		body := map[string]any{"status": "ready", "checks": results}
		code := http.StatusOK
		if !ready {
			var down []string
			for name, state := range results {
				if state != "ok" {
					down = append(down, name)
				}
			}
			slices.Sort(down)
			body["status"], body["unavailable"] = "not_ready", down
			code = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", httpapi.RetryAfterSeconds)
		}
		httpapi.WriteJSON(w, code, body)
	})
}
