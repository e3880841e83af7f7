package seed_test

import (
	"context"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/events-platform/events-platform/internal/seed"
	"github.com/events-platform/events-platform/test/integration"
)

// window is when, in the event's local time, a kind of event may start (inclusive, hh:mm).
type window struct{ from, to string }

// startWindows is the plausibility rule a reader applies: concerts in the evening,
// conferences in the morning, meetups after work, sports and festivals in the daytime.
// It is stated here on its own, not read from the generator, so that the test checks it.
var startWindows = map[string]map[string]window{
	"technology": {"Meetup": {"18:00", "19:30"}, "Conference": {"09:00", "10:00"}, "Workshop": {"09:00", "10:00"},
		"Summit": {"09:00", "10:00"}, "Hackathon": {"09:00", "10:00"}, "Night": {"18:00", "19:30"}, "Day": {"09:00", "10:00"},
		"Bootcamp": {"09:00", "10:00"}},
	"music": {"Night": {"20:00", "22:00"}, "Festival": {"12:00", "15:00"}, "Showcase": {"19:00", "21:00"},
		"Concert": {"19:00", "21:00"}, "Session": {"19:00", "21:30"}, "Live": {"19:00", "21:30"}, "Open Air": {"14:00", "17:00"},
		"Rave": {"21:00", "22:00"}},
	"food": {"Festival": {"11:00", "13:00"}, "Tasting": {"18:00", "19:30"}, "Class": {"17:30", "19:00"}, "Market": {"09:00", "11:00"},
		"Pop-up": {"18:00", "20:00"}, "Brunch": {"10:00", "11:30"}, "Tour": {"11:00", "15:00"}},
	"sports": {"Meetup": {"08:00", "10:00"}, "Session": {"07:00", "10:00"}, "Tour": {"09:00", "11:00"}, "Race": {"07:30", "09:30"},
		"Class": {"09:00", "12:00"}, "League Night": {"18:30", "20:00"}, "Challenge": {"09:00", "11:00"}},
	"arts": {"Opening": {"18:00", "19:30"}, "Walk": {"10:00", "15:00"}, "Premiere": {"19:00", "20:30"}, "Slam": {"19:30", "21:00"},
		"Week": {"10:00", "11:00"}, "Screening": {"19:00", "21:00"}, "Exhibition": {"10:00", "11:00"}, "Night": {"19:00", "21:00"}},
	"business": {"Breakfast": {"07:30", "08:30"}, "Summit": {"09:00", "10:00"}, "Forum": {"09:00", "10:00"}, "Mixer": {"18:00", "19:30"},
		"Meetup": {"18:00", "19:30"}, "Masterclass": {"10:00", "14:00"}, "Roundtable": {"08:30", "12:00"}},
	"education": {"Lecture": {"18:00", "19:30"}, "Course": {"09:00", "10:00"}, "Club": {"18:00", "19:30"},
		"Workshop": {"09:00", "10:00"}, "Evening": {"18:30", "19:30"}, "Study Group": {"17:00", "19:00"}},
	"community": {"Meetup": {"18:00", "19:30"}, "Afternoon": {"13:00", "15:00"}, "Picnic": {"11:00", "13:00"},
		"Social": {"18:00", "20:00"}, "Gathering": {"14:00", "18:00"}, "Fair": {"10:00", "11:00"}},
	"health": {"Session": {"07:30", "10:00"}, "Retreat": {"09:00", "10:00"}, "Workshop": {"09:00", "10:00"},
		"Circle": {"18:30", "19:30"}, "Class": {"09:00", "12:00"}},
}

// minPaid is the least a paid ticket plausibly costs in currencies whose unit is small.
var minPaid = map[string]float64{"JPY": 500, "KRW": 5000, "INR": 100, "NGN": 1000, "ARS": 1000, "KES": 200,
	"CZK": 50, "SEK": 30, "DKK": 30, "MXN": 50, "ZAR": 50, "BRL": 10}

