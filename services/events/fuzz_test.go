package events_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/events-platform/events-platform/test/integration"
	"time"
)

// The fuzz targets send every body and query-string type of the service through its real
// handler, on a real database made once per target, and check that nothing is a 5xx and
// that every answer is the JSON envelope. make test runs each briefly; plain go test runs
// their seeds.

// serve sends one request to the service's handler, as as (the zero user is anonymous).
func (e *env) serve(method, path, rawQuery string, as user, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.URL.RawQuery = rawQuery
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if as.Token != "" {
		req.Header.Set("Authorization", "Bearer "+as.Token)
	}
	rec := httptest.NewRecorder()
	e.svc.Handler().ServeHTTP(rec, req)
	return rec
}

// hostileBodies are bodies every JSON endpoint must refuse or take without a 5xx.
func hostileBodies() [][]byte {
	return [][]byte{
		nil, []byte(""), []byte("null"), []byte("{}"), []byte("[]"), []byte(`"x"`), []byte("0"), []byte("{"), []byte(`{"a":`),
		[]byte("\x00"), []byte("{\"title\":\"\xff\xfe\"}"), []byte(strings.Repeat("[", 5000) + strings.Repeat("]", 5000)),
		[]byte(`{"a":` + strings.Repeat(`{"a":`, 2000) + "1" + strings.Repeat("}", 2001)),
		[]byte(`{"unknown":1}`), []byte(`{"id":1e400}`), []byte(`{"title":"a","title":"b"}`),
	}
}

// eventBodySeeds are create and update bodies: valid ones and the hostile cases.
func eventBodySeeds() [][]byte {
	soon := time.Now().Add(72 * time.Hour).UTC()
	later := soon.Add(3 * time.Hour)
	seeds := [][]byte{
		integration.MustJSON(eventBody()),
		integration.MustJSON(eventBody("location", nil, "online_url", "https://meet.example.com/x", "capacity", nil)),
		integration.MustJSON(eventBody("end_date", later.Format(time.RFC3339), "currency", "JPY", "category", "Music", "visibility", "unlisted")),
		integration.MustJSON(eventBody("end_date", "9999-12-31T23:59:59Z", "timezone", "Europe/Berlin")),
		integration.MustJSON(eventBody("date", "9999-12-31T23:59:59Z")),
		integration.MustJSON(eventBody("date", "0001-01-01T00:00:00Z")),
		integration.MustJSON(eventBody("date", "2020-01-01T00:00:00Z")),
		integration.MustJSON(eventBody("date", "2027-01-01")),
		integration.MustJSON(eventBody("date", soon.Format(time.RFC3339), "end_date", soon.Format(time.RFC3339))),
		integration.MustJSON(eventBody("title", "Nul\u0000title", "description", "\u0000", "category", "music\u0000")),
		integration.MustJSON(eventBody("tags", []string{"\u0000", "ok"}, "location", map[string]any{"city": "Ber\u0000lin"})),
		integration.MustJSON(eventBody("timezone", "\u0000", "online_url", "https://\u0000/")),
		integration.MustJSON(eventBody("capacity", 1e300, "price", 1e308)),
		integration.MustJSON(eventBody("capacity", -1, "price", -0.01)),
		integration.MustJSON(eventBody("capacity", "100", "price", "ten", "tags", "go")),
		integration.MustJSON(eventBody("currency", "XYZ", "category", "nonsense")),
		integration.MustJSON(eventBody("timezone", "Local")),
		integration.MustJSON(eventBody("location", map[string]any{"lat": 91, "lng": 0, "city": 5})),
		integration.MustJSON(eventBody("organizer_id", 1, "status", "published")),
		integration.MustJSON(map[string]any{"title": "Renamed"}),
		integration.MustJSON(map[string]any{"capacity": nil}),
		integration.MustJSON(map[string]any{"end_date": nil}),
		integration.MustJSON(map[string]any{"capacity": 2, "date": later.Format(time.RFC3339)}),
		integration.MustJSON(map[string]any{"date": nil, "title": nil}),
		[]byte("{\"title\":\"\xff\xfe\xfd\",\"category\":\"\xc3\x28\"}"),
	}
	return append(seeds, hostileBodies()...)
}

func FuzzCreateEvent(f *testing.F) {
	e := newEnv(f)
	org := e.newUser("organizer")
	for _, s := range eventBodySeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		integration.CheckEnvelope(t, e.serve("POST", "/api/v1/events", "", org, body), string(body))
	})
}

