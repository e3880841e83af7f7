// Package users is the users service: registration, login with rotating refresh tokens,
// profiles, roles and the public signing keys (JWKS).
package users

import (
	"context"
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

func (s *Service) routes(mux *http.ServeMux) {
	bearer := []map[string][]string{{"bearer": {}}}
	tags := []string{"auth"}
	huma.Register(s.api, huma.Operation{OperationID: "register", Method: http.MethodPost, Path: "/api/v1/auth/register",
		Summary: "Create an account", Tags: tags, DefaultStatus: http.StatusCreated}, s.handleRegister)
	huma.Register(s.api, huma.Operation{OperationID: "login", Method: http.MethodPost, Path: "/api/v1/auth/login",
		Summary: "Log in with email and password", Tags: tags}, s.handleLogin)
	huma.Register(s.api, huma.Operation{OperationID: "refresh", Method: http.MethodPost, Path: "/api/v1/auth/refresh",
		Summary: "Exchange a refresh token for a new token pair", Tags: tags}, s.handleRefresh)
	huma.Register(s.api, huma.Operation{OperationID: "logout", Method: http.MethodPost, Path: "/api/v1/auth/logout",
		Summary: "Revoke a refresh token and its family", Tags: tags}, s.handleLogout)

	tags = []string{"users"}
	huma.Register(s.api, huma.Operation{OperationID: "get-me", Method: http.MethodGet, Path: "/api/v1/users/me",
		Summary: "Your profile", Tags: tags, Security: bearer}, s.handleGetMe)
	huma.Register(s.api, huma.Operation{OperationID: "update-me", Method: http.MethodPatch, Path: "/api/v1/users/me",
		Summary: "Update your profile", Tags: tags, Security: bearer}, s.handleUpdateMe)
	huma.Register(s.api, huma.Operation{OperationID: "get-user", Method: http.MethodGet, Path: "/api/v1/users/{id}",
		Summary: "A user's public profile", Tags: tags}, s.handleGetUser)
	huma.Register(s.api, huma.Operation{OperationID: "list-users", Method: http.MethodGet, Path: "/api/v1/users",
		Summary: "List users (admin)", Tags: tags, Security: bearer}, s.handleListUsers)
	huma.Register(s.api, huma.Operation{OperationID: "set-role", Method: http.MethodPatch, Path: "/api/v1/users/{id}/role",
		Summary: "Change a user's role (admin)", Tags: tags, Security: bearer}, s.handleSetRole)

	mux.HandleFunc("GET /.well-known/jwks.json", s.handleJWKS)
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
