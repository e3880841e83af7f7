package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/httpserver"
)

const (
	// openAPIFetchTimeout bounds how long one service may take to hand over its document.
	openAPIFetchTimeout = 5 * time.Second
	// openAPIRetryAfter is how soon an aggregate missing a service is rebuilt.
	openAPIRetryAfter = 5 * time.Second
	maxOpenAPIBytes   = 16 << 20
)

// aggregate is the merged OpenAPI document and what the docs page shows of it.
type aggregate struct {
	json        []byte
	operations  []operation
	unavailable []string
}

// operation is one line of the docs page's plain listing.
type operation struct {
	Method, Path, Summary string
}

// openAPICache rebuilds the aggregate at most once per ttl. Holding the lock while building
// makes concurrent callers wait for one build instead of each asking every service.
type openAPICache struct {
	g       *Gateway
	ttl     time.Duration
	mu      sync.Mutex
	cur     *aggregate
	expires time.Time
}

func newOpenAPICache(g *Gateway, ttl time.Duration) *openAPICache {
	return &openAPICache{g: g, ttl: ttl}
}

func (c *openAPICache) get(ctx context.Context) (*aggregate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil && time.Now().Before(c.expires) {
		return c.cur, nil
	}
	// A caller that leaves must not leave a half-built document in the cache for others.
	agg, err := c.g.buildOpenAPI(context.WithoutCancel(ctx))
	if err != nil {
		return nil, err
	}
	ttl := c.ttl
	if len(agg.unavailable) > 0 {
		ttl = min(ttl, openAPIRetryAfter)
	}
	c.cur, c.expires = agg, time.Now().Add(ttl)
	return agg, nil
}

// serviceDoc is one service's OpenAPI document, or why there is none.
type serviceDoc struct {
	service string
	raw     []byte
	err     error
}

func (g *Gateway) buildOpenAPI(ctx context.Context) (*aggregate, error) {
	docs := make([]serviceDoc, len(g.order))
	var wg sync.WaitGroup
	for i, name := range g.order {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, openAPIFetchTimeout)
			defer cancel()
			raw, err := g.fetchOpenAPI(ctx, g.upstreams[name])
			docs[i] = serviceDoc{service: name, raw: raw, err: err}
		})
	}
	wg.Wait()
	for _, d := range docs {
		if d.err != nil {
			level := slog.LevelWarn
			if errors.Is(d.err, errNotConfigured) { // expected, not worth a warning each refresh
				level = slog.LevelDebug
			}
			g.log.Log(ctx, level, "leaving a service out of the OpenAPI document", "upstream", d.service, "err", d.err)
		}
	}
	doc, unavailable := mergeOpenAPI(g.version, docs)
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode OpenAPI aggregate: %w", err)
	}
	return &aggregate{json: b, operations: listOperations(doc), unavailable: unavailable}, nil
}

// fetchOpenAPI returns a service's OpenAPI JSON: from its OpenAPI function, else from
// GET /openapi.json on its in-process handler or its URL.
// errNotConfigured: the gateway knows neither a handler nor a URL for the service.
var errNotConfigured = errors.New("not configured on this gateway")

func (g *Gateway) fetchOpenAPI(ctx context.Context, u *upstream) ([]byte, error) {
	switch {
	case u.openAPI != nil:
		return u.openAPI(ctx)
	case u.handler != nil:
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/openapi.json", nil)
		if err != nil {
			return nil, err
		}
		rec := &bufferWriter{header: http.Header{}}
		u.handler.ServeHTTP(rec, req)
		if rec.status != 0 && rec.status != http.StatusOK {
			return nil, fmt.Errorf("GET /openapi.json in process: status %d", rec.status)
		}
		return rec.body.Bytes(), nil
	case u.url != nil:
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.url.JoinPath("openapi.json").String(), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		if id := httpserver.RequestID(ctx); id != "" {
			req.Header.Set(httpserver.RequestIDHeader, id)
		}
		res, err := g.transport.RoundTrip(req)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", req.URL, err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: status %d", req.URL, res.StatusCode)
		}
		b, err := io.ReadAll(io.LimitReader(res.Body, maxOpenAPIBytes))
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", req.URL, err)
		}
		return b, nil
	}
	return nil, errNotConfigured
}

