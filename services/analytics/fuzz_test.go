package analytics

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/events-platform/events-platform/test/integration"
)

// The fuzz targets send bodies and query strings through the service's real handler, on a
// real database made once per target: never a 5xx, always the envelope (or a CSV).

// serve sends one request to the service's handler with token (empty for anonymous).
func (e *env) serve(method, path, rawQuery, token string, body []byte) *httptest.ResponseRecorder {
	return integration.Serve(e.svc.Handler(), method, path, rawQuery, token, body)
}

// FuzzCapture: any batch body, signed in or not.
func FuzzCapture(f *testing.F) {
	e := newEnv(f)
	_, org := e.user("organizer", time.Time{})
	ev := e.event(org, "Berlin", "music")
	now := time.Now().UTC()
	for _, b := range []string{
		fmt.Sprintf(`{"interactions":[{"type":"view","event_id":%d,"occurred_at":%q}]}`, ev, now.Format(time.RFC3339)),
		fmt.Sprintf(`{"interactions":[{"id":"x","type":"search","occurred_at":%q,"properties":{"query":"jazz","n":[1,2,{"a":null}]}}]}`, now.Format(time.RFC3339)),
		fmt.Sprintf(`{"interactions":[{"type":"click","event_id":%d,"occurred_at":"9999-12-31T23:59:59Z","session_id":"\u0000"}]}`, ev),
		`{"interactions":[{"type":"view","event_id":1e400,"occurred_at":"0001-01-01T00:00:00Z"}]}`,
		`{"interactions":[{"type":"view","event_id":-1,"occurred_at":"2026-13-45T99:00:00Z"}]}`,
		`{"interactions":null}`, `{"interactions":{}}`, `{"interactions":[null]}`, `{"interactions":[{}]}`,
		`[]`, `{}`, `null`, ``, `{`, "\xff\xfe", `{"interactions":[` + strings.Repeat(`{"type":"view"},`, 50) + `{}]}`,
	} {
		f.Add([]byte(b), true)
		f.Add([]byte(b), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, signedIn bool) {
		token := ""
		if signedIn {
			token = org
		}
		rec := e.serve("POST", "/api/v1/analytics/interactions", "", token, body)
		integration.CheckEnvelope(t, rec, string(body))
	})
}

// FuzzReads: any query string on every read, as an admin (who may read everything).
func FuzzReads(f *testing.F) {
	e := newEnv(f)
	_, admin := e.user("admin", time.Time{})
	ev := e.event(admin, "Berlin", "music")
	paths := []string{
		fmt.Sprintf("/api/v1/analytics/events/%d/stats", ev), fmt.Sprintf("/api/v1/analytics/events/%d/stats.csv", ev),
		"/api/v1/analytics/organizers/me/overview", "/api/v1/analytics/organizers/me/overview.csv",
		"/api/v1/analytics/overview", "/api/v1/analytics/funnel", "/api/v1/analytics/retention",
	}
	for i := range paths {
		for _, q := range []string{
			"", "from=2026-01-01&to=2026-02-01", "from=2026-02-01&to=2026-01-01", "interval=hour", "interval=week&from=2020-01-01",
			"from=0001-01-01&to=0001-01-02", "from=9999-12-30&to=9999-12-31", "from=2026-01-01T00:00:00%2B14:00&to=2026-01-01T00:00:00-12:00",
			"steps=view,favorite,register", "steps=view,,register", "steps=" + strings.Repeat("view,", 10), "steps=view,register&event_id=-1",
			fmt.Sprintf("steps=view,register&event_id=%d", ev), "cohort=month&from=2025-01-01", "limit=0", "limit=100000", "top=-1",
			"from=%00", "to=2026-02-30", "from=x&to=y&interval=z", "event_id=99999999999999999999",
		} {
			f.Add(uint8(i), q)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, query string) {
		path := paths[int(which)%len(paths)]
		rec := e.serve("GET", path, query, admin, nil)
		integration.CheckEnvelope(t, rec, path+"?"+query)
	})
}