// addressNumberLast: countries where the house number follows the street name.
var addressNumberLast = map[string]bool{"DE": true, "AT": true, "CH": true, "NL": true, "SE": true, "DK": true,
	"CZ": true, "PL": true, "ES": true, "IT": true, "PT": true, "BR": true, "AR": true, "MX": true}

var yearRE = regexp.MustCompile(`\b(19|20)\d\d\b`)

// TestSeedLooksReal seeds the demo set (the flags' defaults, as `make dev` runs it) and reads
// every row as a person would.
func TestSeedLooksReal(t *testing.T) {
	db, _ := integration.Pool(t)
	ctx := context.Background()
	if _, err := seed.Run(ctx, db, seed.Options{Users: 50, Events: 200, Interactions: 15000, Seed: 1}, nil); err != nil {
		t.Fatal(err)
	}
	var now time.Time
	if err := db.QueryRow(ctx, `SELECT now()`).Scan(&now); err != nil {
		t.Fatal(err)
	}

	rows, err := db.Query(ctx, `
		SELECT id, title, description, category, status, starts_at, ends_at, timezone, created_at, published_at,
		       price::float8, currency, capacity, city, country, address, lat, lng
		FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type place struct {
		lat, lng float64
		n        int
	}
	centres := map[string]*place{}
	type located struct {
		id       int64
		city     string
		lat, lng float64
	}
	var points []located
	n := 0
	for rows.Next() {
		var (
			id                                                             int64
			title, desc, cat, status, tz, currency, city, country, address string
			start, created                                                 time.Time
			end, published                                                 *time.Time
			price, lat, lng                                                float64
			capacity                                                       int
		)
		if err := rows.Scan(&id, &title, &desc, &cat, &status, &start, &end, &tz, &created, &published,
			&price, &currency, &capacity, &city, &country, &address, &lat, &lng); err != nil {
			t.Fatal(err)
		}
		n++
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatalf("event %d: time zone %q: %v", id, tz, err)
		}
		local := start.In(loc)
		where := func(format string, args ...any) {
			t.Helper()
			t.Errorf("event %d %q (%s, %s, %s %s): "+format,
				append([]any{id, title, cat, status, local.Format("2006-01-02 15:04 MST"), city}, args...)...)
		}

		// When it was written and published.
		switch {
		case status == "draft" && published != nil:
			where("a draft has published_at %s", published)
		case status != "draft" && published == nil:
			where("no published_at")
		case published != nil:
			if !published.Before(now) {
				where("published_at %s is not before now %s", published, now)
			}
			if !published.Before(start) {
				where("published_at %s is not before its start", published)
			}
			if created.After(*published) {
				where("created_at %s after published_at %s", created, published)
			}
		}
		if created.After(now) {
			where("created_at %s in the future", created)
		}

		// The year in a title is the year of its date.
		for _, y := range yearRE.FindAllString(title, -1) {
			if y != local.Format("2006") {
				where("title says %s, the event is in %d", y, local.Year())
			}
		}

		// Start time by kind of event, on the quarter hour, and an end after the start.
		kind := kindOf(cat, title)
		if w, ok := startWindows[cat][kind]; !ok {
			where("no kind of %s found in the title", cat)
		} else if hm := local.Format("15:04"); hm < w.from || hm > w.to {
			where("a %s %s starts at %s local time, want %s-%s", cat, kind, hm, w.from, w.to)
		}
		if local.Minute()%15 != 0 || local.Second() != 0 {
			where("starts at %s, not on the quarter hour", local.Format("15:04:05"))
		}
		switch {
		case end == nil:
			where("no end_date")
		case !end.After(start):
			where("ends at %s, not after it starts", end)
		case end.Sub(start) > 8*24*time.Hour:
			where("lasts %s", end.Sub(start))
		}

		// A description says each thing once.
		seen := map[string]bool{}
		for _, s := range sentences(desc) {
			if seen[s] {
				where("description repeats %q: %q", s, desc)
			}
			seen[s] = true
		}
		if strings.Contains(title, city) && strings.Contains(desc, title+" in "+city) {
			where("description names the city twice: %q", desc)
		}

		// Prices in the currency's own scale, seats by kind.
		if price > 0 && price < max(minPaid[currency], 5) {
			where("paid ticket at %.2f %s", price, currency)
		}
		if price != math.Round(price) {
			where("price %.2f %s is not a round figure", price, currency)
		}
		switch kind {
		case "Festival", "Conference", "Summit", "Open Air", "Race":
			if capacity < 100 {
				where("a %s for %d people", kind, capacity)
			}
		case "Class", "Workshop", "Tasting", "Breakfast", "Roundtable", "Circle", "Study Group", "Brunch":
			if capacity > 60 {
				where("a %s for %d people", kind, capacity)
			}
		}

		// An address the way the country writes it, not named after the event.
		fields := strings.Fields(address)
		if len(fields) < 2 {
			where("address %q", address)
		} else if numberLast, last := addressNumberLast[country], fields[len(fields)-1]; numberLast != isNumber(last) {
			where("address %q is not written as in %s", address, country)
		}
		for _, w := range strings.Fields(title) {
			if len(w) > 3 && !strings.Contains(city, w) && !slices.Contains([]string{"Street", "Road", "Avenue"}, w) &&
				strings.Contains(address, w) {
				where("address %q is named after the title", address)
			}
		}
		c := centres[city]
		if c == nil {
			c = &place{}
			centres[city] = c
		}
		c.lat, c.lng, c.n = c.lat+lat, c.lng+lng, c.n+1
		points = append(points, located{id, city, lat, lng})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 200 {
		t.Fatalf("got %d events, want 200", n)
	}
	for _, p := range points {
		c := centres[p.city]
		if d := km(p.lat, p.lng, c.lat/float64(c.n), c.lng/float64(c.n)); d > 20 {
			t.Errorf("event %d in %s is %.0f km from the others", p.id, p.city, d)
		}
	}

	// People: names that read as names, emails that go with them.
	urows, err := db.Query(ctx, `SELECT name, email, created_at FROM users ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for urows.Next() {
		var name, email string
		var created time.Time
		if err := urows.Scan(&name, &email, &created); err != nil {
			t.Fatal(err)
		}
		words := strings.Fields(name)
		if len(words) < 2 || strings.ContainsAny(name, "0123456789") || strings.HasPrefix(name, "Demo ") {
			t.Errorf("user %q <%s>: not a person's name", name, email)
		} else if local := strings.Split(email, "@")[0]; !strings.HasPrefix(local, strings.ToLower(words[0])) &&
			!strings.Contains(local, strings.ToLower(words[len(words)-1])) && !strings.Contains(local, "admin") {
			t.Errorf("user %q <%s>: the email does not go with the name", name, email)
		}
	}
	if err := urows.Err(); err != nil {
		t.Fatal(err)
	}

	// Nobody registered for an event before it was published or before they had an account.
	var early int
	if err := db.QueryRow(ctx, `
		SELECT count(*) FROM event_registrations r JOIN events e ON e.id = r.event_id JOIN users u ON u.id = r.user_id
		WHERE r.created_at < e.published_at OR r.created_at < u.created_at OR r.created_at > now()`).Scan(&early); err != nil {
		t.Fatal(err)
	}
	if early > 0 {
		t.Errorf("%d registrations before their event was published, before their user existed or in the future", early)
	}
}

// kindOf finds the kind of event a title names, the longest of its category's kinds.
func kindOf(category, title string) string {
	words := " " + title + " "
	best := ""
	for k := range startWindows[category] {
		if strings.Contains(words, " "+k+" ") && len(k) > len(best) {
			best = k
		}
	}
	return best
}

func sentences(s string) []string {
	var out []string
	for _, p := range strings.SplitAfter(s, ". ") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.TrimSuffix(p, "."))
		}
	}
	return out
}

func isNumber(s string) bool {
	s = strings.TrimSuffix(s, ",")
	return s != "" && strings.Trim(s, "0123456789-") == ""
}

// km is the great-circle distance between two points.
func km(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dlat, dlng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlng/2)*math.Sin(dlng/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}
