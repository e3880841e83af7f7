package events_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/events-platform/events-platform/internal/auth"
)

func TestRegistrationWaitlistCancelAndPromote(t *testing.T) {
	e := newEnv(t)
	org := e.newUser("organizer")
	a, b, c, d := e.newUser("attendee"), e.newUser("attendee"), e.newUser("attendee"), e.newUser("attendee")
	ev := e.createEvent(org, true, "capacity", 2)
	regPath := fmt.Sprintf("/api/v1/events/%d/registrations", ev.ID)

	want := []struct {
		who      user
		status   string
		position int
	}{{a, "confirmed", 0}, {b, "confirmed", 0}, {c, "waitlisted", 1}, {d, "waitlisted", 2}}
	for i, w := range want {
		r := e.do("POST", regPath, w.who, nil)
		got := decode[registration](t, r)
		if r.Status != http.StatusCreated || got.Status != w.status || got.WaitlistPosition != w.position || got.UserID != w.who.ID {
			t.Fatalf("registration %d: got %d %s, want %s at %d", i, r.Status, r.Raw, w.status, w.position)
		}
	}
	if r := e.do("POST", regPath, a, nil); r.Status != http.StatusConflict || !strings.Contains(r.Error.Message, "already registered") {
		t.Errorf("second registration: got %d %+v", r.Status, r.Error)
	}
	if r := e.do("POST", regPath, user{}, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("anonymous registration: got %d", r.Status)
	}
	if r := e.do("POST", "/api/v1/events/999999/registrations", a, nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown event: got %d", r.Status)
	}
	// A token that outlived its account: a clear 401, and nothing written.
	ghost := user{ID: 1 << 40, Role: "attendee"}
	ghost.Token, _ = e.signer.Sign(auth.Identity{UserID: ghost.ID, Role: ghost.Role})
	for _, path := range []string{regPath, fmt.Sprintf("/api/v1/events/%d/favorite", ev.ID)} {
		if r := e.do("POST", path, ghost, nil); r.Status != http.StatusUnauthorized || !strings.Contains(r.Error.Message, "no longer exists") {
			t.Errorf("POST %s by a deleted account: got %d %s, want 401", path, r.Status, r.Raw)
		}
	}
	got := decode[event](t, e.do("GET", fmt.Sprintf("/api/v1/events/%d", ev.ID), user{}, nil))
	if got.RegisteredCount != 2 || got.WaitlistCount != 2 || *got.SeatsLeft != 0 {
		t.Fatalf("counts: got registered %d, waitlist %d, seats left %d", got.RegisteredCount, got.WaitlistCount, *got.SeatsLeft)
	}

	// A confirmed attendee cancels: the head of the waitlist (c) takes the seat.
	r := e.do("DELETE", regPath+"/me", a, nil)
	if r.Status != http.StatusOK || decode[registration](t, r).Status != "cancelled" {
		t.Fatalf("cancel: got %d %s", r.Status, r.Raw)
	}
	if r := e.do("DELETE", regPath+"/me", a, nil); r.Status != http.StatusNotFound {
		t.Errorf("cancel twice: got %d", r.Status)
	}
	mine := decode[[]struct {
		registration
		Event struct{ Title string } `json:"event"`
	}](t, e.do("GET", "/api/v1/users/me/registrations", c, nil))
	if len(mine) != 1 || mine[0].Status != "confirmed" || mine[0].Event.Title != "Go Meetup" {
		t.Fatalf("c after the promotion: got %+v", mine)
	}
	mine = decode[[]struct {
		registration
		Event struct{ Title string } `json:"event"`
	}](t, e.do("GET", "/api/v1/users/me/registrations", d, nil))
	if len(mine) != 1 || mine[0].Status != "waitlisted" || mine[0].WaitlistPosition != 1 {
		t.Fatalf("d moves up to position 1: got %+v", mine)
	}
	// a registers again: to the back of the line.
	if r := e.do("POST", regPath, a, nil); decode[registration](t, r).Status != "waitlisted" || decode[registration](t, r).WaitlistPosition != 2 {
		t.Errorf("registering again: got %d %s", r.Status, r.Raw)
	}
	// Raising the capacity promotes the waitlist in order.
	if r := e.do("PATCH", fmt.Sprintf("/api/v1/events/%d", ev.ID), org, map[string]any{"capacity": 3}); r.Status != http.StatusOK ||
		decode[event](t, r).RegisteredCount != 3 || decode[event](t, r).WaitlistCount != 1 {
		t.Errorf("capacity 3: got %d %s", r.Status, r.Raw)
	}
	if r := e.do("PATCH", fmt.Sprintf("/api/v1/events/%d", ev.ID), org, map[string]any{"capacity": 1}); r.Status != http.StatusConflict {
		t.Errorf("capacity below the confirmed: got %d %s", r.Status, r.Raw)
	}

	// Attendees, JSON and CSV.
	list := decode[[]registration](t, e.do("GET", regPath, org, nil))
	var summary []string
	for _, x := range list {
		summary = append(summary, fmt.Sprintf("%d:%s:%d", x.UserID, x.Status, x.WaitlistPosition))
	}
	wantList := []string{fmt.Sprintf("%d:confirmed:0", b.ID), fmt.Sprintf("%d:confirmed:0", c.ID), fmt.Sprintf("%d:confirmed:0", d.ID), fmt.Sprintf("%d:waitlisted:1", a.ID)}
	if strings.Join(summary, " ") != strings.Join(wantList, " ") {
		t.Errorf("attendees: got %v, want %v", summary, wantList)
	}
	r = e.do("GET", regPath+"?format=csv", org, nil)
	rows, err := csv.NewReader(strings.NewReader(string(r.Raw))).ReadAll()
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || err != nil || len(rows) != 5 || rows[0][3] != "email" {
		t.Fatalf("CSV: got %d %q %v %q", r.Status, r.Header.Get("Content-Type"), err, r.Raw)
	}
	if r := e.do("GET", regPath, a, nil); r.Status != http.StatusForbidden {
		t.Errorf("attendees as an attendee: got %d", r.Status)
	}

	// Check-in: once, then "already checked in"; waitlisted registrations cannot.
	checkIn := fmt.Sprintf("/api/v1/events/%d/check-ins", ev.ID)
	r = e.do("POST", checkIn, org, map[string]any{"user_id": b.ID})
	if r.Status != http.StatusCreated || !strings.Contains(string(r.Data), `"already_checked_in":false`) {
		t.Fatalf("check-in: got %d %s", r.Status, r.Raw)
	}
	r = e.do("POST", checkIn, org, map[string]any{"registration_id": decode[struct {
		Registration registration `json:"registration"`
	}](t, r).Registration.ID})
	if r.Status != http.StatusOK || !strings.Contains(string(r.Data), `"already_checked_in":true`) || !strings.Contains(string(r.Data), "already checked in") {
		t.Errorf("second scan: got %d %s", r.Status, r.Raw)
	}
	if r := e.do("POST", checkIn, org, map[string]any{"user_id": a.ID}); r.Status != http.StatusConflict {
		t.Errorf("check in a waitlisted registration: got %d %s", r.Status, r.Raw)
	}
	if r := e.do("POST", checkIn, org, map[string]any{}); r.Status != http.StatusBadRequest {
		t.Errorf("check in nobody: got %d", r.Status)
	}
	if r := e.do("POST", checkIn, org, map[string]any{"user_id": 999999}); r.Status != http.StatusNotFound {
		t.Errorf("check in a stranger: got %d", r.Status)
	}
}

