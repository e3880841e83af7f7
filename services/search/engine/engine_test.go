package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)

func ptr(f float64) *float64 { return &f }

var berlin, paris = [2]float64{52.52, 13.405}, [2]float64{48.8566, 2.3522}

func fixture() []Doc {
	at := func(days int) time.Time { return now.Add(time.Duration(days) * 24 * time.Hour) }
	geo := func(d Doc, c [2]float64) Doc { d.Lat, d.Lng = ptr(c[0]), ptr(c[1]); return d }
	return []Doc{
		geo(Doc{ID: 1, Title: "Go Meetup", Tags: []string{"golang"}, Category: "technology", City: "Berlin", StartsAt: at(5)}, berlin),
		geo(Doc{ID: 2, Title: "Technology Breakfast", Category: "technology", City: "Berlin", StartsAt: at(9), Price: 15}, berlin),
		geo(Doc{ID: 3, Title: "Berghain Techno Night", Tags: []string{"techno"}, Category: "music", City: "Berlin", StartsAt: at(2), Price: 20}, berlin),
		geo(Doc{ID: 4, Title: "Jazz Brunch", Category: "music", City: "Paris", StartsAt: at(3), Description: "Live jazz and tech-free fun."}, paris),
		geo(Doc{ID: 5, Title: "Kubernetes Meetups", Tags: []string{"cloud"}, Category: "technology", City: "Paris", StartsAt: at(1)}, paris),
		{ID: 6, Title: "Online Writing Class", Category: "education", Description: "Technical writing for engineers", StartsAt: at(4)},
		geo(Doc{ID: 7, Title: "Past Meetup", Category: "technology", City: "Berlin", StartsAt: at(-2)}, berlin),
	}
}

func ids(hs []Hit) []int64 {
	var out []int64
	for _, h := range hs {
		out = append(out, h.ID)
	}
	return out
}

func TestSearch(t *testing.T) {
	ix := Build(fixture())
	for _, c := range []struct {
		q     Query
		want  []int64
		match string
	}{
		{Query{Q: "meetup"}, []int64{5, 1}, "fulltext"}, // stems: meetups; past events never
		// The category it begins first (technology): in the title, then the category; then
		// title prefixes (techno), then the description: exactly ("tech-free"), then as a
		// prefix ("technical").
		{Query{Q: "tech"}, []int64{2, 5, 1, 3, 4, 6}, "fulltext"},
		{Query{Q: "technology"}, []int64{2, 5, 1}, "fulltext"},    // the category is a word; title outranks it
		{Query{Q: "berlin techno"}, []int64{3, 1, 2}, "fulltext"}, // city as a word; techno before technology
		{Query{Q: "technolo"}, []int64{2, 5, 1}, "prefix"},
		{Query{Q: "jaz"}, []int64{4}, "prefix"},         //
		{Query{Q: "kubernets"}, []int64{5}, "fulltext"}, // one stem
		{Query{Q: "jzaz"}, []int64{4}, "fuzzy"},         // a typo
		{Query{Q: "the"}, nil, "fulltext"},
		{Query{Q: "jazz or techno"}, []int64{3, 4, 2, 5, 1}, "fulltext"}, // either; techno is being typed
		{Query{Q: "meetup -kubernetes"}, []int64{1}, "fulltext"},         // excluded in any field
		{Query{Q: "-golang"}, []int64{5, 3, 4, 6, 2}, "filters"},         // only excluded: every other event
		{Query{Q: `"techno night"`}, []int64{3}, "fulltext"},             // a phrase is its words
		{Query{Q: "tech "}, []int64{4}, "fulltext"},                      // finished: no prefix
		{Query{Q: "go meet"}, []int64{1}, "prefix"},                      // the last word as a prefix
		{Query{Q: "berlin meet or jaz"}, []int64{4}, "prefix"},           // only the last word is being typed                            // only stop words: searched as they are
		{Query{Category: "technology"}, []int64{5, 1, 2}, "filters"},     // date order
		{Query{Free: true, Category: "music"}, []int64{4}, "filters"},    //
		{Query{PriceMax: ptr(15)}, []int64{5, 4, 6, 1, 2}, "filters"},    //
		{Query{Lat: ptr(berlin[0]), Lng: ptr(berlin[1]), RadiusKm: 25}, []int64{3, 1, 2}, "filters"},
		{Query{Q: "meetup", Sort: "distance", Lat: ptr(paris[0]), Lng: ptr(paris[1])}, []int64{5, 1}, "fulltext"},
		{Query{From: now.Add(3 * 24 * time.Hour), To: now.Add(6 * 24 * time.Hour)}, []int64{4, 6, 1}, "filters"},
	} {
		t.Run(fmt.Sprintf("%+v", c.q), func(t *testing.T) {
			r := ix.Search(c.q, now)
			if got := ids(r.Hits); !slices.Equal(got, c.want) || r.Match != c.match {
				t.Errorf("got %v %s, want %v %s", got, r.Match, c.want, c.match)
			}
			if r.Total != len(c.want) {
				t.Errorf("total %d, want %d", r.Total, len(c.want))
			}
		})
	}
}

