package search_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
)

// relevanceFloor is the mean NDCG@10 of relevanceCases, rounded down: 0.661 with search in
// PostgreSQL when the suite was written, 0.947 with the in-memory index. It is a ratchet:
// raise it as relevance improves, never lower it to make a change pass.
const relevanceFloor = 0.94

// A relevance fixture: events a person would find in Berlin, Potsdam, Paris and Lisbon,
// with distractors that share a word only in their descriptions.
var relevanceEvents = []ev{
	// Technology.
	{title: "Go Meetup", description: "Monthly meetup for Go developers: talks, pizza and code", tags: []string{"golang", "meetup"}},
	{title: "Kubernetes Meetup", description: "Operators, clusters and cloud native stories", tags: []string{"kubernetes", "meetup"}, days: 2},
	{title: "Rust Meetup Potsdam", description: "Systems programming over beers", tags: []string{"rust"}, city: "Potsdam", days: 4},
	{title: "DevOps Meetup Paris", description: "Pipelines, observability and on-call", city: "Paris", days: 5},
	{title: "Frontend Meetup Lisbon", description: "CSS, React and web performance", city: "Lisbon", days: 6},
	{title: "Tech Founders Breakfast", description: "Startup founders meet over coffee and croissants", days: 1},
	{title: "Technical Writing Workshop", description: "Write documentation developers actually read", city: "Paris", days: 3},
	{title: "Technology Trends Conference", description: "AI, cloud and what comes next", city: "Lisbon", days: 12},
	{title: "AI Hackathon", description: "48 hours of building with language models", city: "Paris", days: 9},
	{title: "Cloud Native Day", description: "Talks on kubernetes, service meshes and platforms", city: "Lisbon", days: 15},
	{title: "Data Engineering Summit", description: "Pipelines, warehouses and streaming", days: 20},

	// Music.
	{title: "Berghain Techno Night", description: "All-night techno with resident DJs", category: "music", days: 1},
	{title: "Kreuzberg Techno Club", description: "Underground techno in a former bakery", category: "music", days: 8},
	{title: "Techno Open Air", description: "Techno by the lake", category: "music", city: "Potsdam", days: 10},
	{title: "Paris Techno Warehouse", description: "Industrial techno until sunrise", category: "music", city: "Paris", days: 7},
	{title: "Lisbon Techno Rave", description: "Techno on the riverside", category: "music", city: "Lisbon", days: 11},
	{title: "Jazz Brunch", description: "Live trio with eggs and coffee", category: "music", days: 2},
	{title: "Late Jazz Session", description: "Jam session after midnight", category: "music", city: "Paris", days: 3},
	{title: "Jazz in the Park", description: "Free open-air concert", category: "music", city: "Lisbon", days: 13},
	{title: "Classical Piano Recital", description: "Chopin and Debussy", category: "music", days: 5},
	{title: "Fado Evening", description: "Traditional Portuguese songs", category: "music", city: "Lisbon", days: 4},
	{title: "Indie Rock Concert", description: "Three bands, one night", category: "music", days: 6},

	// Food.
	{title: "Street Food Market", description: "Forty stalls from around the world", category: "food", days: 1},
	{title: "Wine Tasting Evening", description: "Natural wines from the Loire", category: "food", city: "Paris", days: 2},
	{title: "Cheese and Wine Meetup", description: "Meet fellow cheese lovers", category: "food", city: "Paris", days: 9},
	{title: "Pastel de Nata Baking Class", description: "Bake the famous custard tarts", category: "food", city: "Lisbon", days: 5},
	{title: "Vegan Cooking Workshop", description: "Plant-based dishes for every day", category: "food", days: 7},

	// Sports.
	{title: "Marathon Training Run", description: "Long run along the Spree", category: "sports", days: 3},
	{title: "Beach Volleyball Tournament", description: "Teams of two on the sand", category: "sports", city: "Lisbon", days: 8},
	{title: "Yoga by the River", description: "Morning yoga for all levels", category: "sports", city: "Potsdam", days: 2},
	{title: "Climbing Meetup", description: "Bouldering for beginners and regulars", category: "sports", days: 4},

	// Arts.
	{title: "Modern Art Exhibition", description: "Paintings from the last decade", category: "arts", city: "Paris", days: 6},
	{title: "Street Photography Walk", description: "Capture the city with your camera", category: "arts", days: 5},
	{title: "Meet the Makers Fair", description: "Ceramics, prints and jewellery from local makers", category: "arts", days: 14},
	{title: "Digital Art Night", description: "Art made with technology: projections and generative visuals", category: "arts", days: 10},

	// Business.
	{title: "Startup Pitch Night", description: "Founders pitch to investors; tech startups welcome", category: "business", days: 3},
	{title: "Marketing Masterclass", description: "Brand, growth and storytelling", category: "business", city: "Paris", days: 11},
	{title: "Networking Breakfast", description: "Meet local business owners", category: "business", city: "Lisbon", days: 4},

	// Education.
	{title: "Python for Beginners", description: "A first course in programming technology", category: "education", city: "Potsdam", days: 7},
	{title: "French Language Exchange", description: "Practise French with native speakers", category: "education", city: "Paris", days: 2},
	{title: "History of Berlin Lecture", description: "From the Wall to the techno clubs of the nineties", category: "education", days: 9},
	{title: "Jazz Guitar Workshop", description: "Chords and comping for intermediate players", category: "education", days: 12},

	// Community.
	{title: "Neighbourhood Cleanup", description: "Gloves and bags provided", category: "community", days: 1},
	{title: "Board Game Night", description: "A meetup of board gamers; bring your favourite game", category: "community", city: "Potsdam", days: 3},
	{title: "Lisbon Expat Meetup", description: "Drinks and stories for newcomers", category: "community", city: "Lisbon", days: 6},
	{title: "Community Garden Day", description: "Plant, water and share a lunch", category: "community", city: "Paris", days: 8},
}