// TestConcurrentRegistrationsNeverOverbook: 500 concurrent registrations for 50 seats
// give exactly 50 confirmed and 450 waitlisted in order; concurrent cancellations promote
// exactly as many from the head of the waitlist.
func TestConcurrentRegistrationsNeverOverbook(t *testing.T) {
	e := newEnv(t)
	org := e.newUser("organizer")
	ev := e.createEvent(org, true, "capacity", 50)
	people := e.newUsers(500)
	regPath := fmt.Sprintf("/api/v1/events/%d/registrations", ev.ID)

	results := make([]registration, len(people))
	var wg sync.WaitGroup
	errs := make(chan error, len(people))
	for i, p := range people {
		wg.Go(func() {
			r, err := e.try("POST", regPath, p, nil)
			if err == nil && r.Status != http.StatusCreated {
				err = fmt.Errorf("user %d: got %d %s", p.ID, r.Status, r.Raw)
			}
			if err != nil {
				errs <- err
				return
			}
			if err := json.Unmarshal(r.Data, &results[i]); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	confirmed, positions := 0, []int{}
	for _, r := range results {
		switch r.Status {
		case "confirmed":
			confirmed++
		case "waitlisted":
			positions = append(positions, r.WaitlistPosition)
		}
	}
	slices.Sort(positions)
	if confirmed != 50 || len(positions) != 450 {
		t.Fatalf("got %d confirmed and %d waitlisted, want 50 and 450", confirmed, len(positions))
	}
	for i, p := range positions {
		if p != i+1 {
			t.Fatalf("waitlist positions are not 1..450 each once: position %d at rank %d", p, i+1)
		}
	}
	checkConsistent(t, e, ev.ID, 50, 450)

	// The positions the clients were told match the waitlist's id order.
	byID := map[int64]registration{}
	for _, r := range results {
		byID[r.ID] = r
	}
	rows, _ := e.db.Query(context.Background(), `SELECT id FROM event_registrations WHERE event_id = $1 AND status = 'waitlisted' ORDER BY id`, ev.ID)
	n := 0
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		n++
		if byID[id].WaitlistPosition != n {
			t.Fatalf("registration %d is %dth in line but was told position %d", id, n, byID[id].WaitlistPosition)
		}
	}
	rows.Close()

	// 20 confirmed attendees and 10 waitlisted ones cancel at once.
	var cancelling []user
	var headIDs []int64
	for i, r := range results {
		if r.Status == "confirmed" && len(cancelling) < 20 {
			cancelling = append(cancelling, people[i])
		}
	}
	waitlisted := 0
	for i, r := range results {
		if r.Status == "waitlisted" && r.WaitlistPosition > 100 && waitlisted < 10 {
			cancelling = append(cancelling, people[i])
			waitlisted++
		}
	}
	for _, r := range results {
		if r.Status == "waitlisted" && r.WaitlistPosition <= 20 {
			headIDs = append(headIDs, r.UserID)
		}
	}
	for _, p := range cancelling {
		wg.Go(func() {
			if r, err := e.try("DELETE", regPath+"/me", p, nil); err != nil || r.Status != http.StatusOK {
				t.Errorf("cancel for user %d: %v %d %s", p.ID, err, r.Status, r.Raw)
			}
		})
	}
	wg.Wait()
	checkConsistent(t, e, ev.ID, 50, 420)
	var promoted []int64
	rows, _ = e.db.Query(context.Background(), `
		SELECT user_id FROM event_registrations WHERE event_id = $1 AND status = 'confirmed'
		AND user_id = ANY($2) ORDER BY user_id`, ev.ID, headIDs)
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		promoted = append(promoted, id)
	}
	rows.Close()
	slices.Sort(headIDs)
	if !slices.Equal(promoted, headIDs) {
		t.Errorf("promoted: got %d of the 20 at the head of the waitlist (%v), want all of %v", len(promoted), promoted, headIDs)
	}
	var outboxPromoted int
	_ = e.db.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE subject = 'platform.registration.promoted'`).Scan(&outboxPromoted)
	if outboxPromoted != 20 {
		t.Errorf("promotion messages: got %d, want 20", outboxPromoted)
	}
}

// checkConsistent checks the event's counters against its registration rows.
func checkConsistent(t *testing.T, e *env, eventID int64, confirmed, waitlisted int) {
	t.Helper()
	var regCount, waitCount, rowsConfirmed, rowsWaitlisted, users, live int
	err := e.db.QueryRow(context.Background(), `
		SELECT e.registered_count, e.waitlist_count,
			(SELECT count(*) FROM event_registrations WHERE event_id = e.id AND status = 'confirmed'),
			(SELECT count(*) FROM event_registrations WHERE event_id = e.id AND status = 'waitlisted'),
			(SELECT count(DISTINCT user_id) FROM event_registrations WHERE event_id = e.id AND status <> 'cancelled'),
			(SELECT count(*) FROM event_registrations WHERE event_id = e.id AND status <> 'cancelled')
		FROM events e WHERE e.id = $1`, eventID).Scan(&regCount, &waitCount, &rowsConfirmed, &rowsWaitlisted, &users, &live)
	if err != nil {
		t.Fatal(err)
	}
	if regCount != confirmed || rowsConfirmed != confirmed || waitCount != waitlisted || rowsWaitlisted != waitlisted || users != live {
		t.Fatalf("counters %d/%d, rows %d/%d (%d users in %d live rows); want %d confirmed, %d waitlisted, no user twice",
			regCount, waitCount, rowsConfirmed, rowsWaitlisted, users, live, confirmed, waitlisted)
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	org, fan := e.newUser("organizer"), e.newUser("attendee")
	body := eventBody("title", "Once")
	first := e.do("POST", "/api/v1/events", org, body, "Idempotency-Key", "create-1")
	again := e.do("POST", "/api/v1/events", org, body, "Idempotency-Key", "create-1")
	if first.Status != http.StatusCreated || again.Status != http.StatusCreated || string(first.Raw) != string(again.Raw) {
		t.Fatalf("retry: got %d then %d, bodies equal %v", first.Status, again.Status, string(first.Raw) == string(again.Raw))
	}
	if again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay header missing")
	}
	var n int
	_ = e.db.QueryRow(context.Background(), `SELECT count(*) FROM events WHERE title = 'Once'`).Scan(&n)
	if n != 1 {
		t.Errorf("events created: got %d, want 1", n)
	}
	if r := e.do("POST", "/api/v1/events", org, eventBody("title", "Other"), "Idempotency-Key", "create-1"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("same key, other body: got %d %s", r.Status, r.Raw)
	}
	// Keys are per caller: another user's identical key is theirs.
	ev := e.createEvent(org, true, "capacity", 1)
	path := fmt.Sprintf("/api/v1/events/%d/registrations", ev.ID)
	r1 := e.do("POST", path, fan, nil, "Idempotency-Key", "create-1")
	r2 := e.do("POST", path, fan, nil, "Idempotency-Key", "create-1")
	if r1.Status != http.StatusCreated || r2.Status != http.StatusCreated || string(r1.Raw) != string(r2.Raw) {
		t.Errorf("registration retry: got %d %s then %d %s", r1.Status, r1.Raw, r2.Status, r2.Raw)
	}
	if r := e.do("POST", path, fan, nil); r.Status != http.StatusConflict {
		t.Errorf("registration without the key: got %d, want 409", r.Status)
	}
	if r := e.do("POST", path, fan, nil, "Idempotency-Key", strings.Repeat("k", 256)); r.Status != http.StatusBadRequest {
		t.Errorf("oversized key: got %d", r.Status)
	}
	// Errors are stored too (a 4xx is the answer); a retry gets the same 409.
	if r := e.do("POST", fmt.Sprintf("/api/v1/events/%d/publish", ev.ID), org, nil, "Idempotency-Key", "pub"); r.Status != http.StatusConflict {
		t.Errorf("publish a published event: got %d", r.Status)
	}
	if r := e.do("POST", fmt.Sprintf("/api/v1/events/%d/publish", ev.ID), org, nil, "Idempotency-Key", "pub"); r.Status != http.StatusConflict || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replayed 409: got %d %v", r.Status, r.Header)
	}
}

func TestFavorites(t *testing.T) {
	e := newEnv(t)
	org, fan := e.newUser("organizer"), e.newUser("attendee")
	var evs []event
	for i := range 3 {
		evs = append(evs, e.createEvent(org, true, "title", fmt.Sprintf("Fav %d", i)))
	}
	for _, ev := range evs {
		if r := e.do("POST", fmt.Sprintf("/api/v1/events/%d/favorite", ev.ID), fan, nil); r.Status != http.StatusCreated {
			t.Fatalf("favorite: got %d %s", r.Status, r.Raw)
		}
	}
	if r := e.do("POST", fmt.Sprintf("/api/v1/events/%d/favorite", evs[0].ID), fan, nil); r.Status != http.StatusOK || !strings.Contains(string(r.Data), `"changed":false`) {
		t.Errorf("favorite again: got %d %s", r.Status, r.Raw)
	}
	if r := e.do("POST", "/api/v1/events/999999/favorite", fan, nil); r.Status != http.StatusNotFound {
		t.Errorf("favorite an unknown event: got %d", r.Status)
	}
	if r := e.do("DELETE", fmt.Sprintf("/api/v1/events/%d/favorite", evs[1].ID), fan, nil); r.Status != http.StatusOK || !strings.Contains(string(r.Data), `"changed":true`) {
		t.Errorf("unfavorite: got %d %s", r.Status, r.Raw)
	}
	var titles []string
	cursor := ""
	for range 5 {
		r := e.do("GET", "/api/v1/users/me/favorites?limit=1&cursor="+cursor, fan, nil)
		for _, f := range decode[[]struct {
			Event event `json:"event"`
		}](t, r) {
			titles = append(titles, f.Event.Title)
		}
		if cursor = r.Page.NextCursor; cursor == "" {
			break
		}
	}
	if strings.Join(titles, ",") != "Fav 2,Fav 0" {
		t.Errorf("favorites newest first: got %v", titles)
	}
	if r := e.do("GET", "/api/v1/users/me/favorites", user{}, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("anonymous favorites: got %d", r.Status)
	}
	var added, removed int
	_ = e.db.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE subject = 'platform.favorite.added'), count(*) FILTER (WHERE subject = 'platform.favorite.removed') FROM outbox`).Scan(&added, &removed)
	if added != 3 || removed != 1 {
		t.Errorf("favorite messages: got %d added, %d removed, want 3 and 1", added, removed)
	}
}
