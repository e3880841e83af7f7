package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/events-platform/events-platform/internal/auth"
)

// wantBad checks a 400 validation_failed answer that names field.
func wantBad(t *testing.T, r response, field string) {
	t.Helper()
	if r.Status != http.StatusBadRequest || r.Error.Code != "validation_failed" {
		t.Errorf("got %d %s, want 400 validation_failed", r.Status, r.Raw)
		return
	}
	for _, d := range r.Error.Details {
		if d.Field == field {
			return
		}
	}
	t.Errorf("error does not name field %s: %s", field, r.Raw)
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// TestDatesStayInASaneWindow: date and end_date are refused outside now..now+10 years, and
// end before start, on create and on update, with a 400 naming the field; an event can
// be moved only to a future time.
func TestDatesStayInASaneWindow(t *testing.T) {
	e := newEnv(t)
	org := e.newUser("organizer")
	now := time.Now()
	soon, far := now.Add(72*time.Hour), now.AddDate(10, 1, 0)
	create := []struct {
		name  string
		body  any
		field string
	}{
		{"end in year 10000 local", eventBody("end_date", "9999-12-31T23:59:59Z", "timezone", "Europe/Berlin"), "end_date"},
		{"end more than ten years ahead", eventBody("end_date", rfc(far)), "end_date"},
		{"date more than ten years ahead", eventBody("date", rfc(far)), "date"},
		{"date in year 9999", eventBody("date", "9999-01-01T00:00:00Z"), "date"},
		{"date in year 0001", eventBody("date", "0001-01-01T00:00:00Z"), "date"},
		{"end equal to start", eventBody("date", rfc(soon), "end_date", rfc(soon)), "end_date"},
	}
	for _, tc := range create {
		t.Run("create/"+tc.name, func(t *testing.T) {
			wantBad(t, e.do("POST", "/api/v1/events", org, tc.body), tc.field)
		})
	}

	ev := e.createEvent(org, true, "date", rfc(soon), "end_date", rfc(soon.Add(2*time.Hour)))
	path := fmt.Sprintf("/api/v1/events/%d", ev.ID)
	update := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"date in the past", map[string]any{"date": "2020-01-01T00:00:00Z"}, "date"},
		{"date an hour ago", map[string]any{"date": rfc(now.Add(-time.Hour))}, "date"},
		{"date more than ten years ahead", map[string]any{"date": rfc(far)}, "date"},
		{"end in year 10000 local", map[string]any{"end_date": "9999-12-31T23:59:59Z"}, "end_date"},
		{"end in the past", map[string]any{"end_date": rfc(now.Add(-time.Hour))}, "end_date"},
		{"end before the stored start", map[string]any{"end_date": rfc(soon.Add(-time.Hour))}, "end_date"},
		{"start after the stored end", map[string]any{"date": rfc(soon.Add(3 * time.Hour))}, "end_date"},
	}
	for _, tc := range update {
		t.Run("update/"+tc.name, func(t *testing.T) {
			wantBad(t, e.do("PATCH", path, org, tc.body), tc.field)
		})
	}
	got := decode[event](t, e.do("GET", path, org, nil))
	if got.Status != "published" || got.Date != ev.Date {
		t.Fatalf("after refused changes: got status %s date %s, want published %s", got.Status, got.Date, ev.Date)
	}
	// Moving to a later time, with its end, is fine.
	later := soon.Add(48 * time.Hour).Truncate(time.Second)
	r := e.do("PATCH", path, org, map[string]any{"date": rfc(later), "end_date": rfc(later.Add(time.Hour))})
	if r.Status != http.StatusOK {
		t.Fatalf("move to a later date: got %d %s", r.Status, r.Raw)
	}
	if d, _ := time.Parse(time.RFC3339, decode[event](t, r).Date); !d.Equal(later) {
		t.Errorf("moved date: got %s, want %s", decode[event](t, r).Date, rfc(later))
	}
	// end_date null removes the end.
	r = e.do("PATCH", path, org, map[string]any{"end_date": nil})
	if r.Status != http.StatusOK || strings.Contains(string(r.Data), "end_date") {
		t.Errorf("end_date null: got %d %s, want 200 without end_date", r.Status, r.Raw)
	}
}

