package gateway

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/httpserver"
)

// Headers that carry the verified caller to services. Only the gateway sets them: whatever
// a client sent under these names is dropped.
const (
	userIDHeader   = "X-User-ID"
	userRoleHeader = "X-User-Role"
	// clientIPHeader tells services the caller's address (the users service limits
	// failed logins per address); behind a proxy the peer address is the gateway's.
	clientIPHeader = "X-Client-IP"
)

// authenticate verifies a bearer token when there is one, charges the request against the
// rate limits (per client IP, and per user for a verified caller), and passes the identity
// on. Anonymous requests go through: each service decides what needs a caller. A token
// that does not verify is a 401 even on public routes, so a client never silently acts
// anonymously. The token is checked before the limits so that a caller's own limit can be
// charged in the same Redis call; a bad token is still charged to its IP first, so it
// buys no free requests.
func (g *Gateway) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stripIdentityHeaders(r.Header)

		cfg := g.cfg
		ip := g.clientIP.clientIP(r)
		if ip.IsValid() {
			r.Header.Set(clientIPHeader, ip.String())
		}
		limits := []rateLimit{perMinute("ip", rateKey(ip), cfg.RateLimitPerMinute, cfg.RateLimitBurst)}
		var (
			id     auth.Identity
			err    error
			signed bool
		)
		if token := auth.BearerToken(r); token != "" {
			id, err = g.verifier.Verify(token)
			signed = err == nil
			if signed {
				// A minute's worth of burst: the per-user limit guards an account spread
				// over many addresses; the per-IP limit already smooths bursts.
				uid := strconv.FormatInt(id.UserID, 10)
				limits = append(limits, perMinute("user", uid, cfg.UserRateLimit, cfg.UserRateLimit))
			}
		}
		if !g.rateLimit(w, r, limits) {
			return
		}
		if err != nil {
			g.log.DebugContext(r.Context(), "rejected access token",
				"request_id", httpserver.RequestID(r.Context()), "err", err)
			httpapi.WriteError(w, httpapi.Unauthorized("invalid or expired access token").
				WithHeader("WWW-Authenticate", `Bearer error="invalid_token"`))
			return
		}
		if signed {
			setIdentityHeaders(r.Header, id)
			httpserver.SetUser(r.Context(), strconv.FormatInt(id.UserID, 10))
			// In-process services trust the context; proxied ones re-verify the
			// Authorization header, which is forwarded as it came.
			r = r.WithContext(auth.WithIdentity(r.Context(), id))
		}
		next.ServeHTTP(w, r)
	})
}

// stripIdentityHeaders drops client-sent identity headers, including spellings with
// underscores that some servers treat as the same header.
func stripIdentityHeaders(h http.Header) {
	for k := range h {
		switch strings.ToLower(strings.ReplaceAll(k, "_", "-")) {
		case "x-user-id", "x-user-role", "x-client-ip":
			delete(h, k)
		}
	}
}

// setIdentityHeaders names the verified caller to a service.
func setIdentityHeaders(h http.Header, id auth.Identity) {
	h.Set(userIDHeader, strconv.FormatInt(id.UserID, 10))
	h.Set(userRoleHeader, id.Role)
}
