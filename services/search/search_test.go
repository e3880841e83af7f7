package search_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/services/search"
	"github.com/events-platform/events-platform/test/integration"
)

type env struct {
	t     *testing.T
	db    *pgxpool.Pool
	svc   *search.Service
	srv   *httptest.Server
	org   int64
	opts  search.Options
	start time.Time
}

func newEnv(t *testing.T, mod ...func(*search.Options)) *env {
	t.Helper()
	db, _ := integration.Pool(t)
	opts := search.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db,
		Verifier: auth.NewVerifier("events-platform"), Version: "test"}
	for _, m := range mod {
		m(&opts)
	}
	svc := search.New(opts)
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	e := &env{t: t, db: db, svc: svc, srv: srv, opts: opts, start: time.Now().Add(24 * time.Hour).Truncate(time.Hour)}
	if err := db.QueryRow(context.Background(), `INSERT INTO users (email, password_hash, name, role) VALUES ('org@example.com', 'x', 'Org', 'organizer') RETURNING id`).Scan(&e.org); err != nil {
		t.Fatal(err)
	}
	return e
}

// ev is an event to insert; zero fields take defaults.
type ev struct {
	title, description, category, city string
	tags                               []string
	days                               int // from tomorrow
	lat, lng                           float64
	price                              float64
	status                             string
}

var coords = map[string][2]float64{"Berlin": {52.52, 13.405}, "Potsdam": {52.39, 13.06}, "Paris": {48.8566, 2.3522}, "Lisbon": {38.72, -9.14}}