// TestReadsSurviveExtremeStoredDates: an event whose stored times cannot be written in
// its zone as RFC 3339 (a local year of five digits) still reads, alone and in lists.
func TestReadsSurviveExtremeStoredDates(t *testing.T) {
	e := newEnv(t)
	org, fan := e.newUser("organizer"), e.newUser("attendee")
	odd := e.createEvent(org, true, "title", "Far away", "timezone", "Europe/Berlin")
	fine := e.createEvent(org, true, "title", "Next week", "date", rfc(time.Now().Add(7*24*time.Hour)))
	for _, ev := range []event{odd, fine} {
		if r := e.do("POST", fmt.Sprintf("/api/v1/events/%d/registrations", ev.ID), fan, nil); r.Status != http.StatusCreated {
			t.Fatalf("register: got %d %s", r.Status, r.Raw)
		}
		if r := e.do("POST", fmt.Sprintf("/api/v1/events/%d/favorite", ev.ID), fan, nil); r.Status != http.StatusCreated {
			t.Fatalf("favorite: got %d %s", r.Status, r.Raw)
		}
	}
	for _, set := range []string{
		`ends_at = '9999-12-31 23:59:59+00'`,
		`starts_at = '12345-06-01 00:00:00+00', ends_at = '12345-06-02 00:00:00+00'`,
	} {
		if _, err := e.db.Exec(context.Background(), `UPDATE events SET `+set+` WHERE id = $1`, odd.ID); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{
			fmt.Sprintf("/api/v1/events/%d", odd.ID), "/api/v1/events", "/api/v1/events?sort=newest", "/api/v1/events?organizer=me",
			"/api/v1/users/me/registrations", "/api/v1/users/me/favorites",
		} {
			as := fan
			if strings.Contains(path, "organizer=me") {
				as = org
			}
			r := e.do("GET", path, as, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Raw), "Far away") || !strings.Contains(string(r.Raw), "Next week") && path != fmt.Sprintf("/api/v1/events/%d", odd.ID) {
				t.Errorf("%s with %s: got %d %s", path, set, r.Status, r.Raw)
			}
		}
	}
}

// TestUpdateCapacity: null makes the capacity unlimited (and seats go to the waitlist),
// absent leaves it, and it cannot drop below the confirmed registrations.
func TestUpdateCapacity(t *testing.T) {
	e := newEnv(t)
	org := e.newUser("organizer")
	ev := e.createEvent(org, true, "capacity", 1)
	path := fmt.Sprintf("/api/v1/events/%d", ev.ID)
	for _, u := range e.newUsers(3) {
		if r := e.do("POST", path+"/registrations", u, nil); r.Status != http.StatusCreated {
			t.Fatalf("register: got %d %s", r.Status, r.Raw)
		}
	}
	if r := e.do("PATCH", path, org, map[string]any{"title": "Renamed"}); r.Status != http.StatusOK || decode[event](t, r).Capacity == nil {
		t.Fatalf("absent capacity must stay: got %d %s", r.Status, r.Raw)
	}
	if r := e.do("PATCH", path, org, map[string]any{"capacity": 0}); r.Status != http.StatusBadRequest {
		t.Errorf("capacity 0: got %d %s, want 400", r.Status, r.Raw)
	}
	r := e.do("PATCH", path, org, map[string]any{"capacity": nil})
	if r.Status != http.StatusOK {
		t.Fatalf("capacity null: got %d %s, want 200", r.Status, r.Raw)
	}
	got := decode[event](t, r)
	if got.Capacity != nil || got.SeatsLeft != nil || got.RegisteredCount != 3 || got.WaitlistCount != 0 {
		t.Errorf("unlimited: got capacity %v seats_left %v registered %d waitlist %d, want null, null, 3, 0",
			got.Capacity, got.SeatsLeft, got.RegisteredCount, got.WaitlistCount)
	}
	r = e.do("PATCH", path, org, map[string]any{"capacity": 2})
	if r.Status != http.StatusConflict || !strings.Contains(r.Error.Message, "3 confirmed") {
		t.Errorf("capacity below the registered count: got %d %s, want 409", r.Status, r.Raw)
	}
	if r := e.do("PATCH", path, org, map[string]any{"capacity": 3}); r.Status != http.StatusOK || *decode[event](t, r).SeatsLeft != 0 {
		t.Errorf("capacity equal to the registered count: got %d %s", r.Status, r.Raw)
	}
}