// mergeOpenAPI merges the services' documents into one OpenAPI 3.1 document: paths the
// gateway routes to each service, component schemas and security schemes, and tags. A
// service whose document is missing or unreadable is named in "x-unavailable" (and
// returned). When two services define different schemas under one name, the later one's
// is renamed "<service>.<name>" and its references follow.
func mergeOpenAPI(version string, docs []serviceDoc) (map[string]any, []string) {
	paths := map[string]any{}
	schemas := map[string]any{}
	security := map[string]any{}
	var tags []any
	tagSeen := map[string]bool{}
	unavailable := []string{}
	for _, d := range docs {
		doc, err := parseOpenAPI(d)
		if err != nil {
			unavailable = append(unavailable, d.service)
			continue
		}
		components, _ := doc["components"].(map[string]any)
		theirs, _ := components["schemas"].(map[string]any)
		renames := map[string]string{}
		for name, s := range theirs {
			if ours, ok := schemas[name]; ok && !reflect.DeepEqual(ours, s) {
				renames[name] = d.service + "." + name
			}
		}
		if len(renames) > 0 {
			rewriteRefs(doc, renames)
		}
		for name, s := range theirs {
			if n, ok := renames[name]; ok {
				name = n
			}
			schemas[name] = s
		}
		if ss, ok := components["securitySchemes"].(map[string]any); ok {
			for name, s := range ss {
				if _, ok := security[name]; !ok {
					security[name] = s
				}
			}
		}
		if ps, ok := doc["paths"].(map[string]any); ok {
			for p, item := range ps {
				// Only what a client can reach through the gateway, at the service that
				// answers it.
				if ownerOf(p) == d.service {
					paths[p] = item
				}
			}
		}
		if ts, ok := doc["tags"].([]any); ok {
			for _, t := range ts {
				name, _ := t.(map[string]any)["name"].(string)
				if name != "" && !tagSeen[name] {
					tagSeen[name] = true
					tags = append(tags, t)
				}
			}
		}
	}
	out := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Events Platform API",
			"version":     version,
			"description": "Every service of the platform behind one gateway. Authenticate with `Authorization: Bearer <token>` from POST /api/v1/auth/login.",
		},
		"paths":         paths,
		"components":    map[string]any{"schemas": schemas, "securitySchemes": security},
		"x-unavailable": unavailable,
	}
	if len(tags) > 0 {
		out["tags"] = tags
	}
	return out, unavailable
}

func parseOpenAPI(d serviceDoc) (map[string]any, error) {
	if d.err != nil {
		return nil, d.err
	}
	dec := json.NewDecoder(bytes.NewReader(d.raw))
	dec.UseNumber() // keep numbers in examples and bounds exactly as the service wrote them
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode %s OpenAPI: %w", d.service, err)
	}
	if _, ok := doc["paths"].(map[string]any); !ok {
		return nil, fmt.Errorf("%s OpenAPI: no paths object", d.service)
	}
	return doc, nil
}

// rewriteRefs points every "$ref" to a renamed component schema at its new name.
func rewriteRefs(v any, renames map[string]string) {
	const prefix = "#/components/schemas/"
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if s, ok := child.(string); ok && k == "$ref" && strings.HasPrefix(s, prefix) {
				if n, ok := renames[strings.TrimPrefix(s, prefix)]; ok {
					v[k] = prefix + n
				}
				continue
			}
			rewriteRefs(child, renames)
		}
	case []any:
		for _, child := range v {
			rewriteRefs(child, renames)
		}
	}
}

// listOperations returns the document's operations sorted by path, then method.
func listOperations(doc map[string]any) []operation {
	methods := []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	paths, _ := doc["paths"].(map[string]any)
	var ops []operation
	for p, item := range paths {
		item, _ := item.(map[string]any)
		for _, m := range methods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			summary, _ := op["summary"].(string)
			ops = append(ops, operation{Method: strings.ToUpper(m), Path: p, Summary: summary})
		}
	}
	sort.SliceStable(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return slices.Index(methods, strings.ToLower(ops[i].Method)) < slices.Index(methods, strings.ToLower(ops[j].Method))
	})
	return ops
}

func (g *Gateway) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	agg, err := g.docs.get(r.Context())
	if err != nil {
		g.log.ErrorContext(r.Context(), "build OpenAPI aggregate", "err", err)
		httpapi.WriteError(w, httpapi.Internal())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=30")
	_, _ = w.Write(agg.json)
}

// bufferWriter collects an in-process response.
type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header { return b.header }

func (b *bufferWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.body.Len()+len(p) > maxOpenAPIBytes {
		return 0, errors.New("OpenAPI document too large")
	}
	return b.body.Write(p)
}
