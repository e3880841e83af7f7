package gateway

import (
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// CORS answers, fixed for every route: the API is the same for every origin allowed.
const (
	corsAllowMethods  = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
	corsAllowHeaders  = "Authorization, Content-Type, X-Request-ID"
	corsExposeHeaders = "X-Request-ID, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After"
	corsMaxAge        = "600"
)

// corsPolicy allows browsers on the configured origins to call the API. Origins match
// exactly. "*" allows any origin, but then without credentials: a wildcard with
// credentials would let any site act with a user's cookies. loopback (development only)
// allows http://localhost and http://127.0.0.1 on any port, as if each were listed.
type corsPolicy struct {
	origins   []string
	anyOrigin bool
	loopback  bool
}

func newCORSPolicy(origins []string, loopback bool) corsPolicy {
	p := corsPolicy{loopback: loopback}
	for _, o := range origins {
		switch o = strings.TrimSpace(o); o {
		case "":
		case "*":
			p.anyOrigin = true
		default:
			p.origins = append(p.origins, o)
		}
	}
	return p
}

// middleware sets the CORS response headers for an allowed origin and answers preflight
// requests itself, before authentication and rate limits: a preflight carries no
// credentials. Headers are set before next runs, so error envelopes (401, 429) are
// readable by the page too.
func (p corsPolicy) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		preflight := r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != ""
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		exact := slices.Contains(p.origins, origin) || p.loopback && isLoopbackOrigin(origin)
		if !exact && !p.anyOrigin {
			if preflight {
				httpapi.WriteError(w, httpapi.Forbidden("origin "+origin+" is not allowed to call this API"))
				return
			}
			// Not a browser call we vouch for: serve it without CORS headers, and the
			// browser keeps the response from the page.
			next.ServeHTTP(w, r)
			return
		}
		if exact {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
		} else {
			h.Set("Access-Control-Allow-Origin", "*")
		}
		if !preflight {
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			next.ServeHTTP(w, r)
			return
		}
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
		w.WriteHeader(http.StatusNoContent)
	})
}

// isLoopbackOrigin reports whether origin is http://localhost:<port> or
// http://127.0.0.1:<port>, the origins of a development server on this machine.
func isLoopbackOrigin(origin string) bool {
	hostPort, ok := strings.CutPrefix(origin, "http://")
	if !ok {
		return false
	}
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil || host != "localhost" && host != "127.0.0.1" {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n <= 65535 && strconv.Itoa(n) == port
}
