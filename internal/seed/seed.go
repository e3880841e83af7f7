// Package seed fills a database with realistic demo data: users with consistent tastes,
// events in real cities over a year with skewed category and tag popularity, and the
// last three months of interactions that follow those tastes: views, clicks and shares,
// and the registrations and favorites some views lead to, filling some events and leaving
// waitlists (signal for the recommender and history for analytics). It only draws the
// data: the services that own the tables write it, through their bulk-import APIs
// (users.Import, events.ImportEvents, events.ImportRegistrations, events.ImportFavorites,
// analytics.Import), which copy rows in with CopyFrom and publish no domain events. It is
// idempotent: a second run adds nothing.
package seed

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // the cities' time zones must resolve on minimal images too

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/services/events"
	"github.com/events-platform/events-platform/services/users"
)

// DemoPassword is every demo account's password, as the seed design's clients expect.
const DemoPassword = "password123"

// Options size the demo data.
type Options struct {
	Users  int // generated attendees besides the named demo accounts
	Events int
	// Interactions is how many analytics interactions to draw in all: views, clicks and
	// shares following the users' tastes, and the registrations and favorites (about 7%)
	// some views lead to.
	Interactions int
	Seed         uint64 // random seed, for repeatable data
}

// Result counts what a run inserted.
type Result struct {
	Users         int
	Events        int
	Registrations int
	Favorites     int
	// Interactions counts the analytics interactions, a register or favorite one for
	// each registration and favorite among them.
	Interactions int
}

type account struct {
	email, name, role string
	city              int
	tastes            []int // category indexes, favourite first
	created           time.Time
}

// Named demo accounts, always present.
var named = []struct{ email, name, role string }{
	{"admin@example.com", "Ada Admin", auth.RoleAdmin},
	{"organizer@example.com", "Olu Organizer", auth.RoleOrganizer},
	{"alice@example.com", "Alice Attendee", auth.RoleAttendee},
	{"bob@example.com", "Bob Attendee", auth.RoleAttendee},
}

// editor is the demo editor (collections, featured picks, the moderation queue), inserted
// apart from the drawn accounts so that the data drawn for them stays the same.
var editor = account{email: "editor@example.com", name: "Eda Editor", role: auth.RoleEditor}

// usersPerOrganizer: generated data has one organizer account per this many users.
const usersPerOrganizer = 100

// Run inserts the demo data. progress receives a progress bar (nil: none).
func Run(ctx context.Context, db *pgxpool.Pool, opts Options, progress io.Writer) (Result, error) {
	var res Result
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	g, err := newGen(rng)
	if err != nil {
		return res, err
	}
	bar := newProgress(progress, opts.Users+len(named)+opts.Events+opts.Interactions, "seeding")
	defer bar.Finish()

	accounts := g.accounts(opts.Users)
	ed := editor
	ed.created = g.now.AddDate(-1, 0, 0)
	n, err := insertUsers(ctx, db, append(slices.Clip(accounts), ed))
	if err != nil {
		return res, err
	}
	bar.Add(len(accounts))
	res.Users = n

	ids, err := userIDs(ctx, db, accounts)
	if err != nil {
		return res, err
	}
	var organizers []int64
	for i, a := range accounts {
		if a.role == auth.RoleOrganizer {
			organizers = append(organizers, ids[i])
		}
	}
	// The demo organizer is the first account with the role; its events mean a run before
	// this one inserted the demo events.
	seeded, err := events.HasEvents(ctx, db, organizers[0])
	if err != nil {
		return res, fmt.Errorf("look for demo events: %w", err)
	}
	if seeded || opts.Events == 0 {
		return res, nil // the demo events are there already
	}
	evs, err := g.insertEvents(ctx, db, opts.Events, organizers, bar)
	if err != nil {
		return res, err
	}
	res.Events = len(evs)
	if opts.Interactions > 0 {
		res.Registrations, res.Favorites, res.Interactions, err = g.insertInteractions(ctx, db, opts.Interactions, accounts, ids, evs, bar)
		if err != nil {
			return res, err
		}
	}
	// The planner's statistics follow the new rows. A search service reads the events
	// when it starts; one already running sees those it had not seen at its next rebuild
	// (it follows changes by updated_at, and imported rows carry their own).
	if err := events.AnalyzeImported(ctx, db); err != nil {
		return res, err
	}
	return res, nil
}

