package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	goredis "github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/buildinfo"
	"github.com/events-platform/events-platform/internal/config"
	"github.com/events-platform/events-platform/internal/httpserver"
	"github.com/events-platform/events-platform/internal/modules"
	"github.com/events-platform/events-platform/internal/natsbus"
	"github.com/events-platform/events-platform/internal/postgres"
	"github.com/events-platform/events-platform/internal/redis"
	"github.com/events-platform/events-platform/internal/telemetry"
	"github.com/events-platform/events-platform/migrations"
	"github.com/events-platform/events-platform/services/events"
	"github.com/events-platform/events-platform/services/gateway"
	"github.com/events-platform/events-platform/services/search"
	"github.com/events-platform/events-platform/services/users"
)

// serveOptions are the serve command's flags.
type serveOptions struct {
	targets []string
	dev     bool
	// debugAddr serves net/http/pprof when set; keep it on loopback.
	debugAddr string
}

func serveCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	var opts serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run one or more services",
		Long: "Runs the services named by --target in this process, each after the modules it depends on.\n" +
			"`all` runs the gateway and every service with one shared HTTP server.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(getenv)
			if err != nil {
				return err
			}
			return serve(cmd.Context(), cfg, opts, stdout, stderr)
		},
	}
	cmd.Flags().StringSliceVar(&opts.targets, "target", []string{"all"}, "services to run, comma-separated: all, gateway, users, events, search")
	cmd.Flags().StringVar(&opts.debugAddr, "debug-addr", "", "serve Go profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060")
	cmd.Flags().BoolVar(&opts.dev, "dev", false, "local development: create a signing key if missing, embedded NATS without NATS_URL, print URLs")
	return cmd
}

