package main

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The search scenario's query shapes: each a generator of queries of one kind (one word,
// a category alone, text within a small radius, ...), drawn from the vocabulary the seed
// (internal/seed/data.go) writes into titles, tags, descriptions, categories and cities, so
// that the queries find what real users' would: common words with many matches, rare ones
// with a few, prefixes as they are typed and misspelt words.

// shape is one kind of query.
type shape struct {
	name string
	// match is how the obvious PostgreSQL search reads q: "" websearch_to_tsquery,
	// "prefix" a prefix tsquery (word:*), "typo" full text or trigram word similarity.
	match string
	// gen adds the shape's parameters to v, whose from (a time) and limit are set.
	gen func(r *rand.Rand, from time.Time, v url.Values)
}

// seedCity is a city of the seed with its centre.
type seedCity struct {
	name     string
	lat, lng float64
}

// seedCategory is a category of the seed: the topics and kinds of event its titles are made
// of (lower case, as typed) and its tags.
type seedCategory struct {
	name          string
	topics, kinds []string
	tags          []string
}

var (
	seedCities = []seedCity{
		{"London", 51.5074, -0.1278}, {"New York", 40.7128, -74.0060}, {"San Francisco", 37.7749, -122.4194},
		{"Berlin", 52.5200, 13.4050}, {"Paris", 48.8566, 2.3522}, {"Tokyo", 35.6762, 139.6503},
		{"Toronto", 43.6532, -79.3832}, {"Sydney", -33.8688, 151.2093}, {"Amsterdam", 52.3676, 4.9041},
		{"Lisbon", 38.7223, -9.1393}, {"Madrid", 40.4168, -3.7038}, {"Barcelona", 41.3874, 2.1686},
		{"Chicago", 41.8781, -87.6298}, {"Austin", 30.2672, -97.7431}, {"Seattle", 47.6062, -122.3321},
		{"Los Angeles", 34.0522, -118.2437}, {"Boston", 42.3601, -71.0589}, {"Dublin", 53.3498, -6.2603},
		{"Stockholm", 59.3293, 18.0686}, {"Copenhagen", 55.6761, 12.5683}, {"Munich", 48.1351, 11.5820},
		{"Hamburg", 53.5511, 9.9937}, {"Vienna", 48.2082, 16.3738}, {"Zurich", 47.3769, 8.5417},
		{"Milan", 45.4642, 9.1900}, {"Rome", 41.9028, 12.4964}, {"Prague", 50.0755, 14.4378},
		{"Warsaw", 52.2297, 21.0122}, {"Singapore", 1.3521, 103.8198}, {"Seoul", 37.5665, 126.9780},
		{"Bangalore", 12.9716, 77.5946}, {"Mumbai", 19.0760, 72.8777}, {"São Paulo", -23.5505, -46.6333},
		{"Mexico City", 19.4326, -99.1332}, {"Buenos Aires", -34.6037, -58.3816}, {"Cape Town", -33.9249, 18.4241},
		{"Nairobi", -1.2921, 36.8219}, {"Lagos", 6.5244, 3.3792}, {"Dubai", 25.2048, 55.2708},
		{"Tel Aviv", 32.0853, 34.7818},
	}
	seedCategories = []seedCategory{
		{"technology", []string{"go", "rust", "ai", "machine learning", "cloud native", "kubernetes", "data engineering", "devops", "security", "frontend", "startup", "open source", "python", "web3", "product design"},
			[]string{"meetup", "conference", "workshop", "summit", "hackathon", "night", "day", "bootcamp"},
			[]string{"ai", "cloud", "startups", "golang", "kubernetes", "data", "python", "security", "devops", "rust", "frontend", "opensource"}},
		{"music", []string{"jazz", "techno", "indie", "classical", "hip hop", "folk", "electronic", "rock", "soul", "latin", "piano", "choir"},
			[]string{"night", "festival", "showcase", "concert", "session", "live", "open air", "rave"},
			[]string{"live", "electronic", "jazz", "indie", "festival", "classical", "dj", "rock", "acoustic", "hiphop"}},
		{"food", []string{"street food", "wine", "coffee", "vegan", "sushi", "craft beer", "cheese", "baking", "bbq", "ramen"},
			[]string{"festival", "tasting", "class", "market", "brunch", "tour"},
			[]string{"tasting", "wine", "vegan", "coffee", "beer", "cooking", "brunch"}},
		{"sports", []string{"marathon", "yoga", "climbing", "football", "cycling", "running", "tennis", "swimming", "basketball", "trail"},
			[]string{"meetup", "session", "tour", "race", "class", "league night", "challenge"},
			[]string{"fitness", "outdoors", "running", "wellness", "team", "cycling", "yoga"}},
		{"arts", []string{"gallery", "photography", "theatre", "poetry", "design", "film", "comedy", "dance", "sculpture", "street art"},
			[]string{"opening", "walk", "premiere", "slam", "week", "screening", "exhibition", "night"},
			[]string{"exhibition", "photography", "theatre", "design", "film", "comedy", "poetry"}},
		{"business", []string{"founders", "marketing", "leadership", "sales", "product", "finance", "growth", "fundraising", "remote work"},
			[]string{"breakfast", "summit", "forum", "mixer", "meetup", "masterclass", "roundtable"},
			[]string{"networking", "startups", "marketing", "leadership", "product", "founders", "growth"}},
		{"education", []string{"language exchange", "history", "science", "philosophy", "writing", "public speaking", "math", "astronomy"},
			[]string{"lecture", "course", "club", "workshop", "evening", "study group"},
			[]string{"learning", "languages", "science", "books", "writing", "talks"}},
		{"community", []string{"board games", "volunteering", "parents", "gardening", "book club", "pets", "newcomers", "neighbourhood"},
			[]string{"meetup", "afternoon", "picnic", "social", "gathering", "fair"},
			[]string{"social", "family", "games", "volunteering", "outdoors", "books"}},
		{"health", []string{"mindfulness", "nutrition", "mental health", "meditation", "pilates", "breathwork"},
			[]string{"session", "retreat", "workshop", "circle", "class"},
			[]string{"wellness", "meditation", "health", "mindfulness", "nutrition"}},
	}
	// Words of the descriptions' sentences, for queries that match only there.
	blurbWords = []string{"practitioners", "demos", "laptop", "pizza", "networking", "artists", "dj", "acoustic", "chefs", "recipes",
		"warm-up", "competition", "photographer", "emerging", "operators", "frameworks", "speakers", "discussion", "neighbours", "snacks"}
	// Words no event uses, and misspellings far from any word: queries that find nothing.
	absentWords = []string{"quidditch", "origami", "karaoke", "skateboarding", "bonsai", "paragliding"}
	// Words to type a few letters of: long and short, common and rare.
	prefixWords = []string{"technology", "techno", "photography", "kubernetes", "marathon", "meditation", "climbing", "hackathon",
		"conference", "festival", "workshop", "founders", "theatre", "coffee", "python", "berlin", "london", "tokyo", "breakfast",
		"screening", "exhibition", "networking", "astronomy", "electronic", "classical", "basketball", "volunteering", "leadership",
		"machine", "engineering", "sculpture", "mindfulness", "barcelona", "amsterdam", "singapore", "concert", "tasting", "jazz"}
)

