package platform

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/catalog"
	"github.com/events-platform/events-platform/internal/httpserver"
	"github.com/events-platform/events-platform/internal/modules"
	"github.com/events-platform/events-platform/internal/natsbus"
	"github.com/events-platform/events-platform/internal/postgres"
	"github.com/events-platform/events-platform/internal/redis"
	"github.com/events-platform/events-platform/migrations"
	"github.com/events-platform/events-platform/services/analytics"
	"github.com/events-platform/events-platform/services/curation"
	"github.com/events-platform/events-platform/services/events"
	"github.com/events-platform/events-platform/services/gateway"
	"github.com/events-platform/events-platform/services/realtime"
	"github.com/events-platform/events-platform/services/recommendations"
	"github.com/events-platform/events-platform/services/search"
	"github.com/events-platform/events-platform/services/users"
)

// Module names besides the domain services, whose names come from the catalog.
const (
	Postgres = "postgres"
	Redis    = "redis"
	NATS     = "nats"
	Outbox   = "outbox"
	Keys     = "keys"
	Gateway  = catalog.Gateway
	all      = "all"
)

type initFunc = func(ctx context.Context) (stop func(context.Context) error, err error)

// registry returns the modules this build has: the shared ones, one per provided service
// of the catalog (its dependencies are the catalog's Modules) and the gateway, which
// starts after whichever services share its process so that it can route to them
// in-process. A provided service without an init function here, or one here that the
// catalog does not provide, is a programming error and panics.
func (p *process) registry() *modules.Registry {
	inits := map[string]initFunc{
		Postgres: p.initPostgres,
		Redis:    p.initRedis,
		NATS:     p.initNATS,
		Outbox:   p.initOutbox,
		Keys:     p.initKeys,
		Gateway:  p.initGateway,

		"users":     p.initUsers,
		"events":    p.initEvents,
		"search":    p.initSearch,
		"realtime":  p.initRealtime,
		"analytics": p.initAnalytics,

		"curation":        p.initCuration,
		"recommendations": p.initRecommendations,
	}
	deps := map[string][]string{
		Postgres: nil,
		Redis:    nil,
		NATS:     nil,
		Outbox:   {Postgres, NATS},
		Keys:     nil,
		Gateway:  {Redis, Keys},
	}
	for _, s := range catalog.Provided() {
		deps[s.Name] = s.Modules
		if p.runsInProcess(s.Name) {
			deps[Gateway] = append(deps[Gateway], s.Name)
		}
	}

	r := modules.NewRegistry()
	for name, init := range inits {
		d, ok := deps[name]
		if !ok {
			panic(fmt.Sprintf("platform: module %q has an init function but the catalog does not provide it", name))
		}
		_, isService := catalog.Lookup(name)
		r.Register(modules.Module{Name: name, Deps: d, Start: init, Public: isService || name == Gateway})
	}
	for name := range deps {
		if _, ok := inits[name]; !ok {
			panic(fmt.Sprintf("platform: the catalog provides %q but it has no init function", name))
		}
	}
	r.Alias(all, catalog.Targets()...)
	return r
}

