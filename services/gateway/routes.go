package gateway

import (
	"net/http"
	"slices"
	"strings"

	"github.com/events-platform/events-platform/internal/catalog"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/httpserver"
)

// routeTable says which service owns which paths: the whole public surface, as the
// catalog lists it (internal/catalog: patterns, most specific wins, subtrees, forwarded
// unchanged). Planned services are routed too; their routes answer 503 naming the service
// until its URL is configured.
var routeTable = func() []struct{ pattern, service string } {
	var table []struct{ pattern, service string }
	for _, s := range catalog.Services() {
		for _, pattern := range s.Routes {
			table = append(table, struct{ pattern, service string }{pattern, s.Name})
		}
	}
	return table
}()

// routedServices returns the services of the route table, each once, in table order.
func routedServices() []string {
	var names []string
	for _, r := range routeTable {
		if !slices.Contains(names, r.service) {
			names = append(names, r.service)
		}
	}
	return names
}

// isRoutedService reports whether name owns at least one route.
func isRoutedService(name string) bool { return slices.Contains(routedServices(), name) }

// routes returns the gateway's mux: the route table, the gateway's own pages, and a 404
// envelope for everything else. The mux picks the route first and the middleware runs
// inside it, so requests refused by the middleware (401, 413, 429) are labelled with their
// route in metrics and logs too.
func (g *Gateway) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.Handler) {
		mux.Handle(pattern, g.cors.middleware(g.limitBody(g.authenticate(h))))
	}
	exact := map[string]bool{}
	for _, r := range routeTable {
		handle(r.pattern, g.forward(g.upstreams[r.service]))
		exact[r.pattern] = true
	}
	// A subtree pattern alone makes ServeMux redirect its bare path ("/api/v1/search" to
	// "/api/v1/search/"); that path is not part of the API, so say so instead.
	for _, r := range routeTable {
		if bare, ok := strings.CutSuffix(r.pattern, "/"); ok && !exact[bare] {
			handle(bare, http.HandlerFunc(notFound))
			exact[bare] = true
		}
	}
	handle("GET /api/v1/openapi.json", http.HandlerFunc(g.serveOpenAPI))
	handle("GET /docs", http.HandlerFunc(g.serveDocs))
	handle("GET /docs/assets/", http.HandlerFunc(serveDocsAsset))
	handle("/", http.HandlerFunc(notFound))
	return httpserver.RecordRoute(mux)
}

func notFound(w http.ResponseWriter, r *http.Request) {
	httpapi.WriteError(w, httpapi.NotFound("no route for "+r.Method+" "+r.URL.Path))
}

// ownerOf returns the service the route table sends path to, or "" for none. The aggregate
// OpenAPI document uses it to list only operations that are reachable through the gateway.
func ownerOf(path string) string {
	owner, best := "", -1
	for _, r := range routeTable {
		match := path == r.pattern || strings.HasSuffix(r.pattern, "/") && strings.HasPrefix(path, r.pattern)
		if match && len(r.pattern) > best {
			owner, best = r.service, len(r.pattern)
		}
	}
	return owner
}