// pick returns one of xs.
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// word is a one-word query: a topic (of a category chosen by popularity, so common words
// come up more), a kind of event, a tag, a city, a description word or, rarely, a word no
// event holds.
func word(r *rand.Rand) string {
	c := popularCategory(r)
	switch n := r.IntN(100); {
	case n < 40:
		return oneWord(r, c.topics)
	case n < 60:
		return oneWord(r, c.kinds)
	case n < 75:
		return pick(r, c.tags)
	case n < 85:
		for {
			if c := pick(r, seedCities); !strings.Contains(c.name, " ") {
				return strings.ToLower(c.name)
			}
		}
	case n < 95:
		return pick(r, blurbWords)
	default:
		return pick(r, absentWords)
	}
}

// oneWord picks one of xs that is one word.
func oneWord(r *rand.Rand, xs []string) string {
	for {
		if w := pick(r, xs); !strings.Contains(w, " ") {
			return w
		}
	}
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

// popularCategory picks a category as often as the seed gives it events.
func popularCategory(r *rand.Rand) seedCategory {
	weights := []int{24, 22, 12, 10, 10, 9, 6, 5, 2}
	n := r.IntN(100)
	for i, w := range weights {
		if n < w {
			return seedCategories[i]
		}
		n -= w
	}
	return seedCategories[0]
}

// topicOf is a text query about a category: its topic, or topic and kind, as titles name
// events ("jazz", "kubernetes meetup").
func topicOf(r *rand.Rand, c seedCategory) string {
	if r.IntN(2) == 0 {
		return pick(r, c.topics)
	}
	return pick(r, c.topics) + " " + pick(r, c.kinds)
}

// twoWords: a topic and a kind of the same category ("jazz night", "wine tasting"), a
// two-word topic ("machine learning"), a city and a topic ("berlin techno"), or two words
// of different categories (few or no matches).
func twoWords(r *rand.Rand) string {
	c := popularCategory(r)
	switch n := r.IntN(100); {
	case n < 50:
		return firstWord(pick(r, c.topics)) + " " + firstWord(pick(r, c.kinds))
	case n < 65:
		for range 10 {
			if t := pick(r, c.topics); strings.Contains(t, " ") {
				return t
			}
			c = pick(r, seedCategories)
		}
		return "machine learning"
	case n < 85:
		return strings.ToLower(firstWord(pick(r, seedCities).name)) + " " + firstWord(pick(r, c.topics))
	default:
		return firstWord(pick(r, c.topics)) + " " + firstWord(pick(r, popularCategory(r).topics))
	}
}

// threeWords: a topic, a kind and a city ("jazz night london"), or a two-word topic and a
// kind ("machine learning meetup").
func threeWords(r *rand.Rand) string {
	c := popularCategory(r)
	city := strings.ToLower(firstWord(pick(r, seedCities).name))
	t := pick(r, c.topics)
	if strings.Contains(t, " ") {
		return t + " " + firstWord(pick(r, c.kinds))
	}
	if r.IntN(4) == 0 {
		return t + " " + pick(r, c.tags) + " " + city
	}
	return t + " " + firstWord(pick(r, c.kinds)) + " " + city
}

// prefix is a word being typed: its first three to five letters.
func prefix(r *rand.Rand) string {
	w := pick(r, prefixWords)
	n := min(3+r.IntN(3), len(w)-1)
	return w[:n]
}

// typo is a word of five letters or more with two neighbouring letters swapped or one
// left out ("tehcno", "kubernets"), alone or after a correct word.
func typo(r *rand.Rand) string {
	var w string
	for len(w) < 5 {
		switch r.IntN(3) {
		case 0:
			w = pick(r, prefixWords)
		default:
			w = firstWord(pick(r, popularCategory(r).topics))
		}
	}
	b := []byte(w)
	i := 1 + r.IntN(len(b)-2) // never the first letter: people rarely get that wrong
	if r.IntN(2) == 0 {
		b[i], b[i+1] = b[i+1], b[i]
	} else {
		b = append(b[:i], b[i+1:]...)
	}
	if r.IntN(4) == 0 {
		return firstWord(pick(r, popularCategory(r).kinds)) + " " + string(b)
	}
	return string(b)
}

func setRadius(r *rand.Rand, v url.Values, km float64) seedCity {
	c := pick(r, seedCities)
	// Somewhere in the city, not always its centre.
	v.Set("lat", fmt.Sprintf("%.4f", c.lat+(r.Float64()-0.5)*0.04))
	v.Set("lng", fmt.Sprintf("%.4f", c.lng+(r.Float64()-0.5)*0.06))
	if km > 0 {
		v.Set("radius_km", fmt.Sprint(km))
	}
	return c
}

func setCity(r *rand.Rand, v url.Values) {
	name := pick(r, seedCities).name
	switch r.IntN(3) {
	case 0:
		name = strings.ToLower(name) // as typed
	case 1:
		name = strings.ToUpper(name[:1]) + name[1:]
	}
	v.Set("city", name)
}

func setPrice(r *rand.Rand, v url.Values) { v.Set("price_max", fmt.Sprint(10+5*r.IntN(9))) }

func setTo(v url.Values, from time.Time, d time.Duration) {
	v.Set("to", from.Add(d).Format(time.RFC3339))
}

const day = 24 * time.Hour

// shapes is the catalogue, in the order the scenario measures them.
var shapes = []shape{
	{name: "browse", gen: func(r *rand.Rand, from time.Time, v url.Values) {}},
	{name: "q1", gen: func(r *rand.Rand, from time.Time, v url.Values) { v.Set("q", word(r)) }},
	{name: "q2", gen: func(r *rand.Rand, from time.Time, v url.Values) { v.Set("q", twoWords(r)) }},
	{name: "q3", gen: func(r *rand.Rand, from time.Time, v url.Values) { v.Set("q", threeWords(r)) }},
	{name: "prefix", match: "prefix", gen: func(r *rand.Rand, from time.Time, v url.Values) { v.Set("q", prefix(r)) }},
	{name: "typo", match: "typo", gen: func(r *rand.Rand, from time.Time, v url.Values) { v.Set("q", typo(r)) }},
	{name: "category", gen: func(r *rand.Rand, from time.Time, v url.Values) { v.Set("category", pick(r, seedCategories).name) }},
	{name: "city", gen: func(r *rand.Rand, from time.Time, v url.Values) { setCity(r, v) }},
	{name: "date-short", gen: func(r *rand.Rand, from time.Time, v url.Values) { setTo(v, from, 3*day) }},
	{name: "date-long", gen: func(r *rand.Rand, from time.Time, v url.Values) { setTo(v, from, 180*day) }},
	{name: "price", gen: func(r *rand.Rand, from time.Time, v url.Values) { setPrice(r, v) }},
	{name: "free", gen: func(r *rand.Rand, from time.Time, v url.Values) { v.Set("free", "true") }},
	{name: "radius-small", gen: func(r *rand.Rand, from time.Time, v url.Values) { setRadius(r, v, 5) }},
	{name: "radius-large", gen: func(r *rand.Rand, from time.Time, v url.Values) { setRadius(r, v, 200) }},
	{name: "sort-date", gen: func(r *rand.Rand, from time.Time, v url.Values) {
		v.Set("q", word(r))
		v.Set("sort", "date")
	}},
	{name: "sort-distance", gen: func(r *rand.Rand, from time.Time, v url.Values) {
		setRadius(r, v, 50)
		v.Set("sort", "distance")
	}},
	{name: "q+category", gen: func(r *rand.Rand, from time.Time, v url.Values) {
		c := pick(r, seedCategories)
		if r.IntN(5) == 0 {
			c = popularCategory(r) // the text may be of another category
		}
		v.Set("q", topicOf(r, c))
		v.Set("category", pick(r, seedCategories).name)
		if r.IntN(5) != 0 {
			v.Set("category", c.name)
		}
	}},
	{name: "q+city", gen: func(r *rand.Rand, from time.Time, v url.Values) {
		v.Set("q", topicOf(r, popularCategory(r)))
		setCity(r, v)
	}},
	{name: "q+date-short", gen: func(r *rand.Rand, from time.Time, v url.Values) {
		v.Set("q", word(r))
		setTo(v, from, 3*day)
	}},
	{name: "q+price", gen: func(r *rand.Rand, from time.Time, v url.Values) {
		v.Set("q", word(r))
		setPrice(r, v)
	}},
	{name: "q+free", gen: func(r *rand.Rand, from time.Time, v url.Values) {
		v.Set("q", word(r))
		v.Set("free", "true")
	}},
	{name: "q+radius-small", gen: func(r *rand.Rand, from time.Time, v url.Values) {
		v.Set("q", word(r))
		setRadius(r, v, 5)
	}},
	{name: "q+radius-large", gen: func(r *rand.Rand, from time.Time, v url.Values) {
		v.Set("q", word(r))
		setRadius(r, v, 200)
	}},
	{name: "q+distance-sort", gen: func(r *rand.Rand, from time.Time, v url.Values) {
		v.Set("q", word(r))
		setRadius(r, v, 100)
		v.Set("sort", "distance")
	}},
	{name: "q+category+radius+price", gen: func(r *rand.Rand, from time.Time, v url.Values) {
		c := popularCategory(r)
		v.Set("q", topicOf(r, c))
		v.Set("category", c.name)
		setRadius(r, v, 50)
		setPrice(r, v)
	}},
}

// shapeByName returns the named shape.
func shapeByName(name string) (*shape, bool) {
	for i := range shapes {
		if shapes[i].name == name {
			return &shapes[i], true
		}
	}
	return nil, false
}

// selectShapes returns the shapes a comma-separated list names, all of them when it is
// empty.
func selectShapes(list string) ([]*shape, error) {
	var out []*shape
	if strings.TrimSpace(list) == "" {
		for i := range shapes {
			out = append(out, &shapes[i])
		}
		return out, nil
	}
	for _, n := range strings.Split(list, ",") {
		s, ok := shapeByName(strings.TrimSpace(n))
		if !ok {
			var names []string
			for _, s := range shapes {
				names = append(names, s.name)
			}
			return nil, fmt.Errorf("no shape %q; shapes: %s", n, strings.Join(names, ", "))
		}
		out = append(out, s)
	}
	return out, nil
}

// querySource makes the scenario's queries: each takes the next from time, one second
// after the previous query's, so that no two queries of a run are the same and the
// service's cache of pages never answers for the search itself.
type querySource struct {
	base time.Time
	n    atomic.Int64
	mu   sync.Mutex
	rng  *rand.Rand
}

func newQuerySource(seed uint64) *querySource {
	return &querySource{base: time.Now().Add(time.Minute).UTC().Truncate(time.Second), rng: rand.New(rand.NewPCG(seed, seed^0x5eed))}
}

// next returns a new query of shape s.
func (qs *querySource) next(s *shape) url.Values {
	from := qs.base.Add(time.Duration(qs.n.Add(1)) * time.Second)
	v := url.Values{"from": {from.Format(time.RFC3339)}, "limit": {"20"}}
	qs.mu.Lock()
	s.gen(qs.rng, from, v)
	qs.mu.Unlock()
	return v
}

// query is a query of a known shape.
type query struct {
	shape  *shape
	values url.Values
}

// mixed returns a function giving queries of each of ss in turn.
func (qs *querySource) mixed(ss []*shape) func() query {
	var i atomic.Int64
	return func() query {
		s := ss[int(i.Add(1)-1)%len(ss)]
		return query{s, qs.next(s)}
	}
}