// gen draws the data; its random source makes a run repeatable.
type gen struct {
	rng      *rand.Rand
	cityPick *weighted
	catPick  *weighted
	zones    []*time.Location // of the cities, by index
	now      time.Time
}

func newGen(rng *rand.Rand) (*gen, error) {
	cw := make([]float64, len(cities))
	for i, c := range cities {
		cw[i] = c.weight
	}
	kw := make([]float64, len(categories))
	for i, c := range categories {
		kw[i] = c.weight
	}
	zones := make([]*time.Location, len(cities))
	for i, c := range cities {
		z, err := time.LoadLocation(c.tz)
		if err != nil {
			return nil, fmt.Errorf("time zone of %s: %w", c.name, err)
		}
		zones[i] = z
	}
	return &gen{rng: rng, cityPick: newWeighted(cw), catPick: newWeighted(kw), zones: zones,
		now: time.Now().UTC().Truncate(time.Second)}, nil
}

func (g *gen) tastes() []int {
	n := 1 + g.rng.IntN(3)
	var t []int
	for len(t) < n {
		c := g.catPick.pick(g.rng)
		if !slices.Contains(t, c) {
			t = append(t, c)
		}
	}
	return t
}

// accounts draws the users. Their accounts are older than anything they did: at least
// half a year, while the oldest events were published about four months ago.
func (g *gen) accounts(n int) []account {
	var out []account
	joined := func() time.Time {
		return g.now.Add(-time.Duration(180*24*60+g.rng.IntN(900*24*60)) * time.Minute)
	}
	for _, a := range named {
		out = append(out, account{email: a.email, name: a.name, role: a.role, city: g.cityPick.pick(g.rng), tastes: g.tastes(), created: joined()})
	}
	for i := 1; i <= n; i++ {
		first, last := firstNames[g.rng.IntN(len(firstNames))], lastNames[g.rng.IntN(len(lastNames))]
		// The number keeps emails unique however many users share a name.
		a := account{email: fmt.Sprintf("%s.%s%d@example.com", emailPart(first), emailPart(last), i), name: first + " " + last,
			role: auth.RoleAttendee, city: g.cityPick.pick(g.rng), tastes: g.tastes(), created: joined()}
		if n >= usersPerOrganizer && i%usersPerOrganizer == 0 {
			a.role = auth.RoleOrganizer
		}
		out = append(out, a)
	}
	return out
}

