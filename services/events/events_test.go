package events_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestPermissionMatrix runs every write as the event's organizer, another organizer, an
// attendee, an admin and an anonymous caller.
func TestPermissionMatrix(t *testing.T) {
	e := newEnv(t)
	owner, other, attendee, admin := e.newUser("organizer"), e.newUser("organizer"), e.newUser("attendee"), e.newUser("admin")
	anon := user{}
	callers := map[string]user{"owner": owner, "other organizer": other, "attendee": attendee, "admin": admin, "anonymous": anon}

	// Each write gets a fresh event in the state it needs, so that one caller's success
	// does not change what the next one sees.
	type write struct {
		name    string
		publish bool
		method  string
		path    string // %d is the event id
		body    any
		want    map[string]int
	}
	owners := map[string]int{"owner": 0, "other organizer": 403, "attendee": 403, "admin": 0, "anonymous": 401}
	writes := []write{
		{"update", false, "PATCH", "/api/v1/events/%d", map[string]any{"title": "Renamed"}, owners},
		{"publish", false, "POST", "/api/v1/events/%d/publish", nil, owners},
		{"cancel", true, "POST", "/api/v1/events/%d/cancel", nil, owners},
		{"delete", false, "DELETE", "/api/v1/events/%d", nil, owners},
		{"attendees", true, "GET", "/api/v1/events/%d/registrations", nil, owners},
		{"check-in", true, "POST", "/api/v1/events/%d/check-ins", map[string]any{"user_id": 0}, owners},
	}
	for _, w := range writes {
		for name, as := range callers {
			t.Run(w.name+"/"+name, func(t *testing.T) {
				ev := e.createEvent(owner, w.publish)
				body := w.body
				if w.name == "check-in" {
					// The attendee registers, then whoever is asked checks them in.
					if r := e.do("POST", fmt.Sprintf("/api/v1/events/%d/registrations", ev.ID), attendee, nil); r.Status != 201 {
						t.Fatalf("register: got %d %s", r.Status, r.Raw)
					}
					body = map[string]any{"user_id": attendee.ID}
				}
				r := e.do(w.method, fmt.Sprintf(w.path, ev.ID), as, body)
				want := w.want[name]
				if want == 0 && (r.Status < 200 || r.Status > 299) || want != 0 && r.Status != want {
					t.Fatalf("%s as %s: got %d %s, want %v", w.name, name, r.Status, r.Raw, map[bool]string{true: "2xx", false: fmt.Sprint(want)}[want == 0])
				}
				if want == 401 && r.Error.Code != "unauthorized" || want == 403 && r.Error.Code != "forbidden" {
					t.Errorf("error code: got %q", r.Error.Code)
				}
			})
		}
	}

	// Creating: organizers and admins only.
	for name, want := range map[string]int{"owner": 201, "admin": 201, "attendee": 403, "anonymous": 401} {
		if r := e.do("POST", "/api/v1/events", callers[name], eventBody()); r.Status != want {
			t.Errorf("create as %s: got %d, want %d", name, r.Status, want)
		}
	}
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	org, stranger, admin := e.newUser("organizer"), e.newUser("attendee"), e.newUser("admin")
	r := e.do("POST", "/api/v1/events", org, eventBody("title", "  Launch Party  ", "tags", []string{"Go", "go", "cloud"}))
	if r.Status != http.StatusCreated {
		t.Fatalf("create: got %d %s", r.Status, r.Raw)
	}
	ev := decode[event](t, r)
	if ev.ID == 0 || ev.Status != "draft" || ev.Title != "Launch Party" || ev.CreatedBy != org.ID || strings.Join(ev.Tags, ",") != "go,cloud" {
		t.Fatalf("created: got %+v", ev)
	}
	if !strings.HasSuffix(ev.Date, "+01:00") && !strings.HasSuffix(ev.Date, "+02:00") {
		t.Errorf("date must carry the event's zone offset (Europe/Berlin): got %s", ev.Date)
	}
	if ev.SeatsLeft == nil || *ev.SeatsLeft != 100 {
		t.Errorf("seats_left: got %v, want 100", ev.SeatsLeft)
	}
	path := fmt.Sprintf("/api/v1/events/%d", ev.ID)

	// A draft is the organizer's (and admins') only.
	if r := e.do("GET", path, stranger, nil); r.Status != http.StatusNotFound {
		t.Errorf("draft seen by a stranger: got %d", r.Status)
	}
	for _, as := range []user{org, admin} {
		if r := e.do("GET", path, as, nil); r.Status != http.StatusOK {
			t.Errorf("draft seen by its organizer or an admin: got %d", r.Status)
		}
	}
	if r := e.do("POST", path+"/registrations", stranger, nil); r.Status != http.StatusNotFound {
		t.Errorf("registering for a draft: got %d %s", r.Status, r.Raw)
	}
	if r := e.do("POST", path+"/cancel", org, nil); r.Status != http.StatusConflict || !strings.Contains(r.Error.Message, "delete it instead") {
		t.Errorf("cancel a draft: got %d %+v", r.Status, r.Error)
	}

	r = e.do("POST", path+"/publish", org, nil)
	if got := decode[event](t, r); r.Status != http.StatusOK || got.Status != "published" {
		t.Fatalf("publish: got %d %s", r.Status, r.Raw)
	}
	if r := e.do("POST", path+"/publish", org, nil); r.Status != http.StatusConflict {
		t.Errorf("publish twice: got %d", r.Status)
	}
	if r := e.do("DELETE", path, org, nil); r.Status != http.StatusConflict || !strings.Contains(r.Error.Message, "only a draft") {
		t.Errorf("delete a published event: got %d %+v", r.Status, r.Error)
	}
	if r := e.do("GET", path, user{}, nil); r.Status != http.StatusOK {
		t.Errorf("published event, anonymous: got %d", r.Status)
	}
	if r := e.do("PATCH", path, org, map[string]any{"capacity": 150, "title": "Launch Party 2"}); r.Status != http.StatusOK ||
		decode[event](t, r).Title != "Launch Party 2" || *decode[event](t, r).Capacity != 150 {
		t.Errorf("update: got %d %s", r.Status, r.Raw)
	}
	r = e.do("POST", path+"/cancel", org, nil)
	if got := decode[event](t, r); r.Status != http.StatusOK || got.Status != "cancelled" {
		t.Fatalf("cancel: got %d %s", r.Status, r.Raw)
	}
	for _, tc := range []struct{ method, path string }{{"POST", path + "/cancel"}, {"PATCH", path}, {"POST", path + "/registrations"}} {
		var body any
		if tc.method == "PATCH" {
			body = map[string]any{"title": "x"}
		}
		if r := e.do(tc.method, tc.path, org, body); r.Status != http.StatusConflict {
			t.Errorf("%s %s on a cancelled event: got %d %s", tc.method, tc.path, r.Status, r.Raw)
		}
	}

	// Drafts can be deleted.
	d := e.createEvent(org, false)
	if r := e.do("DELETE", fmt.Sprintf("/api/v1/events/%d", d.ID), org, nil); r.Status != http.StatusOK {
		t.Fatalf("delete a draft: got %d %s", r.Status, r.Raw)
	}
	if r := e.do("GET", fmt.Sprintf("/api/v1/events/%d", d.ID), org, nil); r.Status != http.StatusNotFound {
		t.Errorf("deleted draft: got %d", r.Status)
	}

	// Completed automatically after the end.
	done := e.createEvent(org, true)
	if _, err := e.db.Exec(context.Background(), `UPDATE events SET starts_at = now() - interval '3 hours', ends_at = now() - interval '1 hour' WHERE id = $1`, done.ID); err != nil {
		t.Fatal(err)
	}
	if got := decode[event](t, e.do("GET", fmt.Sprintf("/api/v1/events/%d", done.ID), org, nil)); got.Status != "completed" {
		t.Errorf("ended event, before the sweep: got status %q, want completed", got.Status)
	}
	if n, err := e.svc.CompleteEnded(context.Background()); err != nil || n != 1 {
		t.Fatalf("complete ended: got %d, %v, want 1", n, err)
	}
	var stored string
	_ = e.db.QueryRow(context.Background(), `SELECT status FROM events WHERE id = $1`, done.ID).Scan(&stored)
	if stored != "completed" {
		t.Errorf("stored status after the sweep: got %q", stored)
	}
	if r := e.do("POST", fmt.Sprintf("/api/v1/events/%d/registrations", done.ID), stranger, nil); r.Status != http.StatusConflict {
		t.Errorf("registering for a completed event: got %d", r.Status)
	}
}

