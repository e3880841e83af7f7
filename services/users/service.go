// Package users is the users service: registration, login with rotating refresh tokens,
// profiles, roles and the public signing keys (JWKS).
package users

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/httpserver"
	"github.com/events-platform/events-platform/internal/postgres"
)

// Options are the users service's dependencies.
type Options struct {
	Log             *slog.Logger
	DB              *pgxpool.Pool
	Redis           *goredis.Client
	Signer          *auth.Signer
	Verifier        *auth.Verifier
	RefreshTokenTTL time.Duration
	Version         string
	// LoginLimits bound failed logins; zero values take the defaults.
	LoginLimits LoginLimits
	// KeyPrefix namespaces this service's Redis keys (tests share a server).
	KeyPrefix string
}

// Service serves the users API.
type Service struct {
	log        *slog.Logger
	store      *store
	signer     *auth.Signer
	verifier   *auth.Verifier
	refreshTTL time.Duration
	limiter    *loginLimiter
	api        huma.API
	handler    http.Handler
}

// New returns the users service with its routes.
func New(opts Options) *Service {
	s := &Service{
		log:        opts.Log,
		store:      &store{db: opts.DB},
		signer:     opts.Signer,
		verifier:   opts.Verifier,
		refreshTTL: opts.RefreshTokenTTL,
		limiter:    newLoginLimiter(opts.Redis, opts.KeyPrefix, opts.LoginLimits),
	}
	mux := http.NewServeMux()
	s.api = httpapi.NewAPI(mux, "Events Platform: users", opts.Version)
	s.routes(mux)
	s.handler = withClientIP(auth.Middleware(opts.Verifier)(httpserver.RecordRoute(mux)))
	return s
}

// Handler serves the service's routes (and /openapi.json).
func (s *Service) Handler() http.Handler { return s.handler }

// OpenAPI returns the service's OpenAPI document.
func (s *Service) OpenAPI(context.Context) ([]byte, error) { return s.api.OpenAPI().MarshalJSON() }

// fail maps a domain error to what the client sees, in this one place, and logs the
// unexpected ones with their cause.
func (s *Service) fail(ctx context.Context, op string, err error) error {
	var apiErr *httpapi.Error
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.Is(err, errEmailTaken):
		return httpapi.Conflict("an account with this email already exists")
	case errors.Is(err, errNotFound):
		return httpapi.NotFound("user not found")
	case errors.Is(err, errTokenReuse):
		return httpapi.Unauthorized("refresh token was already used; all sessions of this login were revoked")
	case errors.Is(err, errTokenDead):
		return httpapi.Unauthorized("refresh token is invalid, expired or revoked")
	case errors.Is(err, errAccountGone), postgres.IsMissingReference(err, "users"):
		// The caller's token (or a login racing a deletion) outlived the account.
		return httpapi.Unauthorized("your account no longer exists")
	}
	return httpapi.Fail(ctx, s.log, op, err)
}

type ctxKey struct{}

// withClientIP records the caller's client (see LoginLimits) for the login limits. The
// gateway sets X-Client-IP (dropping any the client sent); without a gateway it is the peer.
func withClientIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, err := netip.ParseAddr(r.Header.Get("X-Client-IP"))
		if err != nil {
			peer, _ := netip.ParseAddrPort(r.RemoteAddr)
			ip = peer.Addr()
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, clientKey(ip))))
	})
}

// clientKey names the client at ip: the address, or for IPv6 its /64, which one host
// usually holds whole and could rotate through.
func clientKey(ip netip.Addr) string {
	if !ip.IsValid() {
		return "unknown"
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

func clientIP(ctx context.Context) string {
	ip, _ := ctx.Value(ctxKey{}).(string)
	return ip
}