func TestFacetsCountEveryMatch(t *testing.T) {
	r := Build(fixture()).Search(Query{Q: "tech", Limit: 1}, now)
	want := []Facet{{"technology", 3}, {"music", 2}, {"education", 1}}
	if !slices.Equal(r.Category, want) || r.Total != 6 || len(r.Hits) != 1 {
		t.Errorf("got %v total %d, want %v total 6", r.Category, r.Total, want)
	}
	if !slices.Equal(r.Dates, []Facet{{"next_7_days", 5}, {"next_30_days", 1}}) {
		t.Errorf("dates %v", r.Dates)
	}
}

// TestChangesAndPaging: events put after the build (new, changed) and removed are found as
// if the index had been built with them, and pages cross tiers and additions without
// duplicates or gaps.
func TestChangesAndPaging(t *testing.T) {
	docs := fixture()
	ix := Build(docs)
	ix.Put(Doc{ID: 8, Title: "Tech Talks", Category: "technology", StartsAt: now.Add(time.Hour)})
	ix.Put(Doc{ID: 3, Title: "Berghain Techno Night", Category: "music", StartsAt: now.Add(40 * 24 * time.Hour)}) // moved
	ix.Remove(2)
	ix.Remove(99)
	rebuilt := Build(append(slices.DeleteFunc(slices.Clone(docs), func(d Doc) bool { return d.ID == 2 || d.ID == 3 }),
		Doc{ID: 8, Title: "Tech Talks", Category: "technology", StartsAt: now.Add(time.Hour)},
		Doc{ID: 3, Title: "Berghain Techno Night", Category: "music", StartsAt: now.Add(40 * 24 * time.Hour)}))
	for _, q := range []Query{{Q: "tech"}, {}, {Q: "meetup"}, {Category: "technology"}, {City: "berlin"},
		{Sort: "distance", Lat: ptr(paris[0]), Lng: ptr(paris[1])}, {Q: "tech", Sort: "distance", Lat: ptr(berlin[0]), Lng: ptr(berlin[1])}} {
		want := ids(rebuilt.Search(q, now).Hits)
		var got []int64
		var after *Cursor
		for range 10 {
			q.Limit, q.After = 1, after
			r := ix.Search(q, now)
			if len(r.Hits) == 0 {
				break
			}
			h := r.Hits[0]
			got = append(got, h.ID)
			after = &Cursor{Tier: h.Tier, Starts: h.Starts, ID: h.ID}
			if h.DistanceKm != nil {
				after.Km = *h.DistanceKm
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%+v: paged %v, want %v", q, got, want)
		}
	}
	if ix.Len() != 7 {
		t.Errorf("len %d, want 7", ix.Len())
	}
	delta := ix.Delta()
	ix.Put(fixture()[0]) // unchanged: keeps its place
	if ix.Delta() != delta {
		t.Errorf("an unchanged event was added again")
	}
}

func TestCity(t *testing.T) {
	ix := Build(fixture())
	if got := ids(ix.Search(Query{City: " BERLIN"}, now).Hits); !slices.Equal(got, []int64{3, 1, 2}) {
		t.Errorf("city Berlin: %v", got)
	}
	if got := ids(ix.Search(Query{Q: "meetup", City: "paris"}, now).Hits); !slices.Equal(got, []int64{5}) {
		t.Errorf("meetup in Paris: %v", got)
	}
	if r := ix.Search(Query{City: "Atlantis"}, now); r.Total != 0 {
		t.Errorf("an unknown city found %d", r.Total)
	}
}

func TestSuggest(t *testing.T) {
	upcoming := fixture()[:6]
	ix := Build(append(upcoming, Doc{ID: 9, Title: "Go meetup", Category: "technology", City: "Berlin", StartsAt: now.Add(time.Hour)}))
	for _, c := range []struct {
		q    string
		want []Suggestion
	}{
		{"go", []Suggestion{{"Go meetup", "title", 2}}}, // one phrase, any case, as first written
		{"tech", []Suggestion{{"technology", "category", 4}, {"Technology Breakfast", "title", 1}}},
		{"ber", []Suggestion{{"Berlin", "city", 4}, {"Berghain Techno Night", "title", 1}}},
		{"jazz brunhc", []Suggestion{{"Jazz Brunch", "title", 1}}}, // a typo
		{"zzz", []Suggestion{}},
	} {
		got := ix.Suggest(c.q, 3)
		if len(got) != len(c.want) || len(got) > 0 && !slices.Equal(got, c.want) {
			t.Errorf("%q: got %v, want %v", c.q, got, c.want)
		}
	}
	ix.Remove(9)
	ix.Put(Doc{ID: 10, Title: "Gophers Night", StartsAt: now.Add(time.Hour)})
	if got := ix.Suggest("go", 3); !slices.Equal(got, []Suggestion{{"Go meetup", "title", 1}, {"Gophers Night", "title", 1}}) {
		t.Errorf("after changes: %v", got)
	}
	// What autocomplete offers, search finds.
	for _, sg := range ix.Suggest("", 100) {
		if r := ix.Search(Query{Q: sg.Text}, now); r.Total < 1 {
			t.Errorf("suggested %q finds nothing", sg.Text)
		}
	}
}

func TestHighlight(t *testing.T) {
	ix := Build(fixture())
	r := ix.Search(Query{Q: "jazz tech"}, now)
	if got := r.Marks.Highlight("Live <b>Jazz</b> & tech-free fun"); got != "Live &lt;b&gt;<mark>Jazz</mark>&lt;/b&gt; &amp; <mark>tech</mark>-free fun" {
		t.Errorf("highlight: %s", got)
	}
	r = ix.Search(Query{Q: "meetups"}, now)
	if got := r.Marks.Highlight("A Meetup of meetups"); got != "A <mark>Meetup</mark> of <mark>meetups</mark>" {
		t.Errorf("stems: %s", got)
	}
	long := strings.Repeat("word ", 30) + "jazz " + strings.Repeat("more ", 30) + "jazz end"
	r = ix.Search(Query{Q: "jazz"}, now)
	got := r.Marks.Snippet(long)
	if strings.Count(got, "<mark>jazz</mark>") != 2 || !strings.Contains(got, " ... ") || len(strings.Fields(got)) > 2*snippetWords+1 {
		t.Errorf("snippet: %s", got)
	}
	if got := r.Marks.Snippet("Nothing to see here"); got != "Nothing to see here" {
		t.Errorf("no match: %s", got)
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"jazz", "jazz", 0}, {"jzaz", "jazz", 1}, {"kubernets", "kubernetes", 1}, {"meetup", "metup", 1}, {"abc", "xyz", 3}} {
		if got := editDistance(c.a, c.b, 2); got != min(c.d, 3) {
			t.Errorf("%s %s: %d, want %d", c.a, c.b, got, c.d)
		}
	}
}

