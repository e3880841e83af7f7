package auth

import (
	"net/http"
	"strconv"

	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/httpserver"
)

// Middleware verifies a bearer token when one is present and puts the identity in the
// request context; an invalid token is a 401 even on public routes, so a client never
// silently acts anonymously. When the gateway already verified the caller in this process,
// the identity is in the context and nothing is verified twice.
func Middleware(v *Verifier) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := FromContext(r.Context()); ok {
				next.ServeHTTP(w, r)
				return
			}
			token := BearerToken(r)
			if token == "" {
				next.ServeHTTP(w, r)
				return
			}
			id, err := v.Verify(token)
			if err != nil {
				httpapi.WriteError(w, httpapi.Unauthorized("invalid or expired access token").WithHeader("WWW-Authenticate", `Bearer error="invalid_token"`))
				return
			}
			httpserver.SetUser(r.Context(), strconv.FormatInt(id.UserID, 10))
			next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
		})
	}
}

var (
	errAnonymous = httpapi.Unauthorized("authentication required").WithHeader("WWW-Authenticate", "Bearer")
	errForbidden = httpapi.Forbidden("you do not have permission to do this")
)