func (p *process) initPostgres(ctx context.Context) (func(context.Context) error, error) {
	if err := p.cfg.Require(p.targetsLabel(","), "DATABASE_URL"); err != nil {
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

func (p *process) initRedis(ctx context.Context) (func(context.Context) error, error) {
	if err := p.cfg.Require(p.targetsLabel(","), "REDIS_URL"); err != nil {
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

func (p *process) initNATS(ctx context.Context) (func(context.Context) error, error) {
	url := p.cfg.NATSURL
	var embedded *natsserver.Server
	if url == "" {
		if !p.opts.Dev {
			return nil, p.cfg.Require(p.targetsLabel(","), "NATS_URL")
		}
		dir := filepath.Join(".local", "nats-embedded")
		var err error
		if embedded, err = natsbus.StartEmbedded(dir, -1); err != nil {
			return nil, err
		}
		url = embedded.ClientURL()
		p.log.Info("NATS_URL not set: started an embedded NATS server", "url", url, "store", dir)
	}
	bus, err := natsbus.Connect(ctx, url, "platform-"+p.targetsLabel("-"))
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

func (p *process) initOutbox(ctx context.Context) (func(context.Context) error, error) {
	relay := natsbus.NewRelay(p.db, p.bus.JS, p.log.With("module", Outbox), p.reg)
	return modules.Background(ctx, p.log, Outbox, relay), nil
}

// initKeys loads the signing key (when this process issues tokens) and the public keys
// every part verifies with.
func (p *process) initKeys(context.Context) (func(context.Context) error, error) {
	var pubs []ed25519.PublicKey
	keyFile := p.cfg.JWTPrivateKeyFile
	if keyFile == "" && p.opts.Dev {
		keyFile = filepath.Join(".local", "jwt", "signing-key.pem")
	}
	if keyFile != "" {
		var key ed25519.PrivateKey
		var err error
		if p.opts.Dev {
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
		return nil, fmt.Errorf("JWT_PUBLIC_KEYS_FILE or JWT_PRIVATE_KEY_FILE is required by target %q", p.targetsLabel(","))
	}
	p.verifier = auth.NewVerifier(p.cfg.JWTIssuer, pubs...)
	return nil, nil
}

func (p *process) initUsers(context.Context) (func(context.Context) error, error) {
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

func (p *process) initEvents(ctx context.Context) (func(context.Context) error, error) {
	svc := events.New(events.Options{Log: p.log.With("service", "events"), DB: p.db, Verifier: p.verifier, Version: p.version, TrustAfter: p.cfg.ModerationTrustAfter})
	p.services["events"] = gateway.Upstream{Name: "events", Handler: svc.Handler(), OpenAPI: svc.OpenAPI}
	return modules.Background(ctx, p.log, "events", svc), nil
}

func (p *process) initSearch(ctx context.Context) (func(context.Context) error, error) {
	// Search only reads: from a read-only replica when there is one.
	db, stop := p.db, func(context.Context) error { return nil }
	if p.cfg.DatabaseReadURL != "" {
		ro, err := postgres.Open(ctx, p.cfg.DatabaseReadURL)
		if err != nil {
			return nil, fmt.Errorf("DATABASE_READ_URL: %w", err)
		}
		if err := postgres.CheckSchema(ctx, ro, migrations.Latest()); err != nil {
			ro.Close()
			return nil, fmt.Errorf("DATABASE_READ_URL: %w", err)
		}
		db, stop = ro, func(context.Context) error { ro.Close(); return nil }
		p.checks = append(p.checks, httpserver.Check{Name: "postgres-read", Check: ro.Ping})
	}
	svc := search.New(search.Options{Log: p.log.With("service", "search"), DB: db, Verifier: p.verifier, Version: p.version})
	p.services["search"] = gateway.Upstream{Name: "search", Handler: svc.Handler(), OpenAPI: svc.OpenAPI}
	p.checks = append(p.checks, httpserver.Check{Name: "search-index", Check: svc.Ready})
	run := modules.Background(ctx, p.log, "search", svc)
	return func(ctx context.Context) error { return errors.Join(run(ctx), stop(ctx)) }, nil
}

func (p *process) initRealtime(ctx context.Context) (func(context.Context) error, error) {
	svc, err := realtime.New(realtime.Options{Log: p.log.With("service", "realtime"), DB: p.db, Bus: p.bus,
		RedisURL: p.cfg.RedisURL, Verifier: p.verifier, Version: p.version, Registry: p.reg})
	if err != nil {
		return nil, err
	}
	p.services["realtime"] = gateway.Upstream{Name: "realtime", Handler: svc.Handler(), OpenAPI: svc.OpenAPI}
	return modules.Background(ctx, p.log, "realtime", svc), nil
}

func (p *process) initAnalytics(ctx context.Context) (func(context.Context) error, error) {
	svc := analytics.New(analytics.Options{Log: p.log.With("service", "analytics"), DB: p.db, Bus: p.bus,
		Verifier: p.verifier, Version: p.version, RetentionMonths: p.cfg.AnalyticsRetentionMonths, Registry: p.reg})
	p.services["analytics"] = gateway.Upstream{Name: "analytics", Handler: svc.Handler(), OpenAPI: svc.OpenAPI}
	p.checks = append(p.checks, httpserver.Check{Name: "analytics-partitions", Check: svc.Ready})
	return modules.Background(ctx, p.log, "analytics", svc), nil
}

func (p *process) initCuration(ctx context.Context) (func(context.Context) error, error) {
	svc := curation.New(curation.Options{Log: p.log.With("service", "curation"), DB: p.db, Bus: p.bus, Verifier: p.verifier,
		Version: p.version, TrustAfter: p.cfg.ModerationTrustAfter, Registry: p.reg})
	p.services["curation"] = gateway.Upstream{Name: "curation", Handler: svc.Handler(), OpenAPI: svc.OpenAPI}
	p.checks = append(p.checks, httpserver.Check{Name: "curation-board", Check: svc.Ready})
	return modules.Background(ctx, p.log, "curation", svc), nil
}

func (p *process) initRecommendations(ctx context.Context) (func(context.Context) error, error) {
	svc := recommendations.New(recommendations.Options{Log: p.log.With("service", "recommendations"), DB: p.db, Redis: p.rdb,
		Bus: p.bus, Verifier: p.verifier, Version: p.version, Registry: p.reg})
	p.services["recommendations"] = gateway.Upstream{Name: "recommendations", Handler: svc.Handler(), OpenAPI: svc.OpenAPI}
	p.checks = append(p.checks, httpserver.Check{Name: "recommendations-catalogue", Check: svc.Ready})
	return modules.Background(ctx, p.log, "recommendations", svc), nil
}

// initGateway routes every catalog service: in-process when it runs here, else at its
// configured URL (503 naming it when there is none).
func (p *process) initGateway(context.Context) (func(context.Context) error, error) {
	var ups []gateway.Upstream
	for _, s := range catalog.Services() {
		if u, ok := p.services[s.Name]; ok {
			ups = append(ups, u)
		} else {
			ups = append(ups, gateway.Upstream{Name: s.Name, URL: p.cfg.Gateway.UpstreamURL(s.Name)})
		}
	}
	gw, err := gateway.New(gateway.Options{
		Log: p.log.With("service", Gateway), Redis: p.rdb, Verifier: p.verifier, Upstreams: ups,
		Config: p.cfg.Gateway, Registerer: p.reg, Version: p.version,
	})
	if err != nil {
		return nil, err
	}
	p.gateway = gw.Handler()
	return nil, nil
}
