package search_test

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/services/search"
	"github.com/events-platform/events-platform/test/integration"
)

// fuzzService returns the search service's handler on a new database holding a few
// dozen events of every shape search reads: words in titles, tags and descriptions,
// several cities, categories and prices, events near a pole and the antimeridian, at the
// end of the calendar in Berlin, past, drafts, private and unlisted. It runs once per
// fuzz target, outside the fuzz function.
func fuzzService(f testing.TB) http.Handler {
	f.Helper()
	db, _ := integration.Pool(f)
	ctx := context.Background()
	_, err := db.Exec(ctx, `
		WITH org AS (INSERT INTO users (email, password_hash, name, role) VALUES ('org@example.com', 'x', 'Org', 'organizer') RETURNING id)
		INSERT INTO events (title, description, category, tags, starts_at, ends_at, timezone, city, country, lat, lng, price, status, visibility, created_by, capacity)
		SELECT t.title || ' ' || g, t.description, t.category, t.tags, now() + (g || ' days')::interval * t.step, NULL, t.tz, t.city, 'XX',
			t.lat, t.lng, (g % 3) * 12.5, t.status, t.visibility, org.id, CASE WHEN g % 2 = 0 THEN 100 END
		FROM org, generate_series(1, 4) g, (VALUES
			('Tech Talks', 'Kubernetes and Go for beginners', 'technology', '{tech,go}'::text[], 1, 'Europe/Berlin', 'Berlin', 52.52, 13.405, 'published', 'public'),
			('Jazz Night', 'Live jazz by the river', 'music', '{jazz}', 2, 'Europe/Paris', 'Paris', 48.8566, 2.3522, 'published', 'public'),
			('Techno Conference', 'Electronic music all night', 'music', '{techno,dance}', 3, 'Europe/Lisbon', 'Lisbon', 38.72, -9.14, 'published', 'public'),
			('Polar Meetup', 'Ice and science', 'science', '{}', 5, 'UTC', 'Longyearbyen', 89.99, 179.99, 'published', 'public'),
			('Dateline Party', 'Across the antimeridian', 'social', '{party}', 7, 'Pacific/Kiritimati', 'Kiritimati', -0.5, -179.99, 'published', 'public'),
			('Online Workshop', 'Anywhere', 'technology', '{online,tech}', 1, 'America/New_York', '', NULL, NULL, 'published', 'public'),
			('Past Tech Talk', 'Long ago', 'technology', '{tech}', -30, 'UTC', 'Berlin', 52.52, 13.405, 'published', 'public'),
			('Draft Tech Talk', 'Not yet', 'technology', '{tech}', 1, 'UTC', 'Berlin', 52.52, 13.405, 'draft', 'public'),
			('Private Tech Dinner', 'Invitation only', 'technology', '{tech}', 1, 'UTC', 'Berlin', 52.52, 13.405, 'published', 'private'),
			('Unlisted Tech Lunch', 'By link', 'technology', '{tech}', 1, 'UTC', 'Berlin', 52.52, 13.405, 'published', 'unlisted')
		) AS t (title, description, category, tags, step, tz, city, lat, lng, status, visibility)`)
	if err != nil {
		f.Fatal(err)
	}
	// The end of the calendar: in Berlin these are in the year 10000.
	_, err = db.Exec(ctx, `UPDATE events SET timezone = 'Europe/Berlin', ends_at = '9999-12-31T23:59:59Z',
		starts_at = CASE WHEN id % 2 = 0 THEN '9999-12-31T23:30:00Z'::timestamptz ELSE starts_at END
		WHERE title LIKE 'Jazz Night%' AND starts_at > now()`)
	if err != nil {
		f.Fatal(err)
	}
	svc := search.New(search.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db,
		Verifier: auth.NewVerifier("events-platform"), Version: "test"})
	if err := svc.Sync(ctx); err != nil {
		f.Fatal(err)
	}
	// The events are there to be found, so that inputs reach the queries.
	for _, path := range []string{"/api/v1/search/events?q=tech", "/api/v1/search/suggest?q=tech"} {
		rec := httptest.NewRecorder()
		svc.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Tech Talks") {
			f.Fatalf("GET %s: got %d %s", path, rec.Code, rec.Body)
		}
	}
	return svc.Handler()
}

// cursor encodes a cursor as the service does, from its JSON.
func cursor(js string) string { return base64.RawURLEncoding.EncodeToString([]byte(js)) }

// checkAnswer sends the raw query string to path and checks the answer is not a server
// error and is the JSON envelope: success with data, or failure with an error code.
func checkAnswer(t *testing.T, h http.Handler, path, raw string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.URL.RawQuery = raw
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	integration.CheckEnvelope(t, rec, "GET "+path+"?"+raw)
}

