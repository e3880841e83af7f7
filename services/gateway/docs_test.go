package gateway

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/events-platform/events-platform/internal/config"
)

// The docs page works offline and under its strict CSP: it names no other origin, and the
// renderer's files come from the binary with their content types.
func TestDocsPageServesItsOwnAssets(t *testing.T) {
	_, eventsURL := startService(t, "events")
	h := setup(t, config.Gateway{}, Options{Upstreams: []Upstream{{Name: "events", URL: eventsURL}}})

	res := h.do(http.MethodGet, "/docs", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /docs: status = %d, want 200", res.StatusCode)
	}
	b, _ := io.ReadAll(res.Body)
	page := string(b)
	if ext := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`).FindString(page); ext != "" {
		t.Errorf("docs page references an external URL: %q", ext)
	}
	if csp := res.Header.Get("Content-Security-Policy"); strings.Contains(csp, "http") {
		t.Errorf("Content-Security-Policy = %q, want this origin only", csp)
	}

	refs := regexp.MustCompile(`(?:src|href)="(/docs/assets/[^"]+)"`).FindAllStringSubmatch(page, -1)
	want := map[string]string{
		".js":  "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8",
	}
	seen := map[string]bool{}
	for _, ref := range refs {
		path := ref[1]
		res := h.do(http.MethodGet, path, nil)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("GET %s: status = %d, %d bytes; want 200 with the file", path, res.StatusCode, len(body))
			continue
		}
		ext := path[strings.LastIndex(path, "."):]
		wantType, ok := want[ext]
		if !ok {
			wantType = "text/plain; charset=utf-8" // the license files
		}
		if got := res.Header.Get("Content-Type"); got != wantType {
			t.Errorf("GET %s: Content-Type = %q, want %q", path, got, wantType)
		}
		seen[ext] = true
		if strings.HasSuffix(path, "/LICENSE") && !strings.Contains(string(body), "Apache License") {
			t.Errorf("GET %s: not the Apache license", path)
		}
	}
	if !seen[".js"] || !seen[".css"] {
		t.Errorf("docs page references %v, want the script and the stylesheet under /docs/assets/", refs)
	}

	for _, path := range []string{"/docs/assets/elements-9.0.15/missing.js", "/docs/assets/elements-9.0.15/", "/docs/assets/other/web-components.min.js"} {
		if res := h.do(http.MethodGet, path, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status = %d, want 404", path, res.StatusCode)
		}
	}
}