// TestCancelReason: the reason is stored, shown and sent to registrants; the body is
// optional and checked like every other.
func TestCancelReason(t *testing.T) {
	e := newEnv(t)
	org, fan := e.newUser("organizer"), e.newUser("attendee")
	ev := e.createEvent(org, true)
	path := fmt.Sprintf("/api/v1/events/%d", ev.ID)
	e.do("POST", path+"/registrations", fan, nil)
	for name, body := range map[string]any{
		"unknown field": map[string]any{"reason": "x", "notify": false},
		"long reason":   map[string]any{"reason": strings.Repeat("x", 501)},
		"wrong type":    map[string]any{"reason": 7},
	} {
		if r := e.do("POST", path+"/cancel", org, body); r.Status != http.StatusBadRequest {
			t.Errorf("%s: got %d %s, want 400", name, r.Status, r.Raw)
		}
	}
	r := e.do("POST", path+"/cancel", org, map[string]any{"reason": "  The venue flooded.  "})
	if r.Status != http.StatusOK {
		t.Fatalf("cancel with a reason: got %d %s", r.Status, r.Raw)
	}
	type withReason struct {
		Status       string `json:"status"`
		CancelReason string `json:"cancel_reason"`
	}
	for _, r := range []response{r, e.do("GET", path, fan, nil)} {
		if got := decode[withReason](t, r); got.Status != "cancelled" || got.CancelReason != "The venue flooded." {
			t.Errorf("cancelled event: got %s", r.Raw)
		}
	}
	var payload []byte
	if err := e.db.QueryRow(context.Background(), `SELECT payload FROM outbox WHERE subject = 'platform.event.cancelled'`).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Reason      string  `json:"reason"`
		Registrants []int64 `json:"registrant_ids"`
	}
	if err := json.Unmarshal(payload, &msg); err != nil || msg.Reason != "The venue flooded." || len(msg.Registrants) != 1 {
		t.Errorf("event.cancelled payload: got %s", payload)
	}

	// Without a body there is no reason, and none is shown.
	other := e.createEvent(org, true)
	r = e.do("POST", fmt.Sprintf("/api/v1/events/%d/cancel", other.ID), org, nil)
	if r.Status != http.StatusOK || strings.Contains(string(r.Raw), "cancel_reason") {
		t.Errorf("cancel without a body: got %d %s", r.Status, r.Raw)
	}
}