func (e *env) insert(evs ...ev) []int64 {
	e.t.Helper()
	var ids []int64
	for _, x := range evs {
		if x.category == "" {
			x.category = "technology"
		}
		if x.city == "" {
			x.city = "Berlin"
		}
		if x.status == "" {
			x.status = "published"
		}
		if x.tags == nil {
			x.tags = []string{}
		}
		c := coords[x.city]
		var id int64
		err := e.db.QueryRow(context.Background(), `
			INSERT INTO events (title, description, category, tags, starts_at, city, country, lat, lng, price, status, created_by, capacity)
			VALUES ($1, $2, $3, $4, $5, $6, 'XX', $7, $8, $9, $10, $11, 100) RETURNING id`,
			x.title, x.description, x.category, x.tags, e.start.Add(time.Duration(x.days)*24*time.Hour), x.city, c[0], c[1], x.price, x.status, e.org).Scan(&id)
		if err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

type result struct {
	ID         int64    `json:"id"`
	Title      string   `json:"title"`
	Category   string   `json:"category"`
	DistanceKm *float64 `json:"distance_km"`
	Highlights struct {
		Title   string `json:"title"`
		Snippet string `json:"snippet"`
	} `json:"highlights"`
}

type response struct {
	Status int
	Header http.Header
	Raw    string
	Data   []result `json:"data"`
	Match  string   `json:"match"`
	Query  string   `json:"query"`
	Total  *int     `json:"total"`
	Rel    string   `json:"total_relation"`
	Facets *struct {
		Category []struct {
			Value string
			Count int
		} `json:"category"`
		Date []struct {
			Value string
			Count int
		} `json:"date"`
	} `json:"facets"`
	Page struct {
		NextCursor string `json:"next_cursor"`
	} `json:"page"`
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"details"`
	} `json:"error"`
}

// get answers a request once the index has read every change: the index follows the
// events table a moment behind (TestTheIndexFollowsTheEvents), and a test's writes must be
// searchable at once.
func (e *env) get(path string, q url.Values) response {
	e.t.Helper()
	if err := e.svc.Sync(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	res, err := http.Get(e.srv.URL + path + "?" + q.Encode())
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		e.t.Fatalf("GET %s: not JSON: %s", path, raw)
	}
	r.Status, r.Header, r.Raw = res.StatusCode, res.Header, string(raw)
	return r
}

func (e *env) search(kv ...string) response {
	e.t.Helper()
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	r := e.get("/api/v1/search/events", q)
	if r.Status != http.StatusOK {
		e.t.Fatalf("search %v: got %d %s", kv, r.Status, r.Raw)
	}
	return r
}

func titles(rs []result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Title)
	}
	return out
}

func TestRelevanceFiltersAndGeo(t *testing.T) {
	e := newEnv(t)
	e.insert(
		ev{title: "Cloud Native Day", description: "Talks on kubernetes operators and more", city: "Paris"},
		ev{title: "Kubernetes Workshop", description: "Hands-on", days: 3},
		ev{title: "Platform Meetup", tags: []string{"kubernetes"}, days: 1, city: "Potsdam"},
		ev{title: "Techno Conference", description: "Electronic music", category: "music", days: 40, city: "Lisbon", price: 25},
		ev{title: "Jazz Night", category: "music", days: 2, price: 0},
		ev{title: "Kubernetes Draft", status: "draft"},
		ev{title: "Kubernetes Cancelled", status: "cancelled"},
	)
	// Title (A) beats tags (B) beats description (C); drafts and cancelled events never show.
	r := e.search("q", "kubernetes")
	if got := titles(r.Data); !slices.Equal(got, []string{"Kubernetes Workshop", "Platform Meetup", "Cloud Native Day"}) || r.Match != "fulltext" {
		t.Errorf("kubernetes: got %v (%s)", got, r.Match)
	}
	if r.Total == nil || *r.Total != 3 || r.Rel != "eq" || r.Facets == nil || len(r.Facets.Category) != 1 || r.Facets.Category[0].Count != 3 {
		t.Errorf("kubernetes facets: got total %v, %s", r.Total, r.Raw)
	}
	if !strings.Contains(r.Data[0].Highlights.Title, "<mark>Kubernetes</mark>") || !strings.Contains(r.Data[2].Highlights.Snippet, "<mark>kubernetes</mark>") {
		t.Errorf("highlights: got %+v / %+v", r.Data[0].Highlights, r.Data[2].Highlights)
	}

	tests := []struct {
		name string
		kv   []string
		want []string
	}{
		{"typo", []string{"q", "techno confrence"}, []string{"Techno Conference"}},
		{"category", []string{"category", "music"}, []string{"Jazz Night", "Techno Conference"}},
		{"text and category", []string{"q", "kubernetes", "category", "music"}, nil},
		{"date range", []string{"from", e.start.Add(24 * time.Hour).Format(time.RFC3339), "to", e.start.Add(3 * 24 * time.Hour).Format(time.RFC3339)}, []string{"Platform Meetup", "Jazz Night"}},
		{"radius around Berlin", []string{"lat", "52.52", "lng", "13.405", "radius_km", "50", "sort", "date"}, []string{"Platform Meetup", "Jazz Night", "Kubernetes Workshop"}},
		{"text within a radius", []string{"q", "kubernetes", "lat", "48.85", "lng", "2.35", "radius_km", "20"}, []string{"Cloud Native Day"}},
		{"free only", []string{"free", "true", "category", "music"}, []string{"Jazz Night"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := titles(e.search(tc.kv...).Data); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	// Coordinates without a radius only add the distance.
	r = e.search("q", "kubernetes", "lat", "52.52", "lng", "13.405")
	if got := titles(r.Data); !slices.Equal(got, []string{"Kubernetes Workshop", "Platform Meetup", "Cloud Native Day"}) ||
		r.Data[0].DistanceKm == nil || *r.Data[0].DistanceKm > 1 || r.Data[2].DistanceKm == nil || *r.Data[2].DistanceKm < 800 {
		t.Errorf("kubernetes with coordinates: got %s", r.Raw)
	}
	// A radius larger than a city's is walked in date order, not read at once.
	if got := titles(e.search("q", "kubernetes", "lat", "52.52", "lng", "13.405", "radius_km", "500").Data); !slices.Equal(got, []string{"Kubernetes Workshop", "Platform Meetup"}) {
		t.Errorf("kubernetes within 500 km: got %v", got)
	}
	r = e.search("lat", "52.52", "lng", "13.405", "radius_km", "50", "sort", "distance")
	if len(r.Data) != 3 || r.Data[len(r.Data)-1].Title != "Platform Meetup" || *r.Data[0].DistanceKm > 1 || *r.Data[2].DistanceKm < 15 || *r.Data[2].DistanceKm > 40 {
		t.Errorf("distance order: got %s", r.Raw)
	}
	if r := e.search("q", "techno confrence"); r.Match != "fuzzy" {
		t.Errorf("typo match mode: got %q", r.Match)
	}
}

func TestPaginationIsStableWithoutDuplicatesOrGaps(t *testing.T) {
	e := newEnv(t)
	var evs []ev
	for i := range 23 {
		// Scores tie in groups, so the id decides within a group.
		desc := strings.Repeat("jazz ", 1+i%3)
		evs = append(evs, ev{title: fmt.Sprintf("Evening %02d", i), description: desc, tags: []string{"live"}, days: i % 5,
			city: []string{"Berlin", "Potsdam"}[i%2]})
	}
	e.insert(evs...)
	for _, sort := range [][]string{{"q", "jazz"}, {"sort", "date"}, {"sort", "distance", "lat", "52.52", "lng", "13.405"}} {
		t.Run(sort[1], func(t *testing.T) {
			all := e.search(append(sort, "limit", "100")...)
			if len(all.Data) != 23 {
				t.Fatalf("one page: got %d results", len(all.Data))
			}
			var paged []int64
			cursor := ""
			for range 20 {
				kv := append(slices.Clone(sort), "limit", "4")
				if cursor != "" {
					kv = append(kv, "cursor", cursor)
				}
				r := e.search(kv...)
				for _, x := range r.Data {
					paged = append(paged, x.ID)
				}
				if cursor == "" && r.Facets == nil || cursor != "" && r.Facets != nil {
					t.Errorf("facets belong on the first page only")
				}
				if cursor = r.Page.NextCursor; cursor == "" {
					break
				}
			}
			var want []int64
			for _, x := range all.Data {
				want = append(want, x.ID)
			}
			if !slices.Equal(paged, want) {
				t.Errorf("pages of 4: got %v, want %v", paged, want)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	e.insert(ev{title: "Jazz Night"}, ev{title: "Jazz Brunch"})
	cursor := e.search("sort", "date", "limit", "1").Page.NextCursor
	tests := []struct {
		name  string
		path  string
		kv    []string
		field string
		msg   string
	}{
		{"unknown sort", "", []string{"sort", "random"}, "sort", "sort must be relevance, date or distance"},
		{"radius without coordinates", "", []string{"radius_km", "10"}, "radius_km", "needs lat and lng"},
		{"lat without lng", "", []string{"lat", "52.5"}, "lat", "together"},
		{"lat out of range", "", []string{"lat", "95", "lng", "0"}, "lat", "-90 to 90"},
		{"lat not a number", "", []string{"lat", "north", "lng", "0"}, "lat", "number"},
		{"distance without coordinates", "", []string{"sort", "distance"}, "sort", "lat and lng"},
		{"relevance without q", "", []string{"sort", "relevance"}, "sort", "needs q"},
		{"limit 10000", "", []string{"limit", "10000"}, "limit", "limit must be a whole number from 1 to 100"},
		{"limit 0", "", []string{"limit", "0"}, "limit", "from 1 to 100"},
		{"negative limit", "", []string{"limit", "-5"}, "limit", "from 1 to 100"},
		{"limit not a number", "", []string{"limit", "ten"}, "limit", "from 1 to 100"},
		{"limit beyond int64", "", []string{"limit", "99999999999999999999"}, "limit", "from 1 to 100"},
		{"malformed cursor", "", []string{"cursor", "!!!"}, "cursor", "malformed"},
		{"cursor of another sort", "", []string{"q", "jazz", "cursor", cursor}, "cursor", "another sort"},
		{"5 KB query", "", []string{"q", strings.Repeat("a", 5000)}, "q", "q must be at most 200 characters"},
		{"long category", "", []string{"category", strings.Repeat("a", 51)}, "category", "at most 50 characters"},
		{"negative price", "", []string{"price_max", "-1"}, "price_max", "from 0"},
		{"free as a word", "", []string{"free", "maybe"}, "free", "free must be true or false"},
		{"bad date", "", []string{"from", "soon"}, "from", "from must be a date like 2027-01-01 or a time like"},
		{"bad end date", "", []string{"to", "2027-13-01"}, "to", "to must be a date like 2027-01-01"},
		{"from after to", "", []string{"from", "2027-02-01", "to", "2027-01-01"}, "from", "before to"},
		{"suggest limit 0", "/api/v1/search/suggest", []string{"q", "ja", "limit", "0"}, "limit", "limit must be a whole number from 1 to 20"},
		{"suggest limit not a number", "/api/v1/search/suggest", []string{"q", "ja", "limit", "1e3"}, "limit", "from 1 to 20"},
		{"suggest long q", "/api/v1/search/suggest", []string{"q", strings.Repeat("é", 101)}, "q", "q must be at most 100 characters"},
		{"suggest blank q", "/api/v1/search/suggest", []string{"q", "  "}, "q", "q must not be blank"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{}
			for i := 0; i+1 < len(tc.kv); i += 2 {
				q.Set(tc.kv[i], tc.kv[i+1])
			}
			path := tc.path
			if path == "" {
				path = "/api/v1/search/events"
			}
			r := e.get(path, q)
			if r.Status != http.StatusBadRequest || r.Error.Code != "validation_failed" {
				t.Fatalf("got %d %s, want 400 validation_failed", r.Status, r.Raw)
			}
			if len(r.Error.Details) != 1 || r.Error.Details[0].Field != tc.field || !strings.Contains(r.Error.Details[0].Message, tc.msg) {
				t.Errorf("got %s, want one detail naming %s saying %q", r.Raw, tc.field, tc.msg)
			}
			// Worded for people: no SQL, Go layouts or schema jargon.
			for _, internal := range []string{"sql", "goroutine", "2006", "15:04", "strconv", "expected", "invalid integer"} {
				if strings.Contains(strings.ToLower(r.Raw), internal) {
					t.Errorf("error leaks internals (%s): %s", internal, r.Raw)
				}
			}
		})
	}
	if r := e.get("/api/v1/search/suggest", url.Values{}); r.Status != http.StatusBadRequest {
		t.Errorf("suggest without q: got %d", r.Status)
	}
}

// TestDatesArePlainDatesOrTimes: from and to take a plain date (the start of that day,
// UTC) or an RFC 3339 time.
func TestDatesArePlainDatesOrTimes(t *testing.T) {
	e := newEnv(t)
	e.insert(ev{title: "Jazz Soon"}, ev{title: "Jazz Later", days: 40})
	day := e.start.AddDate(0, 0, 10).UTC().Format(time.DateOnly)
	for _, tc := range []struct {
		kv   []string
		want []string
	}{
		{[]string{"from", day}, []string{"Jazz Later"}},
		{[]string{"to", day}, []string{"Jazz Soon"}},
		{[]string{"to", day + "T00:00:00+01:00"}, []string{"Jazz Soon"}},
		{[]string{"from", day, "to", e.start.AddDate(0, 0, 50).UTC().Format(time.DateOnly), "free", "true"}, []string{"Jazz Later"}},
		{[]string{"q", "jazz", "from", "0001-01-01", "to", "9999-12-31"}, []string{"Jazz Soon", "Jazz Later"}},
	} {
		if r := e.search(tc.kv...); !slices.Equal(titles(r.Data), tc.want) {
			t.Errorf("%v: got %s, want %v", tc.kv, r.Raw, tc.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	e := newEnv(t)
	e.insert(ev{title: "Techno Conference", city: "Berlin", category: "music"}, ev{title: "Tech Talks", category: "technology", city: "Paris"},
		ev{title: "Tech Talks", category: "technology", city: "Berlin"})
	if err := e.svc.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	type sg struct {
		Text   string `json:"text"`
		Kind   string `json:"kind"`
		Events int    `json:"events"`
	}
	get := func(q string) []sg {
		t.Helper()
		res, err := http.Get(e.srv.URL + "/api/v1/search/suggest?q=" + url.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct {
			Data []sg `json:"data"`
		}
		_ = json.NewDecoder(res.Body).Decode(&body)
		return body.Data
	}
	got := get("tech")
	if len(got) < 3 || got[0] != (sg{"Tech Talks", "title", 2}) || !slices.Contains(got, sg{"technology", "category", 2}) || !slices.Contains(got, sg{"Techno Conference", "title", 1}) {
		t.Errorf("tech: got %+v", got)
	}
	if got := get("berlni"); len(got) == 0 || got[0] != (sg{"Berlin", "city", 2}) {
		t.Errorf("berlni (typo): got %+v", got)
	}
	if got := get("techno confr"); len(got) != 1 || got[0] != (sg{"Techno Conference", "title", 1}) {
		t.Errorf("techno confr: got %+v", got)
	}
	if got := get("tehcno conf"); len(got) != 1 || got[0] != (sg{"Techno Conference", "title", 1}) {
		t.Errorf("tehcno conf (typo): got %+v", got)
	}
	if got := get("100%_"); len(got) != 0 {
		t.Errorf("LIKE wildcards must be literal: got %+v", got)
	}
}

// TestTheIndexFollowsTheEvents: with Run, a change to the events table is found (or no
// longer found) within moments, whoever writes it, with no message sent; the service is
// not ready, and answers 503, until its index is built.
func TestTheIndexFollowsTheEvents(t *testing.T) {
	e := newEnv(t, func(o *search.Options) { o.FollowEvery = 20 * time.Millisecond })
	ids := e.insert(ev{title: "Jazz Night"})
	srv := httptest.NewServer(e.svc.Handler())
	t.Cleanup(srv.Close)
	if err := e.svc.Ready(context.Background()); err == nil {
		t.Fatalf("ready before the index is built")
	}
	if res, err := http.Get(srv.URL + "/api/v1/search/events?q=jazz"); err != nil || res.StatusCode != http.StatusServiceUnavailable ||
		res.Header.Get("Retry-After") == "" {
		t.Fatalf("before the index is built: got %v %v, want 503 with Retry-After", res, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	// waitFor searches without Sync (as a client would) until the titles found are want.
	waitFor := func(q string, want ...string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var got []string
			if res, err := http.Get(srv.URL + "/api/v1/search/events?q=" + url.QueryEscape(q)); err == nil {
				var r response
				_ = json.NewDecoder(res.Body).Decode(&r)
				res.Body.Close()
				got = titles(r.Data)
			}
			if slices.Equal(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q: got %v, want %v", q, got, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("jazz", "Jazz Night")
	if err := e.svc.Ready(ctx); err != nil {
		t.Errorf("not ready with the index built: %v", err)
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := e.db.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	// Renamed without touching updated_at: the trigger stamps it.
	exec(`UPDATE events SET title = 'Blues Night' WHERE id = $1`, ids[0])
	waitFor("jazz")
	waitFor("blues", "Blues Night")
	exec(`UPDATE events SET visibility = 'private' WHERE id = $1`, ids[0])
	waitFor("blues")
	exec(`UPDATE events SET visibility = 'public' WHERE id = $1`, ids[0])
	waitFor("blues", "Blues Night")
	// A change committed late, stamped before a change already read, is read too.
	tx, err := e.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE events SET title = 'Soul Night' WHERE id = $1`, ids[0]); err != nil {
		t.Fatal(err)
	}
	more := e.insert(ev{title: "Folk Night"})
	waitFor("folk", "Folk Night")
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor("soul", "Soul Night")
	exec(`UPDATE events SET status = 'cancelled' WHERE id = $1`, more[0])
	waitFor("night", "Soul Night")
}

// TestRelevanceTiersPageAcrossTiers: title matches come first, then tags, then the
// description, each sooner first; pages cross from one tier to the next without
// duplicates or gaps.
func TestRelevanceTiersPageAcrossTiers(t *testing.T) {
	e := newEnv(t)
	var evs []ev
	for i := range 12 {
		x := ev{title: fmt.Sprintf("Evening %02d", i), description: "An evening out", days: (i * 7) % 5}
		switch i % 3 {
		case 0:
			x.title += " Salsa"
		case 1:
			x.tags = []string{"salsa"}
		case 2:
			x.description += " with salsa"
		}
		evs = append(evs, x)
	}
	e.insert(evs...)
	tier := func(title string) int {
		var i int
		fmt.Sscanf(title, "Evening %d", &i)
		return 3 - i%3
	}
	// Without a radius each tier is walked in date order; with one, all are read at once.
	for _, scope := range [][]string{{}, {"lat", "52.52", "lng", "13.405", "radius_km", "30"}} {
		all := e.search(append([]string{"q", "salsa", "limit", "100"}, scope...)...)
		if len(all.Data) != 12 {
			t.Fatalf("%v: one page: got %d results", scope, len(all.Data))
		}
		if all.Total == nil || *all.Total != 12 || all.Facets == nil || len(all.Facets.Category) != 1 || all.Facets.Category[0].Count != 12 {
			t.Errorf("%v: facets: got %s", scope, all.Raw)
		}
		for i := 1; i < len(all.Data); i++ {
			if tier(all.Data[i-1].Title) < tier(all.Data[i].Title) {
				t.Errorf("%v: tiers out of order: %v", scope, titles(all.Data))
				break
			}
		}
		var paged, want []int64
		cursor := ""
		for range 20 {
			kv := append([]string{"q", "salsa", "limit", "2"}, scope...)
			if cursor != "" {
				kv = append(kv, "cursor", cursor)
			}
			r := e.search(kv...)
			for _, x := range r.Data {
				paged = append(paged, x.ID)
			}
			if cursor = r.Page.NextCursor; cursor == "" {
				break
			}
		}
		for _, x := range all.Data {
			want = append(want, x.ID)
		}
		if !slices.Equal(paged, want) {
			t.Errorf("%v: pages of 2: got %v, want %v", scope, paged, want)
		}
	}
}

// TestExcludedWordsAreExcludedFromEveryTier: the title tier's walk reads only the title
// vector when nothing is excluded; an excluded word in a description still excludes.
func TestExcludedWordsAreExcludedFromEveryTier(t *testing.T) {
	e := newEnv(t)
	e.insert(
		ev{title: "Salsa Night", description: "Dancing in the old harbour"},
		ev{title: "Salsa Evening", description: "Dancing by the river", days: 1},
		ev{title: "Salsa Morning", description: "Coffee by the river", days: 2},
		ev{title: "Salsa Brunch", description: "Brunch by the river", days: 3},
		ev{title: "Tango Evening", tags: []string{"salsa"}, description: "Near the harbour", days: 2},
		ev{title: "Tango Night", description: "Some salsa too, by the river", days: 3},
	)
	for q, want := range map[string][]string{
		"salsa":          {"Salsa Night", "Salsa Evening", "Salsa Morning", "Salsa Brunch", "Tango Evening", "Tango Night"},
		"salsa -harbour": {"Salsa Evening", "Salsa Morning", "Salsa Brunch", "Tango Night"},
		"salsa -river":   {"Salsa Night", "Tango Evening"},
		"salsa -dancing": {"Salsa Morning", "Salsa Brunch", "Tango Evening", "Tango Night"},
		`"salsa night"`:  {"Salsa Night", "Tango Night"}, // a phrase stands for its words
		"salsa or tango": {"Salsa Night", "Salsa Evening", "Salsa Morning", "Tango Evening", "Salsa Brunch", "Tango Night"},
		"-tango":         {"Salsa Night", "Salsa Evening", "Salsa Morning", "Salsa Brunch"},
		`"night salsa"`:  {"Salsa Night", "Tango Night"},
	} {
		// Within a radius or a category the words are found through an index of prefixed
		// words, which holds no negations nor phrases: the full query still decides.
		// Pages after the first are walked tier by tier (the first counted too few
		// matches to walk).
		for _, scope := range [][]string{{}, {"lat", "52.52", "lng", "13.405", "radius_km", "30"}, {"category", "technology"}} {
			if got := titles(e.search(append([]string{"q", q}, scope...)...).Data); !slices.Equal(got, want) {
				t.Errorf("%s %v: got %v, want %v", q, scope, got, want)
			}
			var paged []string
			cursor := ""
			for range 10 {
				kv := append([]string{"q", q, "limit", "1"}, scope...)
				if cursor != "" {
					kv = append(kv, "cursor", cursor)
				}
				r := e.search(kv...)
				paged = append(paged, titles(r.Data)...)
				if cursor = r.Page.NextCursor; cursor == "" {
					break
				}
			}
			if !slices.Equal(paged, want) {
				t.Errorf("%s %v in pages of 1: got %v, want %v", q, scope, paged, want)
			}
		}
	}
}

// TestTyposAreCorrectedOnlyWhenNoEventUsesTheWord: a word no published event uses is
// swapped for the most similar one that is used; a word events use is never changed, even
// when filters leave nothing; words of drafts are not offered.
func TestTyposAreCorrectedOnlyWhenNoEventUsesTheWord(t *testing.T) {
	e := newEnv(t)
	e.insert(
		ev{title: "Techno Conference", category: "music", days: 1},
		ev{title: "Techno Conference Porto", category: "music", days: 2},
		ev{title: "Techno Conference Lyon", category: "music", days: 3},
		ev{title: "Rooftop Jazz", description: "A sunset session", category: "music"},
		ev{title: "Kubernetes Workshop"},
		ev{title: "Secretive Summit", status: "draft"},
	)
	cases := []struct {
		q, category, match, query string
		want                      []string
	}{
		{"techno confrence", "", "fuzzy", "techno conference", []string{"Techno Conference", "Techno Conference Porto", "Techno Conference Lyon"}},
		{`"Rooftpo jazz"`, "", "fuzzy", `"rooftop jazz"`, []string{"Rooftop Jazz"}},
		{"kubernetes", "music", "fulltext", "", nil},
		{"rooftpo", "", "fuzzy", "rooftop", []string{"Rooftop Jazz"}},
		{"sunset", "technology", "fulltext", "", nil},
		{"secretiv", "", "fulltext", "", nil},
		{"xqzvw", "", "fulltext", "", nil},
	}
	for _, tc := range cases {
		// Anywhere, and within a radius of Berlin (where they all are), which counts and
		// chooses the first page in one statement.
		for _, scope := range [][]string{{}, {"lat", "52.52", "lng", "13.405", "radius_km", "30"}} {
			r := e.search(append([]string{"q", tc.q, "category", tc.category}, scope...)...)
			if got := titles(r.Data); !slices.Equal(got, tc.want) || r.Match != tc.match || r.Query != tc.query {
				t.Errorf("%q in %q %v: got %v, %s %q; want %v, %s %q", tc.q, tc.category, scope, got, r.Match, r.Query, tc.want, tc.match, tc.query)
			}
		}
	}
	r := e.search("q", "techno confrence")
	if !strings.Contains(r.Data[0].Highlights.Title, "<mark>Conference</mark>") || *r.Total != 3 {
		t.Errorf("corrected search: got %s", r.Raw)
	}
	// The pages after the first search the corrected query too.
	var paged []string
	cursor := ""
	for range 5 {
		kv := []string{"q", "techno confrence", "limit", "1"}
		if cursor != "" {
			kv = append(kv, "cursor", cursor)
		}
		r := e.search(kv...)
		if r.Match != "fuzzy" {
			t.Errorf("page %d: match %s", len(paged), r.Match)
		}
		paged = append(paged, titles(r.Data)...)
		if cursor = r.Page.NextCursor; cursor == "" {
			break
		}
	}
	if !slices.Equal(paged, []string{"Techno Conference", "Techno Conference Porto", "Techno Conference Lyon"}) {
		t.Errorf("pages of 1: got %v", paged)
	}
	// Once published, the draft's words are known.
	if _, err := e.db.Exec(context.Background(), `UPDATE events SET status = 'published' WHERE title = 'Secretive Summit'`); err != nil {
		t.Fatal(err)
	}
	if r := e.search("q", "secretiv summit"); r.Match != "prefix" || !slices.Equal(titles(r.Data), []string{"Secretive Summit"}) {
		t.Errorf("published draft: got %s", r.Raw)
	}
}

// The routes that write JSON they already hold still document its shape.
func TestOpenAPIDescribesTheResponses(t *testing.T) {
	e := newEnv(t)
	doc, err := e.svc.OpenAPI(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var api struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]struct {
					Schema struct {
						Ref string `json:"$ref"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &api); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"/api/v1/search/events": "facets", "/api/v1/search/suggest": "data"} {
		ref := api.Paths[path]["get"].Responses["200"].Content["application/json"].Schema.Ref
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		if _, ok := api.Components.Schemas[name].Properties[want]; !ok {
			t.Errorf("%s: 200 response schema %q has no %q", path, ref, want)
		}
	}
}

// TestFacetsOfACommonWordCountEveryMatch: a word with thousands of matches is counted
// exactly, and the facets add up to the total.
func TestFacetsOfACommonWordCountEveryMatch(t *testing.T) {
	e := newEnv(t)
	_, err := e.db.Exec(context.Background(), `
		INSERT INTO events (title, category, starts_at, lat, lng, city, status, created_by)
		SELECT 'Salsa Night ' || i, CASE WHEN i % 40 = 0 THEN 'arts' ELSE 'music' END,
			now() + interval '1 day' + i * interval '10 minutes', 52.52, 13.405, 'Berlin', 'published', $1
		FROM generate_series(1, 12000) i`, e.org)
	if err != nil {
		t.Fatal(err)
	}
	sum := func(fs []struct {
		Value string
		Count int
	}) int {
		n := 0
		for _, f := range fs {
			n += f.Count
		}
		return n
	}
	r := e.search("q", "salsa")
	if r.Total == nil || *r.Total != 12000 || r.Rel != "eq" || sum(r.Facets.Category) != 12000 ||
		sum(r.Facets.Date) != 12000 || len(r.Data) != 20 {
		t.Errorf("salsa: got total %v %s, facets %+v", r.Total, r.Rel, r.Facets)
	}
	r = e.search("q", "salsa", "category", "arts")
	if r.Total == nil || *r.Total != 300 || r.Rel != "eq" || sum(r.Facets.Category) != 300 || sum(r.Facets.Date) != 300 {
		t.Errorf("salsa in arts: got total %v %s, facets %+v", r.Total, r.Rel, r.Facets)
	}
}

// TestRelevanceWithinACityOfManyMatches: a first page within a local radius with many
// matches counts them all, and its page is the exact one of all of them: titles first,
// soonest first, only events in the circle, whether the title tier is dense (salsa) or
// holds a few (tango, whose page goes on into the lower tiers).
func TestRelevanceWithinACityOfManyMatches(t *testing.T) {
	e := newEnv(t)
	// 3,000 events in Berlin in an order unlike their dates: "salsa" in every third
	// title and in every description; "tango" in six titles and every other description.
	// Paris has sooner ones with both words in the title, outside the circle.
	_, err := e.db.Exec(context.Background(), `
		INSERT INTO events (title, description, category, starts_at, lat, lng, city, status, created_by)
		SELECT CASE WHEN i % 3 = 0 THEN 'Salsa Night ' ELSE 'Evening ' END || i || CASE WHEN i % 500 = 7 THEN ' Tango' ELSE '' END,
			'Dancing salsa' || CASE WHEN i % 2 = 0 THEN ' and tango' ELSE '' END, 'music',
			now() + interval '1 day' + ((i * 7919) % 3000) * interval '10 minutes', 52.52 + (i % 10) * 0.01, 13.405, 'Berlin', 'published', $1::bigint
		FROM generate_series(1, 3000) i
		UNION ALL
		SELECT 'Salsa Tango Paris ' || i, 'Dancing', 'music', now() + interval '1 hour' + i * interval '1 minute', 48.8566, 2.3522,
			'Paris', 'published', $1
		FROM generate_series(1, 50) i`, e.org)
	if err != nil {
		t.Fatal(err)
	}
	want := func(word string) []string {
		rows, err := e.db.Query(context.Background(), `SELECT title FROM events
			WHERE city = 'Berlin' AND (description ILIKE '%' || $1 || '%' OR title ILIKE '%' || $1 || '%')
			ORDER BY title ILIKE '%' || $1 || '%' DESC, starts_at, id LIMIT 20`, word)
		if err == nil {
			var out []string
			if out, err = pgx.CollectRows(rows, pgx.RowTo[string]); err == nil {
				return out
			}
		}
		t.Fatal(err)
		return nil
	}
	for q, total := range map[string]int{"salsa": 3000, "tango": 1506} {
		r := e.search("q", q, "lat", "52.52", "lng", "13.405", "radius_km", "30")
		if got, want := titles(r.Data), want(q); !slices.Equal(got, want) {
			t.Errorf("%s around Berlin: got %v, want %v", q, got, want)
		}
		if r.Total == nil || *r.Total != total || r.Rel != "eq" {
			t.Errorf("%s around Berlin: got total %v %s, want %d", q, r.Total, r.Rel, total)
		}
		if r.Page.NextCursor == "" {
			t.Errorf("%s around Berlin: no next cursor", q)
		}
	}
}

// TestTierFoundAfterTheWalkGivesUp: a tier whose few matches come after many others'
// keeps the exact order: title, then tags, then descriptions.
func TestTierFoundAfterTheWalkGivesUp(t *testing.T) {
	e := newEnv(t)
	_, err := e.db.Exec(context.Background(), `
		INSERT INTO events (title, description, tags, category, starts_at, status, created_by)
		SELECT 'Evening ' || i, 'Dancing tango', '{}'::text[], 'music', now() + interval '1 day' + i * interval '1 minute', 'published', $1::bigint
		FROM generate_series(1, 1500) i
		UNION ALL
		SELECT 'Late ' || i, 'Dancing', '{tango}', 'music', now() + interval '3 days' + i * interval '1 minute', 'published', $1
		FROM generate_series(1, 3) i
		UNION ALL
		SELECT 'Tango Finale', 'Dancing', '{}', 'music', now() + interval '4 days', 'published', $1`, e.org)
	if err != nil {
		t.Fatal(err)
	}
	r := e.search("q", "tango", "limit", "6")
	want := []string{"Tango Finale", "Late 1", "Late 2", "Late 3", "Evening 1", "Evening 2"}
	if got := titles(r.Data); !slices.Equal(got, want) {
		t.Errorf("tango: got %v, want %v", got, want)
	}
	if r.Total == nil || *r.Total != 1504 || r.Rel != "eq" {
		t.Errorf("tango: got total %v %s, want 1504", r.Total, r.Rel)
	}
}

// TestTimesAtTheEndOfTheCalendarShowInUTC: an event whose time is in the year 10000 in its
// own zone (written straight to the tables) is shown in UTC rather than breaking the page.
func TestTimesAtTheEndOfTheCalendarShowInUTC(t *testing.T) {
	e := newEnv(t)
	ids := e.insert(ev{title: "Millennium Gala"}, ev{title: "Millennium Ball", days: 1}, ev{title: "Millennium Party", days: 2})
	_, err := e.db.Exec(context.Background(), `UPDATE events SET timezone = 'Europe/Berlin', ends_at = '9999-12-31T23:59:59Z',
		starts_at = CASE WHEN id = $2 THEN '9999-12-31T23:30:00Z' ELSE starts_at END WHERE id IN ($1, $2)`, ids[0], ids[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][]string{{"q", "millennium"}, {"q", "millennium", "sort", "date"}, {"sort", "date"}} {
		r := e.search(kv...)
		if len(r.Data) != 3 || !strings.Contains(r.Raw, `"end_date":"9999-12-31T23:59:59Z"`) || !strings.Contains(r.Raw, `"date":"9999-12-31T23:30:00Z"`) {
			t.Errorf("%v: got %s", kv, r.Raw)
		}
		// Page by page too: the cursor after the last event keeps its time.
		var paged []string
		cursor := ""
		for range 5 {
			q := append([]string{"limit", "1"}, kv...)
			if cursor != "" {
				q = append(q, "cursor", cursor)
			}
			r := e.search(q...)
			paged = append(paged, titles(r.Data)...)
			if cursor = r.Page.NextCursor; cursor == "" {
				break
			}
		}
		if len(paged) != 3 || paged[2] != "Millennium Ball" {
			t.Errorf("%v by pages of 1: got %v", kv, paged)
		}
	}
}