func TestCreateValidation(t *testing.T) {
	e := newEnv(t)
	org := e.newUser("organizer")
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		name  string
		body  any
		field string
		msg   string
	}{
		{"missing title", eventBody("title", nil), "", "title"},
		{"blank title", eventBody("title", "   "), "title", "blank"},
		{"long title", eventBody("title", strings.Repeat("x", 201)), "title", ""},
		{"missing category", eventBody("category", nil), "", "category"},
		{"missing date", eventBody("date", nil), "", "date"},
		{"past date", eventBody("date", past), "date", "future"},
		{"not a date", eventBody("date", "tomorrow"), "date", ""},
		{"end before start", eventBody("end_date", time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339)), "end_date", "after date"},
		{"end in the past", eventBody("end_date", past), "end_date", "future"},
		{"bad time zone", eventBody("timezone", "Mars/Olympus"), "timezone", "IANA"},
		{"no location or URL", eventBody("location", nil), "location", "online_url"},
		{"lat without lng", eventBody("location", map[string]any{"city": "X", "lat": 1.0}), "location", "lat and lng"},
		{"lat out of range", eventBody("location", map[string]any{"city": "X", "lat": 91.0, "lng": 0.0}), "location.lat", ""},
		{"bad URL", eventBody("location", nil, "online_url", "javascript:alert(1)"), "online_url", "http"},
		{"zero capacity", eventBody("capacity", 0), "capacity", ""},
		{"negative price", eventBody("price", -1), "price", ""},
		{"bad currency", eventBody("currency", "euro"), "currency", ""},
		{"unknown currency", eventBody("currency", "XYZ"), "currency", "ISO 4217"},
		{"unknown category", eventBody("category", "tech"), "category", "categories"},
		{"bad visibility", eventBody("visibility", "secret"), "visibility", ""},
		{"blank tag", eventBody("tags", []string{"ok", " "}), "tags", "tag"},
		{"malformed JSON", `{"title":`, "", ""},
		{"unknown field", eventBody("organizer_id", 1), "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/events", org, tc.body)
			if r.Status != http.StatusBadRequest {
				t.Fatalf("got %d %s, want 400", r.Status, r.Raw)
			}
			if strings.Contains(strings.ToLower(string(r.Raw)), "sql") || strings.Contains(string(r.Raw), "pgx") {
				t.Errorf("error leaks internals: %s", r.Raw)
			}
			all := r.Error.Message
			fields := ""
			for _, d := range r.Error.Details {
				all += " " + d.Message
				fields += " " + d.Field
			}
			if tc.msg != "" && !strings.Contains(all, tc.msg) {
				t.Errorf("message: got %q, want it to mention %q", all, tc.msg)
			}
			if tc.field != "" && !strings.Contains(fields, tc.field) {
				t.Errorf("fields: got %q, want %q", fields, tc.field)
			}
		})
	}
	// An online event needs no location.
	if r := e.do("POST", "/api/v1/events", org, eventBody("location", nil, "online_url", "https://meet.example.com/x")); r.Status != http.StatusCreated {
		t.Errorf("online event: got %d %s", r.Status, r.Raw)
	}
}