// TestNearestByRingsIsTheNearest: with many matches, the ring-by-ring walk returns what
// measuring every match returns, near the antimeridian and the poles too.
func TestNearestByRingsIsTheNearest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var docs []Doc
	for i := range 40_000 {
		lat, lng := rng.Float64()*170-85, rng.Float64()*360-180
		if i%2 == 0 { // half of them clustered, as cities are
			lat, lng = 52.5+rng.NormFloat64()*0.3, 13.4+rng.NormFloat64()*0.3
		}
		docs = append(docs, Doc{ID: int64(i + 1), Title: "Event", StartsAt: now.Add(time.Duration(i) * time.Minute), Lat: ptr(lat), Lng: ptr(lng)})
	}
	ix := Build(docs)
	all := ix.live.Clone()
	for _, p := range [][2]float64{{52.52, 13.405}, {0, 179.9}, {-10, -179.95}, {84, 10}, {-84.9, 0}, {35, 139}} {
		rings := ids(ix.nearest(all, p[0], p[1], 20, nil))
		top := newNearTop(20, nil)
		ix.measure(all, pointOf(p[0], p[1]), top)
		if want := ids(top.hits(ix)); !slices.Equal(rings, want) {
			t.Errorf("near %v: rings %v, want %v", p, rings, want)
		}
	}
}

// TestWithinAgreesWithTheSphere: the chord never changes an answer of the great-circle
// distance (haversine, computed from the degrees), nor of the distance shown.
func TestWithinAgreesWithTheSphere(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ix := New()
	for i := range 200_000 {
		lat, lng := rng.Float64()*160-80, rng.Float64()*360-180
		km := []float64{0.1, 1, 5, 25, 100, 300, 499, 800, 3000, 15000, 21000}[rng.IntN(11)]
		dlat, dlng := lat+rng.NormFloat64()*km/80, lng+rng.NormFloat64()*km/50
		if dlat > 90 || dlat < -90 {
			continue
		}
		dlng = math.Mod(dlng+540, 360) - 180
		ix.Put(Doc{ID: int64(i + 1), Lat: &dlat, Lng: &dlng})
		n := ix.byID[int64(i+1)]
		sphere := haversineKm(lat, lng, dlat, dlng)
		got := ix.within(pointOf(lat, lng), km)(n)
		if shown := kmOfChord2(pointOf(lat, lng).chord2(ix.places[n])); got != (shown <= km) || math.Abs(shown-sphere) > 1e-6 {
			t.Fatalf("(%f, %f) to (%f, %f) within %v km: %v; shown %v km, the sphere says %v km", lat, lng, dlat, dlng, km, got, shown, sphere)
		}
	}
}

