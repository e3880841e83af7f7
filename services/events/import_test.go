package events_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/events-platform/events-platform/services/events"
)

// TestImportServesEventsRegistrationsAndFavorites: imported events, registrations and
// favorites are what the API serves afterwards: counters match the rows, the waitlist is
// served in the order given, a draft is unpublished, and nothing was published meanwhile.
func TestImportServesEventsRegistrationsAndFavorites(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org := e.newUser("organizer")
	fans := e.newUsers(3)
	if has, err := events.HasEvents(ctx, e.db, org.ID); err != nil || has {
		t.Fatalf("HasEvents before: got %v, %v; want false", has, err)
	}

	starts := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Second)
	published := starts.Add(-30 * 24 * time.Hour)
	given := []events.ImportEvent{
		{Title: "Imported Jazz Night", Description: "Live jazz", Category: "music", Tags: []string{"jazz", "live"},
			StartsAt: starts, EndsAt: starts.Add(3 * time.Hour), Timezone: "Europe/Berlin", VenueName: "Berlin Jazz Bar",
			Address: "Torstraße 12", City: "Berlin", Country: "DE", Lat: 52.529, Lng: 13.401, Capacity: 1, Price: 15, Currency: "EUR",
			Status: "published", CreatedBy: org.ID, CreatedAt: published.Add(-time.Hour), UpdatedAt: published, PublishedAt: published},
		{Title: "Imported Draft", Category: "food", Tags: []string{}, StartsAt: starts, EndsAt: starts.Add(time.Hour), Timezone: "UTC",
			Capacity: 10, Currency: "USD", Status: "draft", CreatedBy: org.ID, CreatedAt: published, UpdatedAt: published},
	}
	var ids []int64
	n, err := events.ImportEvents(ctx, e.db, len(given), func(i int, id int64) (events.ImportEvent, error) {
		ids = append(ids, id)
		return given[i], nil
	})
	if err != nil || n != 2 || len(ids) != 2 {
		t.Fatalf("ImportEvents: got %d events, ids %v, %v", n, ids, err)
	}
	jazz, draft := ids[0], ids[1]

	regs := []events.ImportRegistration{
		{EventID: jazz, UserID: fans[0].ID, Status: "confirmed", CreatedAt: published.Add(time.Hour)},
		{EventID: jazz, UserID: fans[2].ID, Status: "waitlisted", CreatedAt: published.Add(2 * time.Hour)},
		{EventID: jazz, UserID: fans[1].ID, Status: "waitlisted", CreatedAt: published.Add(3 * time.Hour)},
	}
	if n, err := events.ImportRegistrations(ctx, e.db, regs); err != nil || n != 3 {
		t.Fatalf("ImportRegistrations: got %d, %v", n, err)
	}
	favs := []events.ImportFavorite{{UserID: fans[1].ID, EventID: jazz, CreatedAt: published.Add(time.Hour)}}
	if n, err := events.ImportFavorites(ctx, e.db, favs); err != nil || n != 1 {
		t.Fatalf("ImportFavorites: got %d, %v", n, err)
	}
	if err := events.AnalyzeImported(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	var outbox int
	if err := e.db.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&outbox); err != nil || outbox != 0 {
		t.Errorf("outbox after the import: got %d rows, %v; want none", outbox, err)
	}
	if has, err := events.HasEvents(ctx, e.db, org.ID); err != nil || !has {
		t.Errorf("HasEvents after: got %v, %v; want true", has, err)
	}

	got := decode[event](t, e.do("GET", fmt.Sprintf("/api/v1/events/%d", jazz), user{}, nil))
	if got.Title != "Imported Jazz Night" || got.Status != "published" || got.RegisteredCount != 1 || got.WaitlistCount != 2 ||
		got.Location == nil || got.Location.City != "Berlin" || got.CreatedBy != org.ID {
		t.Errorf("imported event: got %+v", got)
	}
	if r := e.do("GET", fmt.Sprintf("/api/v1/events/%d", draft), user{}, nil); r.Status != http.StatusNotFound {
		t.Errorf("imported draft seen by anyone: got %d, want 404", r.Status)
	}
	var publishedAt *time.Time
	if err := e.db.QueryRow(ctx, `SELECT published_at FROM events WHERE id = $1`, draft).Scan(&publishedAt); err != nil || publishedAt != nil {
		t.Errorf("draft published_at: got %v, %v; want NULL", publishedAt, err)
	}

	// The seat frees up: the first waitlisted in the order given (fans[2]) takes it.
	if r := e.do("DELETE", fmt.Sprintf("/api/v1/events/%d/registrations/me", jazz), fans[0], nil); r.Status != http.StatusOK {
		t.Fatalf("cancel: got %d %s", r.Status, r.Raw)
	}
	var promoted int64
	if err := e.db.QueryRow(ctx, `SELECT user_id FROM event_registrations WHERE event_id = $1 AND status = 'confirmed'`, jazz).Scan(&promoted); err != nil || promoted != fans[2].ID {
		t.Errorf("promoted: got user %d, %v; want %d", promoted, err, fans[2].ID)
	}

	r := e.do("GET", "/api/v1/users/me/favorites", fans[1], nil)
	if f := decode[[]struct {
		Event event `json:"event"`
	}](t, r); len(f) != 1 || f[0].Event.ID != jazz {
		t.Errorf("imported favorite: got %s", r.Raw)
	}
}