func TestListFiltersSortAndCursor(t *testing.T) {
	e := newEnv(t)
	org, org2, fan := e.newUser("organizer"), e.newUser("organizer"), e.newUser("attendee")
	base := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Minute)
	var ids []int64
	for i := range 7 {
		cat, city := "music", "Berlin"
		if i%2 == 1 {
			cat, city = "technology", "Paris"
		}
		ev := e.createEvent(org, true, "title", fmt.Sprintf("Event %d", i), "category", cat,
			"location", map[string]any{"city": city}, "date", base.Add(time.Duration(i)*24*time.Hour).Format(time.RFC3339))
		ids = append(ids, ev.ID)
	}
	e.createEvent(org, false, "title", "My draft")
	e.createEvent(org2, true, "title", "Private", "visibility", "private")
	// Popularity: event 3 has two registrations, event 5 one.
	for _, u := range []user{fan, e.newUser("attendee")} {
		e.do("POST", fmt.Sprintf("/api/v1/events/%d/registrations", ids[3]), u, nil)
	}
	e.do("POST", fmt.Sprintf("/api/v1/events/%d/registrations", ids[5]), fan, nil)

	list := func(as user, query string) ([]event, response) {
		t.Helper()
		r := e.do("GET", "/api/v1/events?"+query, as, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("list %s: got %d %s", query, r.Status, r.Raw)
		}
		return decode[[]event](t, r), r
	}
	titles := func(evs []event) string {
		var s []string
		for _, ev := range evs {
			s = append(s, ev.Title)
		}
		return strings.Join(s, ",")
	}
	from := url.QueryEscape(base.Add(24 * time.Hour).Format(time.RFC3339))
	to := url.QueryEscape(base.Add(4 * 24 * time.Hour).Format(time.RFC3339))
	tests := []struct {
		name, query, want string
	}{
		{"default: published public by date", "", "Event 0,Event 1,Event 2,Event 3,Event 4,Event 5,Event 6"},
		{"category", "category=music", "Event 0,Event 2,Event 4,Event 6"},
		{"city, any case", "city=paris", "Event 1,Event 3,Event 5"},
		{"from and to", "from=" + from + "&to=" + to, "Event 1,Event 2,Event 3"},
		{"newest", "sort=newest&limit=3", "Event 6,Event 5,Event 4"},
		{"popularity", "sort=popularity&limit=3", "Event 3,Event 5,Event 6"},
		{"organizer", fmt.Sprintf("organizer=%d&category=technology", org.ID), "Event 1,Event 3,Event 5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := list(user{}, tc.query); titles(got) != tc.want {
				t.Errorf("got %s, want %s", titles(got), tc.want)
			}
		})
	}
	if got, _ := list(org, "organizer=me&status=draft"); titles(got) != "My draft" {
		t.Errorf("own drafts: got %s", titles(got))
	}
	if r := e.do("GET", "/api/v1/events?status=draft", fan, nil); r.Status != http.StatusBadRequest || !strings.Contains(r.Error.Message, "organizer=me") {
		t.Errorf("drafts of others: got %d %+v", r.Status, r.Error)
	}

	// Pages of two walk every event once, in order, for every sort.
	for _, sort := range []string{"date", "newest", "popularity"} {
		var seen []int64
		cursor := ""
		for range 10 {
			got, r := list(user{}, "limit=2&sort="+sort+"&cursor="+cursor)
			for _, ev := range got {
				seen = append(seen, ev.ID)
			}
			if cursor = r.Page.NextCursor; cursor == "" {
				break
			}
		}
		all, _ := list(user{}, "limit=100&sort="+sort)
		if fmt.Sprint(seen) != fmt.Sprint(idsOf(all)) || len(seen) != 7 {
			t.Errorf("sort %s: pages gave %v, one page gives %v", sort, seen, idsOf(all))
		}
	}

	bad := []struct{ name, query, field string }{
		{"limit too big", "limit=10000", "limit"},
		{"limit zero", "limit=0", "limit"},
		{"unknown sort", "sort=random", "sort"},
		{"malformed cursor", "cursor=%21%21%21", "cursor"},
		{"garbage cursor", "cursor=bm90LWpzb24", "cursor"},
		{"cursor of another sort", "sort=newest&cursor=" + firstCursor(t, e, "date"), "cursor"},
		{"bad from", "from=yesterday", "from"},
		{"from after to", "from=" + to + "&to=" + from, "from"},
		{"bad organizer", "organizer=bob", "organizer"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", "/api/v1/events?"+tc.query, user{}, nil)
			if r.Status != http.StatusBadRequest {
				t.Fatalf("got %d %s, want 400", r.Status, r.Raw)
			}
			if tc.field != "" && !strings.Contains(string(r.Raw), tc.field) {
				t.Errorf("error does not name %s: %s", tc.field, r.Raw)
			}
		})
	}
}

func firstCursor(t *testing.T, e *env, sort string) string {
	t.Helper()
	r := e.do("GET", "/api/v1/events?limit=1&sort="+sort, user{}, nil)
	if r.Page.NextCursor == "" {
		t.Fatalf("no cursor for sort %s: %s", sort, r.Raw)
	}
	return r.Page.NextCursor
}

func idsOf(evs []event) []int64 {
	var ids []int64
	for _, ev := range evs {
		ids = append(ids, ev.ID)
	}
	return ids
}