// haversineKm is the great-circle distance on a sphere of the Earth's mean radius.
func haversineKm(lat1, lng1, lat2, lng2 float64) float64 {
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lng2-lng1)*math.Pi/180
	h := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * earthKm * math.Asin(math.Min(1, math.Sqrt(h)))
}

// TestFiltersAndFacetsAgreeWithAScan: over random events, some changed or removed after the
// build, every combination of filters finds what testing each event finds, with the same
// total, facets and first page.
func TestFiltersAndFacetsAgreeWithAScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cats := []string{"music", "technology", "food", "arts"}
	random := func(id int64) Doc {
		d := Doc{ID: id, Title: "Event", Category: cats[rng.IntN(len(cats))],
			StartsAt: now.Add(time.Duration(rng.IntN(200*24)) * time.Hour), Price: []float64{0, 5, 12.5, 20, 35, 99.99}[rng.IntN(6)]}
		if rng.IntN(5) != 0 {
			d.Lat, d.Lng = ptr(berlin[0]+rng.NormFloat64()*0.2), ptr(berlin[1]+rng.NormFloat64()*0.3)
		}
		return d
	}
	docs := map[int64]Doc{}
	var built []Doc
	for id := range int64(5000) {
		docs[id] = random(id)
		built = append(built, docs[id])
	}
	ix := Build(built)
	for range 800 { // changed, new and removed after the build
		id := rng.Int64N(6000)
		if rng.IntN(4) == 0 {
			ix.Remove(id)
			delete(docs, id)
			continue
		}
		docs[id] = random(id)
		ix.Put(docs[id])
	}
	for i := range 300 {
		q := Query{Limit: 7}
		if rng.IntN(2) == 0 {
			q.Category = cats[rng.IntN(len(cats))]
		}
		switch rng.IntN(3) {
		case 0:
			q.PriceMax = ptr([]float64{0, 5, 10, 12.5, 20, 30}[rng.IntN(6)])
		case 1:
			q.Free = true
		}
		if rng.IntN(2) == 0 {
			q.Lat, q.Lng, q.RadiusKm = ptr(berlin[0]), ptr(berlin[1]), []float64{0, 3, 10, 40}[rng.IntN(4)]
		}
		if rng.IntN(2) == 0 {
			q.From = now.Add(time.Duration(rng.IntN(60*24)) * time.Hour)
			q.To = q.From.Add(time.Duration(1+rng.IntN(90*24)) * time.Hour)
		}
		from := now
		if q.From.After(from) {
			from = q.From
		}
		var want []Doc
		catCount, dateCount := map[string]int{}, map[string]int{}
		for _, d := range docs {
			switch {
			case d.StartsAt.Before(from), !q.To.IsZero() && !d.StartsAt.Before(q.To),
				q.Category != "" && d.Category != q.Category,
				q.Free && d.Price != 0, q.PriceMax != nil && d.Price > *q.PriceMax,
				q.Lat != nil && d.Lat == nil,
				q.RadiusKm > 0 && haversineKm(*q.Lat, *q.Lng, *d.Lat, *d.Lng) > q.RadiusKm:
				continue
			}
			want = append(want, d)
			catCount[d.Category]++
			switch in := d.StartsAt.Sub(now); {
			case in < 7*24*time.Hour:
				dateCount["next_7_days"]++
			case in < 30*24*time.Hour:
				dateCount["next_30_days"]++
			case in < 90*24*time.Hour:
				dateCount["next_90_days"]++
			default:
				dateCount["later"]++
			}
		}
		slices.SortFunc(want, func(a, b Doc) int {
			if c := a.StartsAt.Compare(b.StartsAt); c != 0 {
				return c
			}
			return cmpInt(a.ID, b.ID)
		})
		r := ix.Search(q, now)
		var wantIDs []int64
		for _, d := range want[:min(7, len(want))] {
			wantIDs = append(wantIDs, d.ID)
		}
		gotCats, gotDates := map[string]int{}, map[string]int{}
		for _, f := range r.Category {
			gotCats[f.Value] = f.Count
		}
		for _, f := range r.Dates {
			gotDates[f.Value] = f.Count
		}
		if r.Total != len(want) || !slices.Equal(ids(r.Hits), wantIDs) || fmt.Sprint(gotCats) != fmt.Sprint(catCount) || fmt.Sprint(gotDates) != fmt.Sprint(dateCount) {
			t.Fatalf("query %d %+v: total %d hits %v cats %v dates %v; want %d %v %v %v", i, q, r.Total, ids(r.Hits), gotCats, gotDates,
				len(want), wantIDs, catCount, dateCount)
		}
	}
}