// process is what the modules of one process share.
type process struct {
	cfg      config.Config
	opts     serveOptions
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

func serve(ctx context.Context, cfg config.Config, opts serveOptions, stdout, stderr io.Writer) error {
	log, err := telemetry.NewLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return fmt.Errorf("LOG_LEVEL/LOG_FORMAT: %w", err)
	}
	redis.SetLogger(log)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	p := &process{cfg: cfg, opts: opts, log: log, reg: reg, version: buildinfo.Version, services: map[string]gateway.Upstream{}}

	mods, err := p.registry().Resolve(opts.targets)
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
	if len(opts.targets) == 1 && opts.targets[0] != "all" {
		name = opts.targets[0]
	}
	srv := httpserver.New(log, reg, name, p.version, p.checks)
	if err := p.mount(srv.Mux); err != nil {
		return errors.Join(err, running.Stop(context.WithoutCancel(ctx)))
	}
	if opts.debugAddr != "" {
		stopDebug, err := serveDebug(opts.debugAddr, log)
		if err != nil {
			return errors.Join(err, running.Stop(context.WithoutCancel(ctx)))
		}
		defer stopDebug()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())
	if opts.dev {
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

// mount puts the gateway (or the single service of a split-mode process) on the server.
func (p *process) mount(mux *http.ServeMux) error {
	if p.gateway != nil {
		mux.Handle("/", p.gateway)
		return nil
	}
	var names []string
	for n := range p.services {
		names = append(names, n)
	}
	slices.Sort(names)
	switch len(names) {
	case 0:
		return nil
	case 1:
		svc := p.services[names[0]]
		mux.Handle("/", svc.Handler)
		return nil
	}
	// Several services without a gateway: route by the gateway's table, without its
	// authentication or limits (the services check tokens themselves).
	return gateway.MountServices(mux, p.servicesList())
}

func (p *process) servicesList() []gateway.Upstream {
	var out []gateway.Upstream
	for _, u := range p.services {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b gateway.Upstream) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// serviceNames are the domain services the gateway routes to, in the order `all` starts them.
var serviceNames = []string{"users", "events", "search", "realtime", "curation", "recommendations", "analytics"}

// registry returns the modules this build knows. Services not yet built are absent: the
// gateway answers 503 for them unless their URL is configured.
func (p *process) registry() *modules.Registry {
	r := modules.NewRegistry()
	r.Register(modules.Module{Name: "postgres", Start: p.startPostgres})
	r.Register(modules.Module{Name: "redis", Start: p.startRedis})
	r.Register(modules.Module{Name: "nats", Start: p.startNATS})
	r.Register(modules.Module{Name: "outbox", Deps: []string{"postgres", "nats"}, Start: p.startOutbox})
	r.Register(modules.Module{Name: "keys", Start: p.startKeys})
	r.Register(modules.Module{Name: "users", Public: true, Deps: []string{"postgres", "redis", "outbox", "keys"}, Start: p.startUsers})
	r.Register(modules.Module{Name: "events", Public: true, Deps: []string{"postgres", "outbox", "keys"}, Start: p.startEvents})
	r.Register(modules.Module{Name: "search", Public: true, Deps: []string{"postgres", "redis", "nats", "keys"}, Start: p.startSearch})

	// The gateway starts after whichever services share its process, so it can route to
	// them in-process.
	gwDeps := []string{"redis", "keys"}
	for _, t := range p.opts.targets {
		if t == "all" {
			gwDeps = append(gwDeps, "users", "events", "search")
		} else if slices.Contains(serviceNames, t) {
			gwDeps = append(gwDeps, t)
		}
	}
	r.Register(modules.Module{Name: "gateway", Public: true, Deps: gwDeps, Start: p.startGateway})
	r.Alias("all", "users", "events", "search", "gateway")
	return r
}

func (p *process) startPostgres(ctx context.Context) (func(context.Context) error, error) {
	if err := p.cfg.Require(strings.Join(p.opts.targets, ","), "DATABASE_URL"); err != nil {
		return nil, err
	}
	db, err := postgres.Open(ctx, p.cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := postgres.CheckSchema(ctx, db, migrations.Latest()); err != nil {
		db.Close()
		return nil, err
	}
	p.db = db
	p.checks = append(p.checks, httpserver.Check{Name: "postgres", Check: db.Ping})
	return func(context.Context) error { db.Close(); return nil }, nil
}

func (p *process) startRedis(ctx context.Context) (func(context.Context) error, error) {
	if err := p.cfg.Require(strings.Join(p.opts.targets, ","), "REDIS_URL"); err != nil {
		return nil, err
	}
	rdb, err := redis.Open(ctx, p.cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	p.rdb = rdb
	breaker := redis.Guard(rdb, p.log, p.reg)
	p.checks = append(p.checks, httpserver.Check{Name: "redis", Check: breaker.Check})
	return func(context.Context) error { breaker.Close(); return rdb.Close() }, nil
}

func (p *process) startNATS(ctx context.Context) (func(context.Context) error, error) {
	url := p.cfg.NATSURL
	var embedded *natsserver.Server
	if url == "" {
		if !p.opts.dev {
			return nil, p.cfg.Require(strings.Join(p.opts.targets, ","), "NATS_URL")
		}
		dir := filepath.Join(".local", "nats-embedded")
		var err error
		if embedded, err = natsbus.StartEmbedded(dir, -1); err != nil {
			return nil, err
		}
		url = embedded.ClientURL()
		p.log.Info("NATS_URL not set: started an embedded NATS server", "url", url, "store", dir)
	}
	bus, err := natsbus.Connect(ctx, url, "platform-"+strings.Join(p.opts.targets, "-"))
	if err != nil {
		if embedded != nil {
			embedded.Shutdown()
		}
		return nil, err
	}
	p.bus = bus
	p.checks = append(p.checks, httpserver.Check{Name: "nats", Check: bus.Check})
	return func(context.Context) error {
		bus.Close()
		if embedded != nil {
			embedded.Shutdown()
		}
		return nil
	}, nil
}

func (p *process) startOutbox(ctx context.Context) (func(context.Context) error, error) {
	relay := natsbus.NewRelay(p.db, p.bus.JS, p.log.With("module", "outbox"), p.reg)
	return modules.Background(ctx, p.log, "outbox", relay), nil
}

// startKeys loads the signing key (when this process issues tokens) and the public keys
// every part verifies with.
func (p *process) startKeys(context.Context) (func(context.Context) error, error) {
	var pubs []ed25519.PublicKey
	keyFile := p.cfg.JWTPrivateKeyFile
	if keyFile == "" && p.opts.dev {
		keyFile = filepath.Join(".local", "jwt", "signing-key.pem")
	}
	if keyFile != "" {
		var key ed25519.PrivateKey
		var err error
		if p.opts.dev {
			var created bool
			key, created, err = auth.LoadOrCreatePrivateKey(keyFile)
			if created {
				p.log.Info("created a signing key for local development", "file", keyFile)
			}
		} else {
			key, err = auth.LoadPrivateKey(keyFile)
		}
		if err != nil {
			return nil, fmt.Errorf("JWT_PRIVATE_KEY_FILE: %w", err)
		}
		p.signer = auth.NewSigner(key, p.cfg.JWTIssuer, p.cfg.AccessTokenTTL)
		pubs = append(pubs, p.signer.PublicKey())
	}
	if p.cfg.JWTPublicKeysFile != "" {
		keys, err := auth.LoadPublicKeys(p.cfg.JWTPublicKeysFile)
		if err != nil {
			return nil, fmt.Errorf("JWT_PUBLIC_KEYS_FILE: %w", err)
		}
		pubs = append(pubs, keys...)
	}
	if len(pubs) == 0 {
		return nil, fmt.Errorf("JWT_PUBLIC_KEYS_FILE or JWT_PRIVATE_KEY_FILE is required by target %q", strings.Join(p.opts.targets, ","))
	}
	p.verifier = auth.NewVerifier(p.cfg.JWTIssuer, pubs...)
	return nil, nil
}

func (p *process) startUsers(context.Context) (func(context.Context) error, error) {
	if p.signer == nil {
		return nil, p.cfg.Require("users", "JWT_PRIVATE_KEY_FILE")
	}
	svc := users.New(users.Options{
		Log: p.log.With("service", "users"), DB: p.db, Redis: p.rdb, Signer: p.signer, Verifier: p.verifier,
		RefreshTokenTTL: p.cfg.RefreshTokenTTL, Version: p.version,
	})
	p.services["users"] = gateway.Upstream{Name: "users", Handler: svc.Handler(), OpenAPI: svc.OpenAPI}
	return nil, nil
}

func (p *process) startEvents(ctx context.Context) (func(context.Context) error, error) {
	svc := events.New(events.Options{Log: p.log.With("service", "events"), DB: p.db, Verifier: p.verifier, Version: p.version})
	p.services["events"] = gateway.Upstream{Name: "events", Handler: svc.Handler(), OpenAPI: svc.OpenAPI}
	return modules.Background(ctx, p.log, "events", svc), nil
}

func (p *process) startSearch(ctx context.Context) (func(context.Context) error, error) {
	svc := search.New(search.Options{Log: p.log.With("service", "search"), DB: p.db, Redis: p.rdb, JS: p.bus.JS,
		Verifier: p.verifier, Version: p.version})
	p.services["search"] = gateway.Upstream{Name: "search", Handler: svc.Handler(), OpenAPI: svc.OpenAPI}
	return modules.Background(ctx, p.log, "search", svc), nil
}

func (p *process) startGateway(context.Context) (func(context.Context) error, error) {
	var ups []gateway.Upstream
	for _, name := range serviceNames {
		if u, ok := p.services[name]; ok {
			ups = append(ups, u)
		} else {
			ups = append(ups, gateway.Upstream{Name: name, URL: p.cfg.Gateway.UpstreamURL(name)})
		}
	}
	gw, err := gateway.New(gateway.Options{
		Log: p.log.With("service", "gateway"), Redis: p.rdb, Verifier: p.verifier, Upstreams: ups,
		Config: p.cfg.Gateway, Registerer: p.reg, Version: p.version,
	})
	if err != nil {
		return nil, err
	}
	p.gateway = gw.Handler()
	return nil, nil
}

func printWelcome(w io.Writer, addr string) {
	host := addr
	if h, port, err := net.SplitHostPort(addr); err == nil && (h == "::" || h == "0.0.0.0" || h == "") {
		host = "localhost:" + port
	}
	base := "http://" + host
	fmt.Fprintf(w, `
Events Platform is running (Ctrl-C stops it).

  API       %[1]s/api/v1
  Docs      %[1]s/docs
  OpenAPI   %[1]s/api/v1/openapi.json
  Health    %[1]s/health   Ready %[1]s/readyz   Metrics %[1]s/metrics

Demo accounts (password "password123"): alice@example.com, organizer@example.com, admin@example.com

Try:
  curl -s -X POST %[1]s/api/v1/auth/login -H 'Content-Type: application/json' \
    -d '{"email":"alice@example.com","password":"password123"}'
  TOKEN=$(curl -s -X POST %[1]s/api/v1/auth/login -H 'Content-Type: application/json' \
    -d '{"email":"alice@example.com","password":"password123"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
  curl -s %[1]s/api/v1/users/me -H "Authorization: Bearer $TOKEN"
  curl -s '%[1]s/api/v1/events?limit=5&sort=popularity'
  curl -s '%[1]s/api/v1/search/events?q=jazz&limit=5'
  curl -s -X POST %[1]s/api/v1/events/1/registrations -H "Authorization: Bearer $TOKEN"
  curl -s -X POST %[1]s/api/v1/auth/register -H 'Content-Type: application/json' \
    -d '{"email":"you@example.com","password":"password123","name":"You"}'

`, base)
}
