// Package seed fills a database with demo users and events for local development and
// demos. It is idempotent: a second run adds nothing.
package seed

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/schollz/progressbar/v3"

	"github.com/events-platform/events-platform/internal/auth"
)

// DemoPassword is every demo account's password, as the seed design's clients expect.
const DemoPassword = "password123"

// Options size the demo data.
type Options struct {
	Users  int // generated attendees besides the named demo accounts
	Events int
	Seed   uint64 // random seed, for repeatable data
}

// Result counts what a run inserted.
type Result struct {
	Users  int
	Events int
}

type account struct{ email, name, role string }

// Named demo accounts, always present.
var accounts = []account{
	{"admin@example.com", "Ada Admin", auth.RoleAdmin},
	{"organizer@example.com", "Olu Organizer", auth.RoleOrganizer},
	{"alice@example.com", "Alice Attendee", auth.RoleAttendee},
	{"bob@example.com", "Bob Attendee", auth.RoleAttendee},
}

type city struct {
	name, country string
	lat, lng      float64
}

var cities = []city{
	{"San Francisco", "US", 37.7749, -122.4194}, {"New York", "US", 40.7128, -74.0060},
	{"London", "GB", 51.5074, -0.1278}, {"Berlin", "DE", 52.5200, 13.4050},
	{"Paris", "FR", 48.8566, 2.3522}, {"Tokyo", "JP", 35.6762, 139.6503},
	{"Toronto", "CA", 43.6532, -79.3832}, {"Sydney", "AU", -33.8688, 151.2093},
	{"Amsterdam", "NL", 52.3676, 4.9041}, {"Lisbon", "PT", 38.7223, -9.1393},
}

var categories = map[string][]string{
	"technology": {"Tech Conference", "Go Meetup", "AI Workshop", "Kubernetes Day", "Startup Pitch Night"},
	"music":      {"Jazz Night", "Techno Rave", "Indie Showcase", "Symphony in the Park", "Open Mic"},
	"sports":     {"City Marathon", "Yoga in the Park", "Climbing Meetup", "5-a-side Football", "Cycling Tour"},
	"food":       {"Street Food Festival", "Wine Tasting", "Cooking Class", "Coffee Cupping", "Vegan Brunch"},
	"arts":       {"Gallery Opening", "Photography Walk", "Theatre Premiere", "Poetry Slam", "Design Week"},
	"business":   {"Founders Breakfast", "Marketing Summit", "Leadership Forum", "Networking Mixer", "Product Meetup"},
}

var tagsByCategory = map[string][]string{
	"technology": {"golang", "ai", "cloud", "startups", "kubernetes", "data"},
	"music":      {"live", "jazz", "electronic", "indie", "classical"},
	"sports":     {"outdoors", "running", "fitness", "team", "wellness"},
	"food":       {"tasting", "vegan", "wine", "street-food", "coffee"},
	"arts":       {"exhibition", "photography", "theatre", "poetry", "design"},
	"business":   {"networking", "marketing", "leadership", "founders", "product"},
}

// Run inserts the demo data. progress receives a progress bar for long runs (nil: none).
func Run(ctx context.Context, db *pgxpool.Pool, opts Options, progress io.Writer) (Result, error) {
	var res Result
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	// One hash for every demo account: hashing thousands of passwords would take minutes,
	// and the accounts share a password anyway.
	hash, err := auth.HashPassword(DemoPassword)
	if err != nil {
		return res, err
	}
	all := append([]account(nil), accounts...)
	for i := 1; i <= opts.Users; i++ {
		all = append(all, account{fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("Demo User %d", i), auth.RoleAttendee})
	}
	bar := newBar(progress, len(all)+opts.Events, "seeding")
	for _, a := range all {
		tag, err := db.Exec(ctx, `
			INSERT INTO users (email, password_hash, name, role, city)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (lower(email)) DO NOTHING`,
			a.email, hash, a.name, a.role, cities[rng.IntN(len(cities))].name)
		if err != nil {
			return res, fmt.Errorf("seed user %s: %w", a.email, err)
		}
		res.Users += int(tag.RowsAffected())
		_ = bar.Add(1)
	}

	var organizer int64
	if err := db.QueryRow(ctx, `SELECT id FROM users WHERE email = 'organizer@example.com'`).Scan(&organizer); err != nil {
		return res, fmt.Errorf("find demo organizer: %w", err)
	}
	var existing int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM events WHERE created_by = $1`, organizer).Scan(&existing); err != nil {
		return res, fmt.Errorf("count demo events: %w", err)
	}
	if existing > 0 {
		_ = bar.Finish()
		return res, nil // the demo events are there already
	}
	names := make([]string, 0, len(categories))
	for c := range categories {
		names = append(names, c)
	}
	slices.Sort(names)
	now := time.Now().UTC().Truncate(time.Hour)
	rows := make([][]any, 0, opts.Events)
	for i := 0; i < opts.Events; i++ {
		cat := names[rng.IntN(len(names))]
		c := cities[rng.IntN(len(cities))]
		title := categories[cat][rng.IntN(len(categories[cat]))] + " " + c.name
		tags := pick(rng, tagsByCategory[cat], 1+rng.IntN(3))
		start := now.Add(time.Duration(1+rng.IntN(180*24)) * time.Hour)
		price := 0.0
		if rng.IntN(3) > 0 {
			price = float64(5 + rng.IntN(20)*5)
		}
		rows = append(rows, []any{
			title, fmt.Sprintf("Join us for %s in %s. A %s event for everyone interested in %v.", title, c.name, cat, tags),
			cat, tags, start, start.Add(time.Duration(2+rng.IntN(6)) * time.Hour),
			c.name + " Hall", fmt.Sprintf("%d Main Street", 1+rng.IntN(200)), c.name, c.country,
			c.lat + (rng.Float64()-0.5)*0.1, c.lng + (rng.Float64()-0.5)*0.1,
			20 + rng.IntN(20)*10, price, "USD", "published", organizer, now,
		})
	}
	n, err := db.CopyFrom(ctx, pgx.Identifier{"events"}, []string{
		"title", "description", "category", "tags", "starts_at", "ends_at", "venue_name", "address",
		"city", "country", "lat", "lng", "capacity", "price", "currency", "status", "created_by", "published_at",
	}, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) { _ = bar.Add(1); return rows[i], nil }))
	if err != nil {
		return res, fmt.Errorf("seed events: %w", err)
	}
	res.Events = int(n)
	_ = bar.Finish()
	return res, nil
}

func newBar(w io.Writer, total int, desc string) *progressbar.ProgressBar {
	if w == nil || total < 200 {
		return progressbar.DefaultSilent(int64(total))
	}
	return progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
}

func pick(rng *rand.Rand, from []string, n int) []string {
	idx := rng.Perm(len(from))[:min(n, len(from))]
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = from[j]
	}
	return out
}