func FuzzUpdateEvent(f *testing.F) {
	e := newEnv(f)
	org := e.newUser("organizer")
	draft := e.createEvent(org, false)
	published := e.createEvent(org, true)
	for _, u := range e.newUsers(2) {
		e.do("POST", fmt.Sprintf("/api/v1/events/%d/registrations", published.ID), u, nil)
	}
	for _, s := range eventBodySeeds() {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, body []byte, pub bool) {
		id := draft.ID
		if pub {
			id = published.ID
		}
		integration.CheckEnvelope(t, e.serve("PATCH", fmt.Sprintf("/api/v1/events/%d", id), "", org, body), string(body))
	})
}

func FuzzCancelEvent(f *testing.F) {
	e := newEnv(f)
	org := e.newUser("organizer")
	seeds := [][]byte{
		integration.MustJSON(map[string]any{"reason": "The venue flooded."}),
		integration.MustJSON(map[string]any{"reason": ""}),
		integration.MustJSON(map[string]any{"reason": strings.Repeat("é", 500)}),
		integration.MustJSON(map[string]any{"reason": strings.Repeat("x", 501)}),
		integration.MustJSON(map[string]any{"reason": "\u0000"}),
		integration.MustJSON(map[string]any{"reason": 12}),
		integration.MustJSON(map[string]any{"reason": nil}),
		integration.MustJSON(map[string]any{"reason": "x", "notify": false}),
		[]byte("{\"reason\":\"\xff\xfe\"}"),
	}
	for _, s := range append(seeds, hostileBodies()...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		// A published event of its own each time: cancelling is once only.
		var id int64
		err := e.db.QueryRow(context.Background(), `
			INSERT INTO events (title, category, starts_at, created_by, status, published_at)
			VALUES ('Fuzz', 'technology', now() + interval '1 day', $1, 'published', now()) RETURNING id`, org.ID).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		integration.CheckEnvelope(t, e.serve("POST", fmt.Sprintf("/api/v1/events/%d/cancel", id), "", org, body), string(body))
	})
}

func FuzzCheckIn(f *testing.F) {
	e := newEnv(f)
	org, fan, waiting := e.newUser("organizer"), e.newUser("attendee"), e.newUser("attendee")
	ev := e.createEvent(org, true, "capacity", 1)
	reg := decode[registration](f, e.do("POST", fmt.Sprintf("/api/v1/events/%d/registrations", ev.ID), fan, nil))
	e.do("POST", fmt.Sprintf("/api/v1/events/%d/registrations", ev.ID), waiting, nil)
	seeds := [][]byte{
		integration.MustJSON(map[string]any{"registration_id": reg.ID}),
		integration.MustJSON(map[string]any{"user_id": fan.ID}),
		integration.MustJSON(map[string]any{"user_id": waiting.ID}),
		integration.MustJSON(map[string]any{"registration_id": reg.ID, "user_id": fan.ID}),
		integration.MustJSON(map[string]any{"user_id": 0}),
		integration.MustJSON(map[string]any{"user_id": -1}),
		integration.MustJSON(map[string]any{"user_id": 1 << 62}),
		[]byte(`{"registration_id": 99999999999999999999999}`),
		[]byte(`{"registration_id": 1.5}`),
		[]byte(`{"registration_id": "1"}`),
		[]byte(`{"user_id": null}`),
		integration.MustJSON(map[string]any{"user_id": fan.ID, "force": true}),
	}
	for _, s := range append(seeds, hostileBodies()...) {
		f.Add(s)
	}
	path := fmt.Sprintf("/api/v1/events/%d/check-ins", ev.ID)
	f.Fuzz(func(t *testing.T, body []byte) {
		integration.CheckEnvelope(t, e.serve("POST", path, "", org, body), string(body))
	})
}

// hostileQueries are query strings every list must refuse or take without a 5xx.
func hostileQueries() []string {
	return []string{
		"", "&&&", "=", "limit", "limit=", "limit=abc", "limit=-1", "limit=0", "limit=99999999999999999999", "limit=1e3",
		"cursor=%00", "cursor=\xff\xfe", "cursor=" + strings.Repeat("A", 4000), "cursor=eyJpZCI6MX0", "cursor=bnVsbA",
		"cursor=eyJpZCI6LTF9", "cursor=eyJpZCI6MWU0MDB9", "%zz", "a=%", "limit=10&limit=20", "unknown=1", "x=\x00",
	}
}