// TestCurrenciesAndCategories: only ISO 4217 codes and the platform's categories, which a
// public endpoint lists.
func TestCurrenciesAndCategories(t *testing.T) {
	e := newEnv(t)
	org := e.newUser("organizer")
	r := e.do("GET", "/api/v1/events/categories", user{}, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("categories: got %d %s", r.Status, r.Raw)
	}
	type category struct{ Slug, Name string }
	slugs := map[string]string{}
	for _, c := range decode[[]category](t, r) {
		slugs[c.Slug] = c.Name
	}
	// The seed data's categories, which search filters by.
	for _, s := range []string{"technology", "music", "food", "sports", "arts", "business", "education", "community", "health"} {
		if slugs[s] == "" {
			t.Errorf("category %s missing from %s", s, r.Raw)
		}
	}

	ev := e.createEvent(org, false)
	path := fmt.Sprintf("/api/v1/events/%d", ev.ID)
	for _, cur := range []string{"XYZ", "ABC", "EUX"} {
		wantBad(t, e.do("POST", "/api/v1/events", org, eventBody("currency", cur)), "currency")
		wantBad(t, e.do("PATCH", path, org, map[string]any{"currency": cur}), "currency")
	}
	for _, cat := range []string{"nonsense", "tech", "music2"} {
		wantBad(t, e.do("POST", "/api/v1/events", org, eventBody("category", cat)), "category")
		wantBad(t, e.do("PATCH", path, org, map[string]any{"category": cat}), "category")
	}
	for _, kv := range [][]any{{"currency", "JPY", "category", "food"}, {"currency", "CHF", "category", "Arts"}, {"currency", "AED"}} {
		if r := e.do("POST", "/api/v1/events", org, eventBody(kv...)); r.Status != http.StatusCreated {
			t.Errorf("create with %v: got %d %s", kv, r.Status, r.Raw)
		}
	}
	if r := e.do("PATCH", path, org, map[string]any{"currency": "GBP", "category": "business"}); r.Status != http.StatusOK {
		t.Errorf("update to GBP, business: got %d %s", r.Status, r.Raw)
	}
}

// TestListTimesTakeDates: from and to read a plain date as well as RFC 3339, and a bad
// one gets a message for people.
func TestListTimesTakeDates(t *testing.T) {
	e := newEnv(t)
	org := e.newUser("organizer")
	day := time.Now().AddDate(0, 0, 5).UTC()
	e.createEvent(org, true, "title", "Five days", "date", rfc(day))
	next := day.AddDate(0, 0, 1).Format(time.DateOnly)
	for query, want := range map[string]bool{
		"from=" + day.AddDate(0, 0, -1).Format(time.DateOnly): true,
		"from=" + next: false,
		"to=" + next:   true,
		"from=2027-01-01T00:00:00Z&to=2027-01-01": false,
	} {
		r := e.do("GET", "/api/v1/events?"+query, user{}, nil)
		if query == "from=2027-01-01T00:00:00Z&to=2027-01-01" {
			wantBad(t, r, "from")
			continue
		}
		if r.Status != http.StatusOK || strings.Contains(string(r.Raw), "Five days") != want {
			t.Errorf("%s: got %d %s, want the event %v", query, r.Status, r.Raw, want)
		}
	}
	for _, q := range []string{"from=yesterday", "to=2027-13-01", "from=01/02/2027"} {
		r := e.do("GET", "/api/v1/events?"+q, user{}, nil)
		field := strings.SplitN(q, "=", 2)[0]
		wantBad(t, r, field)
		if strings.Contains(string(r.Raw), "2006") || strings.Contains(string(r.Raw), "parsing time") {
			t.Errorf("%s: message quotes Go: %s", q, r.Raw)
		}
	}
}

// TestDeletedAccountLists: a token that outlived its account is told so on its lists.
func TestDeletedAccountLists(t *testing.T) {
	e := newEnv(t)
	ghost := user{ID: 1 << 40, Role: "attendee"}
	ghost.Token, _ = e.signer.Sign(auth.Identity{UserID: ghost.ID, Role: ghost.Role})
	fan := e.newUser("attendee")
	for _, path := range []string{"/api/v1/users/me/registrations", "/api/v1/users/me/favorites"} {
		if r := e.do("GET", path, ghost, nil); r.Status != http.StatusUnauthorized || !strings.Contains(r.Error.Message, "no longer exists") {
			t.Errorf("GET %s by a deleted account: got %d %s, want 401", path, r.Status, r.Raw)
		}
		if r := e.do("GET", path, fan, nil); r.Status != http.StatusOK {
			t.Errorf("GET %s by a user without any: got %d %s, want 200", path, r.Status, r.Raw)
		}
	}
}
