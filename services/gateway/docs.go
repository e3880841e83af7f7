package gateway

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"path"
	"strings"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// docsAssets is Stoplight Elements' standalone bundle, served from the binary so that /docs
// works offline and under a strict CSP. The files are those of the npm package
// @stoplight/elements@9.0.15 (`npm pack`), unchanged: their SHA-384 digests are the
// integrity attributes below. The folder is named by version, so a new version is a new URL
// and the files can be cached for good.
//
//go:embed docsassets/elements-9.0.15
var docsAssets embed.FS

const docsAssetsDir = "docsassets/elements-9.0.15"

// docsAssetTypes are the content types of the bundle's files by extension; a file of any
// other extension (LICENSE) is plain text.
var docsAssetTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
}

// The docs page renders the aggregate with Stoplight Elements, served by the gateway
// itself (see docsAssets). The same page lists every operation server-side, so it is
// useful where JavaScript is off; the listing hides itself through CSS once the renderer's
// element is defined.
var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Events Platform API</title>
<link rel="stylesheet" href="/docs/assets/elements-9.0.15/styles.min.css" integrity="sha384-iVQBHadsD+eV0M5+ubRCEVXrXEBj+BqcuwjUwPoVJc0Pb1fmrhYSAhL+BFProHdV">
<script src="/docs/assets/elements-9.0.15/web-components.min.js" integrity="sha384-xjOcq9PZ/k+pGtPS/xcsCRXGjKKfTlIa4H1IYEnC+97jNa6sAMWTNrV6hY08W3GL"></script>
<style>
body { margin: 0; font-family: system-ui, sans-serif; color: #1f2328; }
elements-api:defined { display: block; height: 100vh; }
elements-api:defined + #listing { display: none; }
#listing { max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
code { font-size: .95em; }
.warn { background: #fff8c5; padding: .5rem .8rem; }
</style>
</head>
<body>
<elements-api apiDescriptionUrl="/api/v1/openapi.json" router="hash" layout="sidebar" tryItCredentialsPolicy="same-origin"></elements-api>
<main id="listing">
<h1>Events Platform API{{with .Version}} <small>{{.}}</small>{{end}}</h1>
<p>The OpenAPI 3.1 document is at <a href="/api/v1/openapi.json"><code>/api/v1/openapi.json</code></a>.
Authenticate with <code>Authorization: Bearer &lt;token&gt;</code>; get a token from <code>POST /api/v1/auth/login</code>.</p>
{{if .Unavailable}}<p class="warn">Not listed, because they did not answer: {{range $i, $s := .Unavailable}}{{if $i}}, {{end}}{{$s}}{{end}}.</p>{{end}}
<table>
<thead><tr><th>Method</th><th>Path</th><th>Summary</th></tr></thead>
<tbody>
{{range .Operations}}<tr><td><code>{{.Method}}</code></td><td><code>{{.Path}}</code></td><td>{{.Summary}}</td></tr>
{{else}}<tr><td colspan="3">No operations are available right now.</td></tr>
{{end}}</tbody>
</table>
<p><small>Rendered with Stoplight Elements 9.0.15 (<a href="/docs/assets/elements-9.0.15/LICENSE">Apache License 2.0</a>;
<a href="/docs/assets/elements-9.0.15/web-components.min.js.LICENSE.txt">bundled components' licenses</a>).</small></p>
</main>
</body>
</html>
`))

// docsCSP allows the page files and calls of this origin only.
const docsCSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
	"connect-src 'self'; img-src 'self' data:; font-src 'self' data:; " +
	"script-src 'self'; style-src 'self' 'unsafe-inline'"

// serveDocsAsset serves a file of the embedded renderer bundle (/docs/assets/<version>/<file>).
func serveDocsAsset(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/docs/assets/"+path.Base(docsAssetsDir)+"/")
	if !ok || name == "" || strings.Contains(name, "/") {
		notFound(w, r)
		return
	}
	data, err := docsAssets.ReadFile(docsAssetsDir + "/" + name)
	if err != nil {
		notFound(w, r)
		return
	}
	ct, ok := docsAssetTypes[path.Ext(name)]
	if !ok {
		ct = "text/plain; charset=utf-8"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(data)
}

func (g *Gateway) serveDocs(w http.ResponseWriter, r *http.Request) {
	agg, err := g.docs.get(r.Context())
	if err != nil {
		g.log.ErrorContext(r.Context(), "build OpenAPI aggregate", "err", err)
		httpapi.WriteError(w, httpapi.Internal())
		return
	}
	var buf bytes.Buffer
	err = docsPage.Execute(&buf, struct {
		Version     string
		Operations  []operation
		Unavailable []string
	}{g.version, agg.operations, agg.unavailable})
	if err != nil {
		g.log.ErrorContext(r.Context(), "render docs page", "err", err)
		httpapi.WriteError(w, httpapi.Internal())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(buf.Bytes())
}