func FuzzListEvents(f *testing.F) {
	e := newEnv(f)
	org := e.newUser("organizer")
	e.createEvent(org, true)
	e.createEvent(org, true, "category", "music", "location", map[string]any{"city": "Paris"})
	odd := e.createEvent(org, true, "title", "Far", "timezone", "Europe/Berlin")
	// A stored time no zone can write as RFC 3339: lists must still answer.
	if _, err := e.db.Exec(context.Background(), `UPDATE events SET starts_at = '12345-01-01', ends_at = NULL WHERE id = $1`, odd.ID); err != nil {
		f.Fatal(err)
	}
	seeds := []string{
		"limit=20", "category=music&city=paris", "from=2027-01-01", "from=2027-01-01T00:00:00Z&to=2030-01-01",
		"from=9999-12-31&to=0001-01-01", "from=0001-01-01", "to=9999-12-31T23:59:59Z", "from=yesterday", "to=2027-13-45",
		"from=2027-01-01T00:00:00%2B14:00", "from=%00", "from=\xff", "sort=newest&limit=1", "sort=popularity", "sort=random",
		"status=draft&organizer=me", "status=cancelled", "status=completed&organizer=me", "organizer=me", "organizer=1",
		"organizer=-5", "organizer=99999999999999999999", "organizer=bob", "category=%00", "category=\xc3\x28", "city=%00",
		"city=" + strings.Repeat("x", 101), "limit=1&sort=date&cursor=eyJzIjoiZGF0ZSIsInQiOiIyMDI3LTAxLTAxVDAwOjAwOjAwWiIsImlkIjoxfQ",
		"sort=date&cursor=eyJzIjoiZGF0ZSIsInQiOiI5OTk5LTEyLTMxVDIzOjU5OjU5WiIsImlkIjoxfQ",
		"sort=date&cursor=eyJzIjoiZGF0ZSIsInQiOiIwMDAxLTAxLTAxVDAwOjAwOjAwWiIsImlkIjoxfQ",
		"sort=newest&cursor=eyJzIjoiZGF0ZSIsImlkIjoxfQ", "sort=popularity&cursor=eyJzIjoicG9wdWxhcml0eSIsIm4iOi0xLCJpZCI6MX0",
	}
	for _, q := range append(seeds, hostileQueries()...) {
		f.Add(q, false)
		f.Add(q, true)
	}
	f.Fuzz(func(t *testing.T, query string, signedIn bool) {
		as := user{}
		if signedIn {
			as = org
		}
		integration.CheckEnvelope(t, e.serve("GET", "/api/v1/events", query, as, nil), query)
	})
}

// FuzzMyLists covers the page query of /users/me/registrations and /users/me/favorites.
func FuzzMyLists(f *testing.F) {
	e := newEnv(f)
	org, fan := e.newUser("organizer"), e.newUser("attendee")
	for range 3 {
		ev := e.createEvent(org, true)
		e.do("POST", fmt.Sprintf("/api/v1/events/%d/registrations", ev.ID), fan, nil)
		e.do("POST", fmt.Sprintf("/api/v1/events/%d/favorite", ev.ID), fan, nil)
	}
	seeds := []string{"limit=2", "limit=100", "limit=101", "cursor=eyJpZCI6MX0&limit=1",
		"cursor=eyJ0IjoiOTk5OS0xMi0zMVQyMzo1OTo1OVoiLCJpZCI6MX0", "cursor=eyJ0IjoiMDAwMS0wMS0wMVQwMDowMDowMFoiLCJpZCI6MX0"}
	for _, q := range append(seeds, hostileQueries()...) {
		f.Add(q, false)
		f.Add(q, true)
	}
	f.Fuzz(func(t *testing.T, query string, favorites bool) {
		path := "/api/v1/users/me/registrations"
		if favorites {
			path = "/api/v1/users/me/favorites"
		}
		integration.CheckEnvelope(t, e.serve("GET", path, query, fan, nil), query)
	})
}

func FuzzAttendees(f *testing.F) {
	e := newEnv(f)
	org := e.newUser("organizer")
	ev := e.createEvent(org, true, "capacity", 1)
	for _, u := range e.newUsers(3) {
		e.do("POST", fmt.Sprintf("/api/v1/events/%d/registrations", ev.ID), u, nil)
	}
	seeds := []string{"status=confirmed", "status=waitlisted&limit=1", "status=cancelled", "status=bogus", "format=csv",
		"format=xml", "format=csv&status=waitlisted", "limit=500", "limit=501", "status=%00", "format=\xff"}
	for _, q := range append(seeds, hostileQueries()...) {
		f.Add(q)
	}
	path := fmt.Sprintf("/api/v1/events/%d/registrations", ev.ID)
	f.Fuzz(func(t *testing.T, query string) {
		integration.CheckEnvelope(t, e.serve("GET", path, query, org, nil), query)
	})
}
