package httpserver

import (
	"context"
	"net/http"
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
// naming each dependency's state. Error text is kept out of the body; it may name hosts.
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
		status, code := "ready", http.StatusOK
		if !ready {
			status, code = "not_ready", http.StatusServiceUnavailable
		}
		httpapi.WriteJSON(w, code, map[string]any{"status": status, "checks": results})
	})
}
