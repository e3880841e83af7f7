// Package httpserver is the HTTP server every platform process runs: sane timeouts, request
// IDs, structured access logs, panic recovery, RED metrics per route, and the /health,
// /readyz and /metrics endpoints.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server is one process's HTTP server. Routes are added to Mux before Serve.
type Server struct {
	Mux     *http.ServeMux
	log     *slog.Logger
	srv     *http.Server
	metrics *metrics
	reg     *prometheus.Registry
}

// New returns a server for the named service (or "platform" for a multi-target process).
// reg receives the HTTP metrics and is served at /metrics.
func New(log *slog.Logger, reg *prometheus.Registry, service, version string, checks []Check) *Server {
	mux := http.NewServeMux()
	s := &Server{Mux: mux, log: log, reg: reg, metrics: newMetrics(reg)}
	mux.Handle("GET /health", Health(service, version))
	mux.Handle("GET /readyz", Readiness(checks))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	s.srv = &http.Server{
		Handler:           s.Middleware(RecordRoute(mux)),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s
}

// Serve accepts connections on ln until Shutdown. It returns nil after a clean shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	return nil
}

// Shutdown stops accepting connections and waits, until ctx ends, for in-flight requests.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}
