// Package platform wires the modules of a `platform serve` process together, as Grafana
// Mimir's pkg/mimir does: modules.go has one init<Name> per module and one dependency map;
// Serve resolves the targets, starts their modules after their dependencies, serves HTTP
// and stops everything in reverse. Which domain services exist comes from the catalog
// (internal/catalog); cmd/platform only parses flags and calls Serve.
package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	goredis "github.com/redis/go-redis/v9"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/buildinfo"
	"github.com/events-platform/events-platform/internal/catalog"
	"github.com/events-platform/events-platform/internal/config"
	"github.com/events-platform/events-platform/internal/httpserver"
	"github.com/events-platform/events-platform/internal/modules"
	"github.com/events-platform/events-platform/internal/natsbus"
	"github.com/events-platform/events-platform/internal/redis"
	"github.com/events-platform/events-platform/internal/telemetry"
	"github.com/events-platform/events-platform/services/gateway"
)

// Options are the serve command's flags.
type Options struct {
	// Targets are the modules to run: service names, gateway, or all.
	Targets []string
	// Dev is local development: create a signing key if missing, embedded NATS without
	// NATS_URL, print URLs.
	Dev bool
	// DebugAddr serves net/http/pprof when set; keep it on loopback.
	DebugAddr string
}

// Targets returns the names `serve --target` accepts, sorted: every provided service of
// the catalog, the gateway and all.
func Targets() []string { return (&process{}).registry().Targets() }

// process is what the modules of one process share. The init functions fill it in
// dependency order.
type process struct {
	cfg      config.Config
	opts     Options
	log      *slog.Logger
	reg      *prometheus.Registry
	version  string
	db       *pgxpool.Pool
	rdb      *goredis.Client
	bus      *natsbus.Bus
	signer   *auth.Signer
	verifier *auth.Verifier
	checks   []httpserver.Check
	// services are the in-process services by name, for the gateway or the server.
	services map[string]gateway.Upstream
	gateway  http.Handler
}

// Serve runs opts.Targets until ctx ends, then drains requests and stops the modules.
func Serve(ctx context.Context, cfg config.Config, opts Options, stdout, stderr io.Writer) error {
	log, err := telemetry.NewLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return fmt.Errorf("LOG_LEVEL/LOG_FORMAT: %w", err)
	}
	redis.SetLogger(log)
	if opts.Dev {
		cfg.Gateway.CORSAllowLoopback = true
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	p := &process{cfg: cfg, opts: opts, log: log, reg: reg, version: buildinfo.Version, services: map[string]gateway.Upstream{}}

	mods, err := p.registry().Resolve(opts.Targets)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	defer ln.Close()

	running, err := modules.Start(ctx, mods)
	if err != nil {
		return err
	}
	log.Info("modules started", "modules", running.Names(), "version", p.version)

	name := "platform"
	if len(opts.Targets) == 1 && opts.Targets[0] != all {
		name = opts.Targets[0]
	}
	srv := httpserver.New(log, reg, name, p.version, p.checks)
	if err := p.mount(srv.Mux); err != nil {
		return errors.Join(err, running.Stop(context.WithoutCancel(ctx)))
	}
	if opts.DebugAddr != "" {
		stopDebug, err := serveDebug(opts.DebugAddr, log)
		if err != nil {
			return errors.Join(err, running.Stop(context.WithoutCancel(ctx)))
		}
		defer stopDebug()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())
	if opts.Dev {
		printWelcome(stdout, ln.Addr().String())
	}

	select {
	case <-ctx.Done():
		log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	case err = <-serveErr:
		log.Error("server stopped", "err", err)
	}
	// Stop accepting and drain in-flight requests, then stop modules in reverse order.
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	errs := []error{err}
	if err := srv.Shutdown(shutCtx); err != nil {
		errs = append(errs, err)
	}
	if err := running.Stop(shutCtx); err != nil {
		errs = append(errs, err)
	}
	log.Info("stopped")
	return errors.Join(errs...)
}

// mount puts the gateway (or the services of a process without one) on the server.
func (p *process) mount(mux *http.ServeMux) error {
	if p.gateway != nil {
		mux.Handle("/", p.gateway)
		return nil
	}
	var ups []gateway.Upstream
	for _, name := range catalog.ProvidedNames() {
		if u, ok := p.services[name]; ok {
			ups = append(ups, u)
		}
	}
	switch len(ups) {
	case 0:
		return nil
	case 1:
		mux.Handle("/", ups[0].Handler)
		return nil
	}
	// Several services without a gateway: route by the gateway's table, without its
	// authentication or limits (the services check tokens themselves).
	return gateway.MountServices(mux, ups)
}

// targetsLabel names the process's targets in errors and client names.
func (p *process) targetsLabel(sep string) string { return strings.Join(p.opts.Targets, sep) }

// runsInProcess reports whether the named service runs in this process, so that the
// gateway starts after it and routes to it in-process.
func (p *process) runsInProcess(name string) bool {
	return slices.Contains(p.opts.Targets, all) || slices.Contains(p.opts.Targets, name)
}
