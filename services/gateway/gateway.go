// Package gateway is the platform's only public entry point. It routes /api/v1/* to the
// service that owns the path (in-process in "all" mode, over HTTP in split mode), verifies
// access tokens and passes the identity on, limits request rates per client IP and per
// user in Redis, answers CORS, bounds request bodies and upstream latency, and serves the
// aggregated OpenAPI document and a docs page.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/config"
)

// Upstream is one service the gateway routes to: in-process (Handler set, "all" mode) or
// over HTTP (URL set, split mode). With neither set, its routes answer 503 naming it.
type Upstream struct {
	Name    string       // "users", "events", ...
	Handler http.Handler // in-process
	URL     string       // e.g. http://users:8080
	// OpenAPI returns the service's OpenAPI JSON in-process. When nil the gateway asks the
	// service for /openapi.json: through Handler when set, otherwise at URL.
	OpenAPI func(ctx context.Context) ([]byte, error)
}

// Options are the gateway's dependencies.
type Options struct {
	Log      *slog.Logger
	Redis    *goredis.Client
	Verifier *auth.Verifier
	// Upstreams may name any subset of the routed services; a routed service missing here
	// uses its URL from Config, and answers 503 when that is empty too.
	Upstreams []Upstream
	Config    config.Gateway
	// KeyPrefix prefixes the rate limiter's Redis keys; default "ratelimit:".
	KeyPrefix string
	// Registerer receives the gateway's metrics; nil registers nothing.
	Registerer prometheus.Registerer
	Version    string
}

// Gateway is the public entry point. Build it with New.
type Gateway struct {
	log       *slog.Logger
	verifier  *auth.Verifier
	cfg       config.Gateway
	version   string
	upstreams map[string]*upstream
	order     []string // service names in route-table order, for stable output
	transport *http.Transport
	limiter   *limiter
	clientIP  clientIPResolver
	cors      corsPolicy
	metrics   *metrics
	docs      *openAPICache
	handler   http.Handler
}

// upstream is a routed service with its transport resolved.
type upstream struct {
	name    string
	handler http.Handler
	url     *url.URL
	proxy   *httputil.ReverseProxy
	openAPI func(ctx context.Context) ([]byte, error)
}

// New returns a gateway. It fails on a configuration it cannot serve: a missing Redis
// client or verifier, an unknown or duplicated upstream name, a bad upstream URL or
// trusted-proxy CIDR.
func New(opts Options) (*Gateway, error) {
	if opts.Redis == nil {
		return nil, errors.New("gateway: a Redis client is required for rate limits")
	}
	if opts.Verifier == nil {
		return nil, errors.New("gateway: a token verifier is required")
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := withDefaults(opts.Config)
	ips, err := newClientIPResolver(cfg.TrustedProxyCIDRs)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	prefix := opts.KeyPrefix
	if prefix == "" {
		prefix = "ratelimit:"
	}
	g := &Gateway{
		log:       log.With("component", "gateway"),
		verifier:  opts.Verifier,
		cfg:       cfg,
		version:   opts.Version,
		transport: newTransport(cfg.UpstreamTimeout),
		clientIP:  ips,
		cors:      newCORSPolicy(cfg.CORSAllowedOrigins, cfg.CORSAllowLoopback),
		metrics:   m,
	}
	g.limiter = newLimiter(opts.Redis, prefix, g.log, m)
	if err := g.resolveUpstreams(opts.Upstreams); err != nil {
		return nil, err
	}
	g.docs = newOpenAPICache(g, 30*time.Second)
	g.handler = g.routes()
	return g, nil
}

// Handler serves everything the gateway owns: /api/v1/*, /.well-known/jwks.json, /ws,
// /api/v1/openapi.json and /docs. Any other path answers a 404 envelope. It expects to
// run inside the process server's middleware, which assigns request IDs.
func (g *Gateway) Handler() http.Handler { return g.handler }

func (g *Gateway) resolveUpstreams(given []Upstream) error {
	byName := make(map[string]Upstream, len(given))
	for _, u := range given {
		if !isRoutedService(u.Name) {
			return fmt.Errorf("gateway: upstream %q is not a routed service (want one of %v)", u.Name, routedServices())
		}
		if _, dup := byName[u.Name]; dup {
			return fmt.Errorf("gateway: upstream %q given twice", u.Name)
		}
		byName[u.Name] = u
	}
	g.upstreams = make(map[string]*upstream)
	for _, name := range routedServices() {
		u := byName[name]
		if u.Handler == nil && u.URL == "" {
			u.URL = g.cfg.UpstreamURL(name)
		}
		up := &upstream{name: name, handler: u.Handler, openAPI: u.OpenAPI}
		// In-process wins when both are set: no reason to leave the process.
		if u.Handler == nil && u.URL != "" {
			target, err := url.Parse(u.URL)
			if err != nil || target.Scheme == "" || target.Host == "" {
				return fmt.Errorf("gateway: upstream %s: %q is not an absolute URL", name, u.URL)
			}
			up.url = target
			up.proxy = g.newReverseProxy(up)
		}
		g.upstreams[name] = up
		g.order = append(g.order, name)
	}
	return nil
}

// withDefaults fills zero fields with the documented defaults, so a Gateway built in code
// (tests, tools) behaves like one configured from the environment.
func withDefaults(c config.Gateway) config.Gateway {
	if c.RateLimitPerMinute <= 0 {
		c.RateLimitPerMinute = 600
	}
	if c.RateLimitBurst <= 0 {
		c.RateLimitBurst = 100
	}
	if c.UserRateLimit <= 0 {
		c.UserRateLimit = 1200
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.UpstreamTimeout <= 0 {
		c.UpstreamTimeout = 15 * time.Second
	}
	return c
}
