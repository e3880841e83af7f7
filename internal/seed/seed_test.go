package seed_test

import (
	"context"
	"testing"

	"github.com/events-platform/events-platform/internal/seed"
	"github.com/events-platform/events-platform/test/integration"
)

func TestSeedIsRealisticConsistentAndIdempotent(t *testing.T) {
	db, _ := integration.Pool(t)
	ctx := context.Background()
	opts := seed.Options{Users: 300, Events: 600, Interactions: 6000, Seed: 7}
	res, err := seed.Run(ctx, db, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Users != 304 || res.Events != 600 || res.Registrations+res.Favorites < 5000 || res.Registrations == 0 || res.Favorites == 0 {
		t.Fatalf("first run: got %+v", res)
	}
	again, err := seed.Run(ctx, db, opts, nil)
	if err != nil || again != (seed.Result{}) {
		t.Fatalf("second run must add nothing: got %+v, %v", again, err)
	}

	checks := []struct {
		name string
		sql  string
		want func(n float64) bool
		text string
	}{
		{"demo accounts", `SELECT count(*) FROM users WHERE email IN ('alice@example.com', 'organizer@example.com', 'admin@example.com', 'bob@example.com')`,
			func(n float64) bool { return n == 4 }, "4"},
		{"generated organizers", `SELECT count(*) FROM users WHERE role = 'organizer'`, func(n float64) bool { return n == 4 }, "4 (demo + 1 per 100 users)"},
		{"demo organizer has events", `SELECT count(*) FROM events e JOIN users u ON u.id = e.created_by WHERE u.email = 'organizer@example.com'`,
			func(n float64) bool { return n >= 1 }, ">= 1"},
		{"cities", `SELECT count(DISTINCT city) FROM events`, func(n float64) bool { return n >= 25 }, ">= 25"},
		{"coordinates near their city", `SELECT count(*) FROM events WHERE city = 'Berlin' AND NOT (lat BETWEEN 52.3 AND 52.7 AND lng BETWEEN 13.2 AND 13.6)`,
			func(n float64) bool { return n == 0 }, "0"},
		{"skewed categories: the top one has far more than the last", `
			SELECT max(c)::float / min(c) FROM (SELECT count(*) c FROM events GROUP BY category) x`, func(n float64) bool { return n > 4 }, "> 4"},
		{"a year of dates", `SELECT extract(day FROM max(starts_at) - min(starts_at)) FROM events`, func(n float64) bool { return n > 300 }, "> 300 days"},
		{"ended events are completed", `SELECT count(*) FROM events WHERE ends_at < now() AND status = 'published'`, func(n float64) bool { return n == 0 }, "0"},
		{"free and paid", `SELECT count(*) FILTER (WHERE price = 0)::float / count(*) FROM events`, func(n float64) bool { return n > 0.2 && n < 0.5 }, "20-50% free"},
		{"counters match the rows", `
			SELECT count(*) FROM events e WHERE registered_count <> (SELECT count(*) FROM event_registrations r WHERE r.event_id = e.id AND r.status = 'confirmed')
			   OR waitlist_count <> (SELECT count(*) FROM event_registrations r WHERE r.event_id = e.id AND r.status = 'waitlisted')`,
			func(n float64) bool { return n == 0 }, "0"},
		{"never overbooked", `SELECT count(*) FROM events WHERE registered_count > capacity`, func(n float64) bool { return n == 0 }, "0"},
		{"some events are full with a waitlist", `SELECT count(*) FROM events WHERE registered_count = capacity AND waitlist_count > 0`,
			func(n float64) bool { return n >= 1 }, ">= 1"},
		{"waitlists come after the confirmed", `
			SELECT count(*) FROM event_registrations w JOIN event_registrations c ON c.event_id = w.event_id
			WHERE w.status = 'waitlisted' AND c.status = 'confirmed' AND c.id > w.id`, func(n float64) bool { return n == 0 }, "0"},
		{"users keep to their tastes", `
			SELECT avg((e.category = ANY(u.interests))::int) FROM event_registrations r
			JOIN users u ON u.id = r.user_id JOIN events e ON e.id = r.event_id`, func(n float64) bool { return n > 0.7 }, "> 70% in their interests"},
		{"popularity is skewed: the top 10% of events get most registrations", `
			SELECT sum(n) FILTER (WHERE rk <= 60)::float / sum(n) FROM (
				SELECT count(*) n, row_number() OVER (ORDER BY count(*) DESC) rk FROM event_registrations GROUP BY event_id) x`,
			func(n float64) bool { return n > 0.4 }, "> 40%"},
		{"cities of published events", `SELECT count(DISTINCT city) FROM events WHERE status = 'published' AND city <> ''`, func(n float64) bool { return n >= 25 }, ">= 25"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			var n float64
			if err := db.QueryRow(ctx, c.sql).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if !c.want(n) {
				t.Errorf("got %v, want %s", n, c.text)
			}
		})
	}
}