// hiddenEvents match the suite's queries by their words but must never be shown: the
// field is the change made after inserting them as published.
var hiddenEvents = []struct {
	ev     ev
	change string
}{
	{ev{title: "Kubernetes Meetup Internal", description: "Private meetup for the platform team", tags: []string{"kubernetes"}}, "visibility = 'private'"},
	{ev{title: "Technology Leaders Dinner", description: "Invitation only tech dinner", city: "Lisbon"}, "visibility = 'private'"},
	{ev{title: "Jazz Rehearsal", description: "Band rehearsal, jazz standards", category: "music"}, "visibility = 'unlisted'"},
	{ev{title: "Secret Techno Party", description: "Techno in Berlin, link only", category: "music"}, "visibility = 'unlisted'"},
	{ev{title: "Tech Meetup Draft", description: "A tech meetup still being planned"}, "status = 'draft'"},
	{ev{title: "Berlin Techno Marathon", description: "Techno all weekend", category: "music"}, "status = 'cancelled'"},
	{ev{title: "Wine and Jazz Evening", description: "Jazz and wine in Lisbon", category: "food", city: "Lisbon"}, "status = 'cancelled'"},
}

// relevanceFixture inserts relevanceEvents and hiddenEvents and returns the ids of the
// hidden ones.
func relevanceFixture(t *testing.T) (*env, map[int64]string) {
	t.Helper()
	e := newEnv(t)
	e.insert(relevanceEvents...)
	hidden := map[int64]string{}
	for _, h := range hiddenEvents {
		id := e.insert(h.ev)[0]
		if _, err := e.db.Exec(context.Background(), `UPDATE events SET `+h.change+` WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		hidden[id] = h.ev.title
	}
	if err := e.svc.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e, hidden
}

// fixtureTitles returns the titles of relevanceEvents that keep.
func fixtureTitles(keep func(ev) bool) []string {
	var out []string
	for _, x := range relevanceEvents {
		if x.category == "" {
			x.category = "technology"
		}
		if x.city == "" {
			x.city = "Berlin"
		}
		if keep(x) {
			out = append(out, x.title)
		}
	}
	return out
}

func inCategory(c string) func(ev) bool { return func(x ev) bool { return x.category == c } }
func inCity(c string) func(ev) bool     { return func(x ev) bool { return x.city == c } }

// judged grades titles: 2 for what the person exactly meant, 1 for acceptable.
type judged map[string]int

func grade(rel int, titles ...string) judged {
	j := judged{}
	for _, t := range titles {
		j[t] = rel
	}
	return j
}

// and adds the grades of o, keeping the higher grade of a title judged twice.
func (j judged) and(o judged) judged {
	out := judged{}
	for t, g := range j {
		out[t] = g
	}
	for t, g := range o {
		out[t] = max(out[t], g)
	}
	return out
}

var (
	techMeetups = []string{"Go Meetup", "Kubernetes Meetup", "Rust Meetup Potsdam", "DevOps Meetup Paris", "Frontend Meetup Lisbon"}
	jazz        = []string{"Jazz Brunch", "Late Jazz Session", "Jazz in the Park"}
	techno      = []string{"Berghain Techno Night", "Kreuzberg Techno Club", "Techno Open Air", "Paris Techno Warehouse", "Lisbon Techno Rave"}
)

// relevanceCases are queries with the events a person judged right for them.
var relevanceCases = []struct {
	q        string
	relevant judged
}{
	{"tech", grade(2, "Tech Founders Breakfast", "Technology Trends Conference").and(grade(1, fixtureTitles(inCategory("technology"))...))},
	{"technology", grade(2, fixtureTitles(inCategory("technology"))...)},
	{"tech meetup", grade(2, techMeetups...).and(grade(1, "Tech Founders Breakfast", "Technology Trends Conference"))},
	{"go meetup", grade(2, "Go Meetup").and(grade(1, techMeetups...))},
	{"meetup", grade(2, append(techMeetups, "Cheese and Wine Meetup", "Climbing Meetup", "Lisbon Expat Meetup")...)},
	{"kubernetes", grade(2, "Kubernetes Meetup").and(grade(1, "Cloud Native Day"))},
	{"kubernets", grade(2, "Kubernetes Meetup").and(grade(1, "Cloud Native Day"))},
	{"technical writing", grade(2, "Technical Writing Workshop")},
	{"jaz", grade(2, jazz...).and(grade(1, "Jazz Guitar Workshop"))},
	{"jazz", grade(2, jazz...).and(grade(1, "Jazz Guitar Workshop"))},
	{"paris jazz", grade(2, "Late Jazz Session").and(grade(1, jazz...))},
	{"techno", grade(2, techno...)},
	{"berlin techno", grade(2, "Berghain Techno Night", "Kreuzberg Techno Club").and(grade(1, techno...))},
	{"music", grade(2, fixtureTitles(inCategory("music"))...)},
	{"lisbon", grade(2, fixtureTitles(inCity("Lisbon"))...)},
	{"food", grade(2, fixtureTitles(inCategory("food"))...)},
	{"wine", grade(2, "Wine Tasting Evening", "Cheese and Wine Meetup")},
	{"breakfast", grade(2, "Tech Founders Breakfast", "Networking Breakfast").and(grade(1, "Jazz Brunch"))},
	{"startup", grade(2, "Startup Pitch Night").and(grade(1, "Tech Founders Breakfast"))},
	{"marathon", grade(2, "Marathon Training Run")},
	{"yoga", grade(2, "Yoga by the River")},
}

// ndcgAt10 is the normalised discounted cumulative gain of the first ten titles: gain
// 2^rel-1, discount log2(rank+1), divided by the gain of the best order of the judged.
func ndcgAt10(got []string, rel judged) float64 {
	dcg := func(grades []int) float64 {
		s := 0.0
		for i, g := range grades[:min(10, len(grades))] {
			s += (math.Pow(2, float64(g)) - 1) / math.Log2(float64(i+2))
		}
		return s
	}
	var grades, ideal []int
	for _, t := range got {
		grades = append(grades, rel[t])
	}
	for _, g := range rel {
		ideal = append(ideal, g)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ideal)))
	if best := dcg(ideal); best > 0 {
		return dcg(grades) / best
	}
	return 0
}

func TestRelevanceSuite(t *testing.T) {
	e, _ := relevanceFixture(t)
	sum := 0.0
	t.Logf("%-20s %8s  %s", "query", "NDCG@10", "top 3")
	for _, c := range relevanceCases {
		got := titles(e.search("q", c.q, "limit", "10").Data)
		n := ndcgAt10(got, c.relevant)
		sum += n
		t.Logf("%-20q %8.3f  %s", c.q, n, strings.Join(got[:min(3, len(got))], " | "))
	}
	mean := sum / float64(len(relevanceCases))
	t.Logf("mean NDCG@10 over %d queries: %.3f (floor %.2f)", len(relevanceCases), mean, relevanceFloor)
	if mean < relevanceFloor {
		t.Errorf("mean NDCG@10 %.3f is below the floor %.2f", mean, relevanceFloor)
	}
}

func TestNeverShowsHiddenEvents(t *testing.T) {
	e, hidden := relevanceFixture(t)
	var queries []string
	for _, c := range relevanceCases {
		queries = append(queries, c.q)
	}
	for _, h := range hiddenEvents {
		queries = append(queries, h.ev.title)
	}
	for _, q := range queries {
		for _, x := range e.search("q", q, "limit", "100").Data {
			if title, ok := hidden[x.ID]; ok {
				t.Errorf("%q shows %q, which is not public and published", q, title)
			}
		}
	}
}

// expectation is something a person expects of search, and what it shows instead.
type expectation func(e *env) (ok bool, got string)

// firstAre expects the first n results of q to be among want.
func firstAre(q string, n int, want ...string) expectation {
	return func(e *env) (bool, string) {
		got := titles(e.search("q", q, "limit", fmt.Sprint(max(10, n))).Data)
		ok := len(got) >= n
		for _, title := range got[:min(n, len(got))] {
			ok = ok && slices.Contains(want, title)
		}
		return ok, describe(e, q, got)
	}
}

// allAre expects q to find every title of want, and only those in its first len(want) results.
func allAre(q string, want ...string) expectation {
	return func(e *env) (bool, string) {
		got := titles(e.search("q", q, "limit", "100").Data)
		ok := len(got) >= len(want)
		for _, title := range got[:min(len(want), len(got))] {
			ok = ok && slices.Contains(want, title)
		}
		return ok, describe(e, q, got)
	}
}

func describe(e *env, q string, got []string) string {
	r := e.search("q", q, "limit", "1")
	s := fmt.Sprintf("%d results", len(got))
	if r.Match == "fuzzy" {
		s += fmt.Sprintf(", corrected to %q", r.Query)
	}
	if len(got) > 0 {
		s += ": " + strings.Join(got[:min(3, len(got))], ", ")
	}
	return s
}

// everySuggestionFinds expects each autocomplete suggestion for prefix to find an event
// when searched for.
func everySuggestionFinds(prefix string) expectation {
	return func(e *env) (bool, string) {
		res, err := http.Get(e.srv.URL + "/api/v1/search/suggest?q=" + url.QueryEscape(prefix))
		if err != nil {
			e.t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct {
			Data []struct {
				Text string `json:"text"`
				Kind string `json:"kind"`
			} `json:"data"`
		}
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil || len(body.Data) == 0 {
			e.t.Fatalf("suggest %q: got %d, %v, %d suggestions", prefix, res.StatusCode, err, len(body.Data))
		}
		var empty []string
		for _, sg := range body.Data {
			if r := e.search("q", sg.Text); len(r.Data) == 0 {
				empty = append(empty, fmt.Sprintf("%s %q finds nothing", sg.Kind, sg.Text))
			}
		}
		return len(empty) == 0, fmt.Sprintf("%d suggestions; %s", len(body.Data), strings.Join(empty, "; "))
	}
}

func TestSearchFindsWhatPeopleMean(t *testing.T) {
	e, _ := relevanceFixture(t)
	tech := fixtureTitles(inCategory("technology"))
	cases := []struct {
		name    string
		expect  expectation
		pending string // what search returns today, while it falls short
	}{
		{name: "tech finds technology events first", expect: firstAre("tech", 3, tech...)},
		{name: "technology finds technology events", expect: firstAre("technology", len(tech), tech...)},
		{name: "tech meetup finds technology meetups", expect: firstAre("tech meetup", 3, techMeetups...)},
		{name: "jaz finds jazz", expect: firstAre("jaz", 3, append(jazz, "Jazz Guitar Workshop")...)},
		{name: "berlin techno finds techno events in Berlin first", expect: firstAre("berlin techno", 2, "Berghain Techno Night", "Kreuzberg Techno Club")},
		{name: "the category word music finds music events", expect: allAre("music", fixtureTitles(inCategory("music"))...)},
		{name: "the city word lisbon finds Lisbon events", expect: allAre("lisbon", fixtureTitles(inCity("Lisbon"))...)},
		{name: "the typo kubernets finds the Kubernetes meetup", expect: firstAre("kubernets", 1, "Kubernetes Meetup")},
		{name: "every suggestion for te finds events", expect: everySuggestionFinds("te")},
		{name: "every suggestion for ja finds events", expect: everySuggestionFinds("ja")},
		{name: "every suggestion for mee finds events", expect: everySuggestionFinds("mee")},
	}
	outer := e.t
	defer func() { e.t = outer }()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t // fail the case, not the whole test
			ok, got := c.expect(e)
			if c.pending != "" {
				if ok {
					t.Errorf("passes now (%s): drop pending %q", got, c.pending)
				}
				t.Logf("today: %s", got)
				t.Skipf("pending: %s", c.pending)
			}
			if !ok {
				t.Errorf("got %s", got)
			}
		})
	}
}