var emailASCII = strings.NewReplacer("ü", "ue", "ö", "oe", "ä", "ae", "á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "'", "", " ", "")

// emailPart is a name as the local part of an email address writes it.
func emailPart(name string) string {
	return emailASCII.Replace(strings.ToLower(name))
}

// insertUsers inserts the accounts not there yet, all with DemoPassword, and returns how
// many it inserted.
func insertUsers(ctx context.Context, db *pgxpool.Pool, accounts []account) (int, error) {
	in := make([]users.ImportAccount, len(accounts))
	for i, a := range accounts {
		interests := make([]string, len(a.tastes))
		for j, t := range a.tastes {
			interests[j] = categories[t].name
		}
		in[i] = users.ImportAccount{Email: a.email, Name: a.name, Role: a.role, City: cities[a.city].name, Interests: interests, CreatedAt: a.created}
	}
	return users.Import(ctx, db, DemoPassword, in)
}

// userIDs returns the id of each account, in order.
func userIDs(ctx context.Context, db *pgxpool.Pool, accounts []account) ([]int64, error) {
	emails := make([]string, len(accounts))
	for i, a := range accounts {
		emails[i] = a.email
	}
	return users.IDs(ctx, db, emails)
}

// genEvent is what the interactions need to know of an event.
type genEvent struct {
	id        int64
	cat       uint8
	city      uint8
	status    uint8 // 0 published (upcoming or under way), 1 completed, 2 draft, 3 cancelled
	capacity  int32
	weight    float32
	start     time.Time
	published time.Time
}

// insertEvents draws n events as the events service copies them in, and keeps what the
// interactions need to know of each, its id included.
func (g *gen) insertEvents(ctx context.Context, db *pgxpool.Pool, n int, organizers []int64, bar *progress) ([]genEvent, error) {
	evs := make([]genEvent, n)
	// Organizers' output is skewed too: a few run most events.
	orgPick := newWeighted(pareto(g.rng, len(organizers), 1.2))
	_, err := events.ImportEvents(ctx, db, n, func(i int, id int64) (events.ImportEvent, error) {
		ci, ki := g.cityPick.pick(g.rng), g.catPick.pick(g.rng)
		c, k := cities[ci], categories[ki]
		topic, kd := k.topics[skewed(g.rng, len(k.topics))], k.kinds[g.rng.IntN(len(k.kinds))]
		start, end := g.when(ci, kd)
		title := topic + " " + kd.name
		switch g.rng.IntN(4) {
		case 0:
			title += " " + c.name
		case 1:
			title = c.name + " " + title
		case 2:
			title += fmt.Sprintf(" %d", start.In(g.zones[ci]).Year())
		}
		tags := []string{}
		for len(tags) < 1+g.rng.IntN(4) {
			t := k.tags[skewed(g.rng, len(k.tags))]
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		venue := c.name + " " + k.venues[g.rng.IntN(len(k.venues))]
		where := title + " in " + c.name
		if strings.Contains(title, c.name) {
			where = title
		}
		b1, b2 := g.rng.IntN(len(k.blurbs)), g.rng.IntN(len(k.blurbs)-1)
		if b2 >= b1 {
			b2++ // two different sentences
		}
		desc := fmt.Sprintf("%s. %s %s Tags: %s.", where, k.blurbs[b1], k.blurbs[b2], strings.Join(tags, ", "))

		status, st := "published", uint8(0)
		switch r := g.rng.Float64(); {
		case end.Before(g.now):
			status, st = "completed", 1
		case start.Before(g.now): // under way
		case r < 0.02:
			status, st = "draft", 2
		case r < 0.04:
			status, st = "cancelled", 3
		}
		created, published, updated := g.history(start, end, status)

		capacity := seats(g.rng, kd.tickets)
		price := 0.0
		if g.rng.Float64() >= kd.free {
			// At US prices, then in the local currency and price level, rounded as a price list would.
			usd := max(kd.price*math.Exp(g.rng.NormFloat64()*0.5), 5)
			price = max(roundPrice(usd*c.prices), 5)
		}
		var organizer int64
		if i == 0 {
			organizer = organizers[0] // the demo organizer (first account with the role) always has events
		} else {
			organizer = organizers[orgPick.pick(g.rng)]
		}
		// In one of the city's districts, a few hundred metres around its centre.
		d := c.districts[g.rng.IntN(len(c.districts))]
		lat, lng := d.lat+(g.rng.Float64()-0.5)*0.006, d.lng+(g.rng.Float64()-0.5)*0.008
		evs[i] = genEvent{id: id, cat: uint8(ki), city: uint8(ci), status: st, capacity: int32(capacity), start: start, published: published,
			weight: float32(math.Pow(1-g.rng.Float64(), -1/0.9))} // Pareto: a few events draw most interest
		addr := address(g.rng, c.country, d.street)
		bar.Add(1)
		return events.ImportEvent{Title: title, Description: desc, Category: k.name, Tags: tags, StartsAt: start, EndsAt: end, Timezone: c.tz,
			VenueName: venue, Address: addr, City: c.name, Country: c.country, Lat: lat, Lng: lng,
			Capacity: capacity, Price: price, Currency: c.currency, Status: status, CreatedBy: organizer,
			CreatedAt: created, UpdatedAt: updated, PublishedAt: published}, nil
	})
	if err != nil {
		return nil, err
	}
	return evs, nil
}

// when draws an event's start and end: a day from two months back to ten months ahead,
// and a time of day in the city's own zone that suits the kind of event.
func (g *gen) when(ci int, kd kind) (time.Time, time.Time) {
	zone := g.zones[ci]
	today := g.now.In(zone)
	day := g.rng.IntN(365) - 60
	at := kd.from + 15*g.rng.IntN((kd.to-kd.from)/15+1)
	start := time.Date(today.Year(), today.Month(), today.Day()+day, at/60, at%60, 0, 0, zone)
	// Whole days on the calendar (a DST change keeps the clock time), then minutes.
	days := kd.minDays + g.rng.IntN(kd.maxDays-kd.minDays+1)
	minutes := kd.minFor + 15*g.rng.IntN((kd.maxFor-kd.minFor)/15+1)
	end := start.AddDate(0, 0, days).Add(time.Duration(minutes) * time.Minute)
	return start.UTC(), end.UTC()
}

// history draws when an event was created, published (zero for a draft) and last updated:
// created a little before it was published, published some weeks before it starts and
// never after now, completed when it ended, cancelled some time after it was published.
func (g *gen) history(start, end time.Time, status string) (created, published, updated time.Time) {
	if status == "draft" {
		created = g.now.Add(-time.Duration(10+g.rng.IntN(30*24*60)) * time.Minute)
		return created, time.Time{}, created
	}
	published = start.Add(-time.Duration((7+g.rng.IntN(60))*24*60+g.rng.IntN(24*60)) * time.Minute)
	if published.After(g.now.Add(-time.Hour)) {
		// Far ahead: announced already, in the last three weeks.
		published = g.now.Add(-time.Duration(60+g.rng.IntN(21*24*60)) * time.Minute)
	}
	created = published.Add(-time.Duration(10+g.rng.IntN(14*24*60)) * time.Minute)
	switch status {
	case "completed":
		updated = end
	case "cancelled":
		updated = published.Add(time.Duration(g.rng.Int64N(int64(g.now.Sub(published)))))
	default:
		updated = published
	}
	return created, published, updated
}

// seats draws a capacity between the kind's bounds, small ones more often, rounded as an
// organizer would (to 5, 10, 50 or 100 seats by size).
func seats(rng *rand.Rand, t *tickets) int {
	n := float64(t.minSeats) * math.Pow(float64(t.maxSeats)/float64(t.minSeats), rng.Float64())
	step := 1.0
	switch {
	case n >= 2000:
		step = 100
	case n >= 500:
		step = 50
	case n >= 100:
		step = 10
	case n >= 30:
		step = 5
	}
	return int(math.Round(n/step) * step)
}

// roundPrice rounds a price to steps of half its leading unit (8, 15, 35, 450, 3500,
// 25000), never to a fraction.
func roundPrice(x float64) float64 {
	step := max(math.Pow(10, math.Floor(math.Log10(x)))/2, 1)
	return max(math.Round(x/step)*step, step)
}

// address writes a street address the way the country does.
func address(rng *rand.Rand, country, street string) string {
	n := 1 + rng.IntN(200)
	switch {
	case country == "JP":
		return fmt.Sprintf("%d-%d-%d %s", 1+rng.IntN(5), 1+rng.IntN(30), 1+rng.IntN(20), street)
	case country == "IN":
		return fmt.Sprintf("%d, %s", n, street)
	case country == "ES" || country == "IT" || country == "PT" || country == "BR":
		return fmt.Sprintf("%s, %d", street, n)
	case numberLast[country]:
		return fmt.Sprintf("%s %d", street, n)
	default:
		return fmt.Sprintf("%d %s", n, street)
	}
}

// weighted picks indexes with probability proportional to their weights.
type weighted struct{ cum []float64 }

func newWeighted(ws []float64) *weighted {
	cum := make([]float64, len(ws))
	sum := 0.0
	for i, w := range ws {
		sum += w
		cum[i] = sum
	}
	return &weighted{cum: cum}
}

func (w *weighted) pick(rng *rand.Rand) int {
	if len(w.cum) == 0 {
		return 0
	}
	x := rng.Float64() * w.cum[len(w.cum)-1]
	return min(sort.SearchFloat64s(w.cum, x), len(w.cum)-1)
}

// pareto returns n heavy-tailed weights (a few large, most small).
func pareto(rng *rand.Rand, n int, alpha float64) []float64 {
	ws := make([]float64, n)
	for i := range ws {
		ws[i] = math.Pow(1-rng.Float64(), -1/alpha)
	}
	return ws
}

// skewed returns an index in [0, n) favouring the first ones (Zipf-like).
func skewed(rng *rand.Rand, n int) int {
	return min(int(float64(n)*math.Pow(rng.Float64(), 2.2)), n-1)
}
