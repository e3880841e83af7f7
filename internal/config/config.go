// Package config reads the process configuration from environment variables, once, at start.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/events-platform/events-platform/internal/catalog"
)

// Config is everything a platform process reads from its environment. Which fields are
// required depends on the targets it runs; see Require.
type Config struct {
	DatabaseURL string `env:"DATABASE_URL"`
	// DatabaseReadURL, when set, is a read-only replica the search service reads instead
	// (CloudNativePG's -ro service, say).
	DatabaseReadURL string `env:"DATABASE_READ_URL"`
	RedisURL        string `env:"REDIS_URL"`
	NATSURL         string `env:"NATS_URL"`

	HTTPAddr        string        `env:"HTTP_ADDR" envDefault:":8080"`
	LogLevel        string        `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat       string        `env:"LOG_FORMAT" envDefault:"text"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"20s"`

	// JWTPrivateKeyFile signs access tokens (users service). JWTPublicKeysFile verifies them
	// (gateway and every service); it may hold several keys during a rotation.
	JWTPrivateKeyFile string        `env:"JWT_PRIVATE_KEY_FILE"`
	JWTPublicKeysFile string        `env:"JWT_PUBLIC_KEYS_FILE"`
	JWTIssuer         string        `env:"JWT_ISSUER" envDefault:"events-platform"`
	AccessTokenTTL    time.Duration `env:"ACCESS_TOKEN_TTL" envDefault:"15m"`
	RefreshTokenTTL   time.Duration `env:"REFRESH_TOKEN_TTL" envDefault:"720h"`

	// AnalyticsRetentionMonths is how long the analytics service keeps interactions.
	AnalyticsRetentionMonths int `env:"ANALYTICS_RETENTION_MONTHS" envDefault:"13"`
	// ModerationTrustAfter is how many of an organizer's events an editor or admin must
	// have approved before the events service stops holding the organizer's publications
	// for moderation; 0 holds nobody's.
	ModerationTrustAfter int `env:"MODERATION_TRUST_AFTER" envDefault:"3"`

	Gateway Gateway
}

// Gateway configures the public entry point.
type Gateway struct {
	// URLs are the services' addresses in split mode, by service name, read from each
	// catalog service's <NAME>_URL variable (USERS_URL, EVENTS_URL...).
	URLs               map[string]string `env:"-"`
	CORSAllowedOrigins []string          `env:"CORS_ALLOWED_ORIGINS" envSeparator:","`
	RateLimitPerMinute int               `env:"RATE_LIMIT_PER_MINUTE" envDefault:"600"`
	RateLimitBurst     int               `env:"RATE_LIMIT_BURST" envDefault:"100"`
	UserRateLimit      int               `env:"USER_RATE_LIMIT_PER_MINUTE" envDefault:"1200"`
	MaxBodyBytes       int64             `env:"MAX_BODY_BYTES" envDefault:"1048576"`
	// TrustedProxyCIDRs are the ingress hops whose X-Forwarded-For names the client.
	TrustedProxyCIDRs []string      `env:"TRUSTED_PROXY_CIDRS" envSeparator:","`
	UpstreamTimeout   time.Duration `env:"UPSTREAM_TIMEOUT" envDefault:"15s"`

	// CORSAllowLoopback also allows http://localhost:<port> and http://127.0.0.1:<port>, for
	// a web front end in development; only `serve --dev` sets it, no variable does.
	CORSAllowLoopback bool `env:"-"`
}

// UpstreamURL returns the configured URL of a service, or "" when none is set.
func (g Gateway) UpstreamURL(service string) string { return g.URLs[service] }

// Load reads the configuration through getenv and validates what can be checked without
// knowing the targets. Errors name the variable at fault.
func Load(getenv func(string) string) (Config, error) {
	var cfg Config
	params, err := env.GetFieldParams(&cfg)
	if err != nil {
		return cfg, fmt.Errorf("config fields: %w", err)
	}
	vars := make(map[string]string, len(params))
	for _, p := range params {
		if v := getenv(p.Key); v != "" {
			vars[p.Key] = v
		}
	}
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: vars}); err != nil {
		return cfg, nameVariables(err)
	}
	cfg.Gateway.URLs = map[string]string{}
	for _, s := range catalog.Services() {
		if v := getenv(s.URLVar()); v != "" {
			cfg.Gateway.URLs[s.Name] = v
		}
	}
	return cfg, cfg.validate()
}

// nameVariables rewrites the parser's errors, which name struct fields, to name the
// environment variables a user sets.
func nameVariables(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return fmt.Errorf("config: %w", err)
	}
	keys := map[string]string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Type.Kind() == reflect.Struct && f.Tag.Get("env") == "" && f.Type != reflect.TypeOf(time.Time{}) {
				walk(f.Type)
				continue
			}
			keys[f.Name] = strings.Split(f.Tag.Get("env"), ",")[0]
		}
	}
	walk(reflect.TypeOf(Config{}))
	errs := make([]error, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) && keys[pe.Name] != "" {
			errs = append(errs, fmt.Errorf("%s: %w", keys[pe.Name], pe.Err))
			continue
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

func (c Config) validate() error {
	var errs []error
	urls := []struct{ name, value string }{
		{"DATABASE_URL", c.DatabaseURL}, {"DATABASE_READ_URL", c.DatabaseReadURL}, {"REDIS_URL", c.RedisURL}, {"NATS_URL", c.NATSURL},
	}
	for _, s := range catalog.Services() {
		urls = append(urls, struct{ name, value string }{s.URLVar(), c.Gateway.URLs[s.Name]})
	}
	for _, u := range urls {
		if u.value == "" {
			continue
		}
		if p, err := url.Parse(u.value); err != nil || p.Scheme == "" || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an absolute URL", u.name, u.value))
		}
	}
	switch strings.ToLower(c.LogFormat) {
	case "json", "text":
	default:
		errs = append(errs, fmt.Errorf("LOG_FORMAT: %q: want json or text", c.LogFormat))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("SHUTDOWN_TIMEOUT: must be positive"))
	}
	if c.AccessTokenTTL <= 0 || c.RefreshTokenTTL <= c.AccessTokenTTL {
		errs = append(errs, errors.New("ACCESS_TOKEN_TTL/REFRESH_TOKEN_TTL: want 0 < access < refresh"))
	}
	if c.Gateway.RateLimitPerMinute <= 0 || c.Gateway.UserRateLimit <= 0 {
		errs = append(errs, errors.New("RATE_LIMIT_PER_MINUTE/USER_RATE_LIMIT_PER_MINUTE: must be positive"))
	}
	if c.Gateway.RateLimitBurst <= 0 {
		errs = append(errs, errors.New("RATE_LIMIT_BURST: must be positive"))
	}
	if c.Gateway.MaxBodyBytes <= 0 {
		errs = append(errs, errors.New("MAX_BODY_BYTES: must be positive"))
	}
	if c.AnalyticsRetentionMonths < 1 || c.AnalyticsRetentionMonths > 120 {
		errs = append(errs, errors.New("ANALYTICS_RETENTION_MONTHS: want 1 to 120"))
	}
	if c.ModerationTrustAfter < 0 {
		errs = append(errs, errors.New("MODERATION_TRUST_AFTER: must not be negative"))
	}
	return errors.Join(errs...)
}

// Require reports an error naming each variable in names that is empty, saying which
// target needs it.
func (c Config) Require(target string, names ...string) error {
	var errs []error
	for _, n := range names {
		var v string
		switch n {
		case "DATABASE_URL":
			v = c.DatabaseURL
		case "REDIS_URL":
			v = c.RedisURL
		case "NATS_URL":
			v = c.NATSURL
		case "JWT_PRIVATE_KEY_FILE":
			v = c.JWTPrivateKeyFile
		default:
			return fmt.Errorf("config: unknown variable %s", n)
		}
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required by target %q", n, target))
		}
	}
	return errors.Join(errs...)
}
