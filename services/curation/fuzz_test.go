package curation

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/events-platform/events-platform/test/integration"
)

// The fuzz targets send query strings and bodies through the service's real handler, with
// a real database made once per target: never a 5xx, always the envelope.

func (e *env) serve(method, path, rawQuery, token string, body []byte) *httptest.ResponseRecorder {
	return integration.Serve(e.svc.Handler(), method, path, rawQuery, token, body)
}

// world is a few events, a collection and a queue to read.
type world struct {
	event, held      int64
	editor, attendee string
}

func (e *env) world() world {
	org, _ := e.user("organizer")
	_, editor := e.user("editor")
	_, attendee := e.user("attendee")
	w := world{editor: editor, attendee: attendee}
	w.event = e.event(ev{organizer: org, city: "Berlin", desc: concert})
	w.held = e.event(ev{organizer: org, city: "Berlin", moderation: "held"})
	e.exec(`INSERT INTO collections (slug, title, status, created_by) VALUES ('fuzz', 'Fuzz', 'published', $1)`, org)
	e.sync()
	return w
}

// FuzzReads: any query string on every read, signed in as an editor or an attendee, or not.
func FuzzReads(f *testing.F) {
	e := newEnv(f)
	w := e.world()
	paths := []string{"/api/v1/curation/trending", "/api/v1/curation/featured", "/api/v1/curation/picks", "/api/v1/collections",
		"/api/v1/collections/fuzz", "/api/v1/collections/none", "/api/v1/moderation/queue", fmt.Sprintf("/api/v1/moderation/events/%d", w.held)}
	for i := range paths {
		for _, q := range []string{
			"", "limit=5", "limit=0", "limit=100", "limit=101", "limit=-1", "limit=1e3", "limit=99999999999999999999",
			"city=Berlin", "city=BERLIN&category=music", "category=", "city=%00", "city=\xff", "city=" + strings.Repeat("x", 200),
			"status=draft", "status=published", "status=deleted", "cursor=abc", "cursor=eyJpZCI6MX0", "cursor=eyJ0IjoieCJ9",
			"limit=5&limit=6", "%zz",
		} {
			for who := range uint8(3) {
				f.Add(uint8(i), q, who)
			}
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, query string, who uint8) {
		token := []string{"", w.editor, w.attendee}[int(who)%3]
		rec := e.serve("GET", paths[int(which)%len(paths)], query, token, nil)
		integration.CheckEnvelope(t, rec, query)
	})
}

// FuzzWrites: any body on every write, as an editor.
func FuzzWrites(f *testing.F) {
	e := newEnv(f)
	w := e.world()
	writes := []struct{ method, path string }{
		{"POST", "/api/v1/collections"},
		{"PATCH", "/api/v1/collections/fuzz"},
		{"PUT", fmt.Sprintf("/api/v1/collections/fuzz/events/%d", w.event)},
		{"PUT", fmt.Sprintf("/api/v1/curation/picks/%d", w.event)},
		{"POST", fmt.Sprintf("/api/v1/moderation/events/%d/reject", w.held)},
		{"POST", fmt.Sprintf("/api/v1/moderation/events/%d/approve", w.event)},
	}
	for i := range writes {
		for _, b := range []string{
			`{"slug":"a-b","title":"T"}`, `{"slug":"A B","title":"T"}`, `{"slug":"fuzz","title":"T"}`, `{"title":""}`,
			`{"slug":"x","title":"t","cover_url":"javascript:x"}`, `{"slug":"x","title":"t","cover_url":"https://a.example/c.png"}`,
			`{"position":1}`, `{"position":0}`, `{"position":-3}`, `{"position":1e400}`, `{"position":"1"}`, `{"reason":"spam"}`,
			`{"reason":""}`, `{"reason":"\u0000"}`, `{"note":"ok"}`, `{"slug":"` + strings.Repeat("a", 200) + `","title":"t"}`,
			`[]`, `{}`, `null`, ``, `{`, "\xff\xfe",
		} {
			f.Add(uint8(i), []byte(b))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		wr := writes[int(which)%len(writes)]
		rec := e.serve(wr.method, wr.path, "", w.editor, body)
		integration.CheckEnvelope(t, rec, string(body))
	})
}
