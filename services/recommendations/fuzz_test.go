package recommendations

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/test/integration"
)

// The fuzz targets send query strings and bodies through the service's real handler, with
// a real model and database made once per target: never a 5xx, always the envelope.

// serve sends one request to the service's handler with token (empty for anonymous).
func (e *env) serve(method, path, rawQuery, token string, body []byte) *httptest.ResponseRecorder {
	return integration.Serve(e.svc.Handler(), method, path, rawQuery, token, body)
}

// FuzzReads: any query string on every read, signed in as a user or an admin, or not.
func FuzzReads(f *testing.F) {
	e := newEnv(f)
	w := e.world()
	_, admin := e.user(auth.RoleAdmin, "")
	paths := []string{"/api/v1/recommendations/events", fmt.Sprintf("/api/v1/recommendations/events/%d/similar", w.jazz[0]),
		"/api/v1/recommendations/events/999999/similar", "/api/v1/recommendations/models"}
	for i := range paths {
		for _, q := range []string{
			"", "limit=5", "limit=0", "limit=100", "limit=101", "limit=-1", "limit=1e3", "limit=99999999999999999999",
			"algorithm=hybrid", "algorithm=content&city=Berlin", "algorithm=collaborative&category=MUSIC", "algorithm=popular&city=%00",
			"algorithm=", "algorithm=HYBRID", fmt.Sprintf("user_id=%d", w.fans[1]), "user_id=0", "user_id=-5", "user_id=abc",
			"city=" + strings.Repeat("x", 200), "category=music&category=tech", "limit=5&limit=6", "%zz", "city=\xff",
		} {
			f.Add(uint8(i), q, uint8(0))
			f.Add(uint8(i), q, uint8(1))
			f.Add(uint8(i), q, uint8(2))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, query string, who uint8) {
		token := []string{"", w.fanToken, admin}[int(who)%3]
		rec := e.serve("GET", paths[int(which)%len(paths)], query, token, nil)
		integration.CheckEnvelope(t, rec, query)
	})
}

// FuzzFeedback: any body, signed in.
func FuzzFeedback(f *testing.F) {
	e := newEnv(f)
	w := e.world()
	for _, b := range []string{
		fmt.Sprintf(`{"event_id":%d,"action":"clicked"}`, w.jazz[0]), fmt.Sprintf(`{"event_id":%d,"action":"dismissed"}`, w.code[1]),
		`{"event_id":999999,"action":"registered"}`, `{"event_id":1e400,"action":"clicked"}`, `{"event_id":-1,"action":"clicked"}`,
		`{"event_id":"1","action":"clicked"}`, `{"action":"clicked"}`, `{"event_id":1}`, `{"event_id":1,"action":"\u0000"}`,
		`{"event_id":1,"action":"clicked","extra":true}`, `[]`, `{}`, `null`, ``, `{`, "\xff\xfe",
	} {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := e.serve("POST", "/api/v1/recommendations/feedback", "", w.fanToken, body)
		integration.CheckEnvelope(t, rec, string(body))
	})
}