// hostile are query strings any parameter of any route may receive.
var hostile = []string{
	"", "q=%00", "q=%FF%FE", "q=%C3", "city=%C3", "q=a%00b", "%00=1", "%FF=%FE", "q=%zz", "q=%", "q=tech&q=%00",
	"q=%E2%80%8B", "q=" + strings.Repeat("%C3%A9", 250), "q=" + strings.Repeat("a", 201), "limit=-1", "limit=0",
	"limit=99999999999999999999", "limit=1e3", "limit=0x10", "limit= 5", "q=tech;limit=5", "q=tech&limit=",
}

func FuzzSearchQuery(f *testing.F) {
	h := fuzzService(f)
	seeds := append([]string{
		"q=tech", "q=tech&limit=10", "q=jazz&limit=1", "q=techno+conference", "q=tehcno+confrence", `q="jazz+night"`, "q=-jazz",
		"q=jazz+or+techno", `q="unterminated`, "q=!", "q=:*", "q=''", "q=a|b|!c", "q=%26%7C%21%28%29", "q=100%25_",
		"sort=date", "sort=distance&lat=52.52&lng=13.405", "sort=relevance", "sort=random", "q=tech&sort=relevance&limit=1",
		"category=music", "category=music&q=jazz", "category=MUSIC&q=tech", "category=" + strings.Repeat("x", 51),
		"lat=52.52&lng=13.405&radius_km=5", "q=tech&lat=52.52&lng=13.405&radius_km=30", "q=tech&lat=52.52&lng=13.405&radius_km=500",
		"lat=90&lng=180&radius_km=20000", "lat=-90&lng=-180&radius_km=0.1", "lat=89.99&lng=179.99&radius_km=100&q=ice",
		"lat=-0.5&lng=-179.99&radius_km=50&sort=distance", "lat=1e308&lng=-1e308", "lat=NaN&lng=Inf", "lat=52&lng=13&radius_km=1e400",
		"lat=52&lng=13&radius_km=-1", "lat=52", "radius_km=10", "price_max=-1", "price_max=1e7", "price_max=0&free=true",
		"free=true", "free=maybe", "free=1", "from=2027-01-01", "to=2027-01-01", "from=9999-12-31&to=0001-01-01",
		"from=0001-01-01&to=9999-12-31", "to=9999-12-31T23:59:59Z", "from=9999-12-31T23:59:59%2B14:00",
		"from=0000-01-01T00:00:00Z", "from=2027-02-30", "from=soon", "from=2027-01-01T25:00:00Z", "to=-1",
		"cursor=!!!", "cursor=e30", "cursor=" + cursor(`{"s":"date","t":"2027-01-01T00:00:00Z","id":1}`),
		"sort=date&cursor=" + cursor(`{"s":"date","t":"9999-12-31T23:59:59Z","id":9223372036854775807}`),
		"sort=date&cursor=" + cursor(`{"s":"date","t":"0001-01-01T00:00:00Z","id":-1}`),
		"q=tech&cursor=" + cursor(`{"s":"relevance","r":3,"t":"2027-01-01T00:00:00Z","id":2}`),
		"q=tech&cursor=" + cursor(`{"s":"relevance","r":7,"t":"2027-01-01T00:00:00Z","id":2}`),
		"q=tehcno&cursor=" + cursor(`{"s":"relevance","f":true,"r":1,"t":"2027-01-01T00:00:00Z","id":2}`),
		"sort=distance&lat=52.52&lng=13.405&cursor=" + cursor(`{"s":"distance","d":1e308,"id":3}`),
		"sort=distance&lat=52.52&lng=13.405&cursor=" + cursor(`{"s":"distance","d":-5,"id":3,"x":1}`),
		"cursor=" + cursor(`{"s":"date","t":"99999-01-01T00:00:00Z","id":1}`), "cursor=" + strings.Repeat("A", 600),
	}, hostile...)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		checkAnswer(t, h, "/api/v1/search/events", raw)
	})
}

func FuzzSuggestQuery(f *testing.F) {
	h := fuzzService(f)
	seeds := append([]string{
		"q=tech", "q=Tech+T", "q=tehcno+conf", "q=berlni", "q=j&limit=20", "q=jazz&limit=1", "q=jazz&limit=21", "q=%25",
		"q=_", "q=%5C", "q=100%25_", "q=+", "q=private", "q=" + strings.Repeat("%C3%A9", 101), "q=" + strings.Repeat("z", 100),
		"limit=5", "q=tech&limit=%00",
	}, hostile...)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		checkAnswer(t, h, "/api/v1/search/suggest", raw)
	})
}
