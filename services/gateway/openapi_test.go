package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/events-platform/events-platform/internal/config"
)

const usersDoc = `{
  "openapi": "3.1.0", "info": {"title": "users", "version": "1"},
  "tags": [{"name": "auth"}],
  "paths": {
    "/api/v1/auth/login": {"post": {"summary": "Log in", "responses": {"200": {"description": "ok",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Token"}}}}}}},
    "/internal/debug": {"get": {"summary": "Not routed by the gateway"}}
  },
  "components": {
    "schemas": {
      "Token": {"type": "object", "properties": {"token": {"type": "string"}}},
      "Error": {"type": "object", "properties": {"code": {"type": "string"}}},
      "Event": {"type": "object", "description": "the users service's idea of an event"}
    },
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
  }
}`

const eventsDoc = `{
  "openapi": "3.1.0", "info": {"title": "events", "version": "1"},
  "tags": [{"name": "events"}, {"name": "auth"}],
  "paths": {
    "/api/v1/events": {"get": {"summary": "List events", "responses": {"200": {"description": "ok",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Event"}}}}}}},
    "/api/v1/events/{id}": {"get": {"summary": "Get an event"}, "delete": {"summary": "Delete an event"}}
  },
  "components": {
    "schemas": {
      "Error": {"type": "object", "properties": {"code": {"type": "string"}}},
      "Event": {"type": "object", "properties": {"id": {"type": "integer", "maximum": 9007199254740993}}}
    }
  }
}`

const recommendationsDoc = `{
  "openapi": "3.1.0", "info": {"title": "recommendations", "version": "1"},
  "paths": {"/api/v1/recommendations/events": {"get": {"summary": "Recommend events"}}}
}`

func TestOpenAPIAggregate(t *testing.T) {
	var usersFetches atomic.Int64
	usersURL := newHTTPTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/openapi.json" {
			http.NotFound(w, r)
			return
		}
		usersFetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, usersDoc)
	}))
	recommendations := http.NewServeMux()
	recommendations.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, recommendationsDoc)
	})
	h := setup(t, config.Gateway{}, Options{Upstreams: []Upstream{
		{Name: "users", URL: usersURL},
		{Name: "events", Handler: http.NotFoundHandler(), OpenAPI: func(context.Context) ([]byte, error) { return []byte(eventsDoc), nil }},
		{Name: "search", Handler: http.NotFoundHandler(), OpenAPI: func(context.Context) ([]byte, error) { return nil, errors.New("index not ready") }},
		{Name: "recommendations", Handler: recommendations},
	}})

	res := h.do(http.MethodGet, "/api/v1/openapi.json", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", res.StatusCode)
	}
	raw, _ := io.ReadAll(res.Body)
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas         map[string]any `json:"schemas"`
			SecuritySchemes map[string]any `json:"securitySchemes"`
		} `json:"components"`
		Tags        []struct{ Name string } `json:"tags"`
		Unavailable []string                `json:"x-unavailable"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("decode aggregate: %v; body %s", err, raw)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}

	t.Run("paths", func(t *testing.T) {
		for path, want := range map[string]bool{
			"/api/v1/auth/login":             true,
			"/api/v1/events":                 true,
			"/api/v1/events/{id}":            true,
			"/api/v1/recommendations/events": true,
			"/internal/debug":                false, // not routed: not reachable through the gateway
		} {
			if _, got := doc.Paths[path]; got != want {
				t.Errorf("path %s present = %v, want %v", path, got, want)
			}
		}
	})
	t.Run("components", func(t *testing.T) {
		for name, want := range map[string]bool{"Token": true, "Error": true, "Event": true, "events.Event": true} {
			if _, got := doc.Components.Schemas[name]; got != want {
				t.Errorf("schema %s present = %v, want %v", name, got, want)
			}
		}
		ref := doc.Paths["/api/v1/events"]["get"]["responses"].(map[string]any)["200"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["$ref"]
		if want := "#/components/schemas/events.Event"; ref != want {
			t.Errorf("events' reference to its Event = %v, want %s (renamed: users defines another Event)", ref, want)
		}
		if !strings.Contains(string(raw), "9007199254740993") {
			t.Error("a large integer in a schema was not kept exactly")
		}
		if _, ok := doc.Components.SecuritySchemes["bearer"]; !ok {
			t.Errorf("securitySchemes = %v, want bearer", doc.Components.SecuritySchemes)
		}
		var tags []string
		for _, tg := range doc.Tags {
			tags = append(tags, tg.Name)
		}
		if want := []string{"auth", "events"}; !slices.Equal(tags, want) {
			t.Errorf("tags = %v, want %v", tags, want)
		}
	})
	t.Run("unavailable", func(t *testing.T) {
		for service, want := range map[string]bool{"search": true, "analytics": true, "users": false, "events": false, "recommendations": false} {
			if got := slices.Contains(doc.Unavailable, service); got != want {
				t.Errorf("x-unavailable %v contains %s = %v, want %v", doc.Unavailable, service, got, want)
			}
		}
	})
	t.Run("cached", func(t *testing.T) {
		if res := h.do(http.MethodGet, "/api/v1/openapi.json", nil); res.StatusCode != http.StatusOK {
			t.Fatalf("second fetch: status = %d, want 200", res.StatusCode)
		}
		if got := usersFetches.Load(); got != 1 {
			t.Errorf("users document fetched %d times for two requests, want 1", got)
		}
	})
	t.Run("docs page", func(t *testing.T) {
		res := h.do(http.MethodGet, "/docs", nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, want 200", res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("Content-Type = %q, want text/html", ct)
		}
		b, _ := io.ReadAll(res.Body)
		page := string(b)
		for _, want := range []string{
			`<code>POST</code></td><td><code>/api/v1/auth/login</code></td><td>Log in</td>`, // plain listing, no JS needed
			`<code>DELETE</code></td><td><code>/api/v1/events/{id}</code>`,
			`apiDescriptionUrl="/api/v1/openapi.json"`,
			"search",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("docs page lacks %q", want)
			}
		}
		if strings.Contains(page, "/internal/debug") {
			t.Error("docs page lists an unrouted path")
		}
	})
}
