package search

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/events-platform/events-platform/internal/eventview"
)

// Every search statement reads event_search, not events: one narrow row per published
// public event (what search filters, ranks and counts on), with the generated columns
// cells (geo_cells, see cells.go), title_vector and head_vector. No Go code writes it:
// the trigger event_search_sync on events (migration 0003_search_event_search_table, redefined in
// 0005_search_words_and_cells and 0008_search_public_only) inserts, updates and deletes its
// row in the writer's own transaction, so a search never sees a change before it
// commits nor misses one. A new column search filters on must be added to the table,
// to that trigger function and to the trigger's UPDATE OF list. The page's columns
// (detailed) are read from events itself.

// Params is one validated search over published, upcoming, public events.
type Params struct {
	Q        string
	Category string
	From, To *time.Time
	// Geo filter and distance sort: Lat and Lng with RadiusKm (0: no radius).
	Lat, Lng *float64
	RadiusKm float64
	PriceMax *float64
	Free     bool
	Sort     string // relevance, date or distance
	// Corrected: Q is the user's query with typos corrected (see Correct).
	Corrected bool
	After     *Cursor
	Limit     int // rows to fetch (one more than the page, to know whether another follows)
	// Counted is how many matches the facets counted, up to FacetLimit; 0: not counted.
	Counted int
}

// query builds SQL with numbered arguments. Its WHERE conditions are kept by role, and
// written in the order upcoming, words, scope.
type query struct {
	args []any
	// upcoming: only events that have not started.
	upcoming string
	// words: the full-text condition of p.Q ("" without words).
	words string
	// scope: every other condition (category, time, price, place, sample, cursor), in the
	// order they were added.
	scope []string
	// tsq is the tsquery of p.Q for the expressions that score, tier and highlight
	// events: that of the first binding of p.Q, which a query built on another's
	// arguments (firstSQL) shares.
	tsq string
	// plain: no condition on an index of prefixed words, for a query that walks an
	// index in date order (the prefixed words would be computed row by row) or counts
	// the sample (whose index serves words, category and cells together).
	plain bool
	// titles: only events whose title matches, found within a place through
	// event_search_place_title_idx (the first tier of a local search).
	titles bool
}

func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// where returns every condition of q, ANDed.
func (q *query) where() string {
	return strings.Join(slices.Concat([]string{q.upcoming}, nonEmpty(q.words), q.scope), " AND ")
}

// inScope returns the conditions of q but the words, ANDed: which events a walk in date
// order looks at.
func (q *query) inScope() string {
	return strings.Join(slices.Concat([]string{q.upcoming}, q.scope), " AND ")
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// filters returns the WHERE conditions every query of p shares (not the cursor's), and
// the expressions for the score and, withDist, the distance (a query must use every
// argument it is given, so the coordinates are bound only when something uses them).
func (p Params) filters(q *query, withDist bool) (score, dist string) {
	q.upcoming = "starts_at >= now()"
	score = "0::float4"
	var place []int32
	byPlace := false
	if p.Q != "" && p.Lat != nil && p.RadiusKm > 0 && !q.plain {
		place, byPlace = coverAt(placeCellSize, *p.Lat, *p.Lng, p.RadiusKm*1000, maxPlaceCells)
	}
	byTopic := p.Q != "" && p.Category != "" && !byPlace && !q.plain
	tsq := ""
	if p.Q != "" {
		qa := q.arg(p.Q)
		tsq = "websearch_to_tsquery('english', " + qa + ")"
		if q.tsq == "" {
			q.tsq = tsq
		}
		if byPlace || byTopic {
			// Tested on the rows the place or topic index finds, not intersected with
			// the word's entries in the text index (a common word's are most of the cost).
			q.words = "ts_match_vq(search_vector, " + tsq + ")"
		} else {
			q.words = "search_vector @@ " + tsq
		}
		// The stored, weighted vector is ranked; nothing is parsed per row. Title (A)
		// outweighs tags (B) and description (C).
		score = "ts_rank(search_vector, websearch_to_tsquery('english', " + qa + "))::float4"
	}
	switch {
	case byTopic:
		// The category is a test on the rows only: ANDing its index entries (a third of
		// all events for technology) with the topic index's cost 12 ms.
		q.scope = append(q.scope, "(category = "+q.arg(p.Category)+") IS TRUE",
			prefixedCond(topicWords, tsq, q.arg(prefixReplacement([]string{p.Category}))))
	case p.Category != "":
		q.scope = append(q.scope, "category = "+q.arg(p.Category))
	}
	if p.From != nil {
		q.scope = append(q.scope, "starts_at >= "+q.arg(*p.From))
	}
	if p.To != nil {
		q.scope = append(q.scope, "starts_at < "+q.arg(*p.To))
	}
	if p.Free {
		q.scope = append(q.scope, "price = 0")
	} else if p.PriceMax != nil {
		q.scope = append(q.scope, "price <= "+q.arg(*p.PriceMax))
	}
	dist = "NULL::float8"
	if p.Lat != nil && !withDist && p.RadiusKm == 0 {
		q.scope = append(q.scope, "lat IS NOT NULL")
	} else if p.Lat != nil {
		lat, lng := q.arg(*p.Lat), q.arg(*p.Lng)
		// Great-circle distance in metres: earthdistance's <@> (statute miles, a sphere
		// of earthRadius). It is a C function of two points; earth_distance of two
		// ll_to_earth cubes cost 4 µs a row, four times the rest of a row's tests.
		dist = "(point(lng, lat) <@> point(" + lng + "::float8, " + lat + "::float8)) * 1609.344"
		q.scope = append(q.scope, "lat IS NOT NULL")
		if p.RadiusKm > 0 {
			r := q.arg(p.RadiusKm * 1000)
			if byPlace {
				cells := make([]string, len(place))
				for i, c := range place {
					cells[i] = strconv.Itoa(int(c))
				}
				words := placeWords
				if q.titles {
					// ts_match_vq, not @@: the title index must not be ANDed in (a
					// common word's title entries cost more than the place's).
					words = placeTitleWords
					q.scope = append(q.scope, "ts_match_vq(title_vector, "+tsq+")")
				}
				q.scope = append(q.scope, prefixedCond(words, tsq, q.arg(prefixReplacement(cells))))
			} else if cells, ok := cover(*p.Lat, *p.Lng, p.RadiusKm*1000); ok && p.Q != "" {
				// The words and the cells around the circle meet in one GIN scan, instead
				// of every event in a city's box being read to test its words.
				q.scope = append(q.scope, "cells && "+q.arg(cells)+"::int4[]")
			} else {
				// The box test uses the GiST index; earth_box's sphere is 0.11 % larger than
				// <@>'s, so the box is drawn a little wider.
				origin := "ll_to_earth(" + lat + "::float8, " + lng + "::float8)"
				q.scope = append(q.scope, "earth_box("+origin+", "+r+"::float8 * 1.002) @> ll_to_earth(lat, lng)")
			}
			// The distance test trims the corners.
			q.scope = append(q.scope, dist+" <= "+r+"::float8")
		}
	}
	return score, dist
}

// Words in a place or a category: event_search_place_idx and event_search_topic_idx
// index each event's words prefixed with its 0.4° cell ("274268643:jazz") or its
// category ("music:jazz"), so that the events of a city or a category with a word are one
// small posting list, where intersecting the word's entries (every event with it) with
// the city's or the category's costs as much as decoding them all: 3.4 ms for "jazz"
// around Berlin, 0.9 ms so.

// placeCellSize and maxPlaceCells: the cells of the place index (cells[2] in SQL) and
// the most of them one search asks for.
const (
	placeCellSize = 1
	maxPlaceCells = 25
	placeWords    = "prefixed_words(cells[2]::text, search_vector)"
	// placeTitleWords: the same for the words of titles only.
	placeTitleWords = "prefixed_words(cells[2]::text, title_vector)"
	topicWords      = "prefixed_words(category, search_vector)"
)

// prefixedCond is the condition on an index of prefixed words (placeWords, topicWords)
// for the words of tsq (an SQL expression) under the prefixes of replacement
// (prefixReplacement): the indexable part of the query (querytree: no negations), its
// phrases loosened to AND, each word asked for under every prefix. A query with no
// indexable part ("-jazz") has no such condition.
func prefixedCond(words, tsq, replacement string) string {
	return `(querytree(` + tsq + `) = 'T' OR ` + words + ` @@ regexp_replace(regexp_replace(querytree(` +
		tsq + `), '<[0-9]+>|<->', '&', 'g'), '''((?:[^'']|'''')*)''', ` + replacement + `, 'g')::tsquery)`
}

// prefixReplacement is the regexp replacement that asks for a word (\1) under each
// prefix, quoted for tsquery and escaped for the replacement.
func prefixReplacement(prefixes []string) string {
	quote := strings.NewReplacer(`'`, `''`, `\`, `\\`)
	alts := make([]string, len(prefixes))
	for i, p := range prefixes {
		alts[i] = "'" + quote.Replace(p) + `:\1'`
	}
	return "(" + strings.Join(alts, " | ") + ")"
}

// resultsSQL returns the query for one page of results of p, read in full (detailed).
func (p Params) resultsSQL() (string, []any) {
	q := &query{}
	page, order := p.resultsPage(q)
	return p.detailed(q.tsq, page, order), q.args
}

// resultsPage returns, built into q, the query choosing a page of p on the narrow rows
// (id, starts_at, score, dist), and its order.
func (p Params) resultsPage(q *query) (page, order string) {
	score, dist := p.filters(q, true)
	order = "score DESC, id"
	var after string
	switch p.Sort {
	case "date":
		order = "starts_at, id"
		if p.After != nil {
			after = "(starts_at, id) > (" + q.arg(p.After.Time) + ", " + q.arg(p.After.ID) + ")"
		}
	case "distance":
		order = "dist, id"
		if p.After != nil {
			after = "(dist, id) > (" + q.arg(p.After.Dist) + "::float8, " + q.arg(p.After.ID) + ")"
		}
	default:
		if p.After != nil {
			s, id := q.arg(p.After.Score), q.arg(p.After.ID)
			after = "(score < " + s + "::float4 OR score = " + s + "::float4 AND id > " + id + ")"
		}
	}
	page = `SELECT * FROM (SELECT id, starts_at, ` + score + ` AS score, ` + dist + ` AS dist FROM event_search WHERE ` + q.where() + `) m`
	if after != "" {
		page += ` WHERE ` + after
	}
	return page + ` ORDER BY ` + order + ` LIMIT ` + q.arg(p.Limit), order
}

// detailed wraps page, a query for the rows (id, starts_at, score, dist) of a page in
// order, into one that reads each of them in full, in the same order: the event's
// columns (eventview.Columns), the score, the distance and the highlights (scanResult
// reads them). Only
// the page's rows are read from the wide events table, and no statement of its own does
// it.
func (p Params) detailed(tsq, page, order string) string {
	hl, hlTitle := "left(e.description, 200)", "e.title"
	if p.Q != "" {
		opts := "'StartSel=<mark>, StopSel=</mark>, MaxFragments=2, MaxWords=18, MinWords=6'"
		hl = "ts_headline('english', e.description, " + tsq + ", " + opts + ")"
		hlTitle = "ts_headline('english', e.title, " + tsq + ", 'StartSel=<mark>, StopSel=</mark>, HighlightAll=true')"
	}
	return `SELECT ` + eventview.Columns("e.") + `, ` + hlTitle + ` AS title_hl, p.score, p.dist, ` + hl + ` AS snippet
		FROM (` + page + `) p JOIN events e ON e.id = p.id ORDER BY ` + prefixed(order, "p.")
}

// prefixed qualifies the columns of an ORDER BY list.
func prefixed(order, alias string) string {
	parts := strings.Split(order, ", ")
	for i, c := range parts {
		parts[i] = alias + c
	}
	return strings.Join(parts, ", ")
}

// FacetLimit caps the matches that facets and the total count, as Elasticsearch's
// track_total_hits does: counting is the one part of a search whose cost grows with the
// number of matches, and past this many a client needs "more than 1,000", not the figure.
// (It was 10,000: counting that many rows of a common word cost ~40 ms a search, most of
// a first page's work.)
const FacetLimit = 1_000

// bucketExpr is the date facet of a row.
const bucketExpr = `CASE WHEN starts_at < now() + interval '7 days' THEN 'next_7_days'
	WHEN starts_at < now() + interval '30 days' THEN 'next_30_days'
	WHEN starts_at < now() + interval '90 days' THEN 'next_90_days' ELSE 'later' END`

// sampleCond picks the eighth of the events that event_search_sample_idx indexes: it is
// the index predicate, spelled the same so that the planner can use the index.
const sampleCond = "id % 8 = 0"

// facetsSQL returns the query counting the matches of p, up to FacetLimit, by category
// and by date bucket; with sample, only among the events of the sample (sampleCond).
func (p Params) facetsSQL(sample bool) (string, []any) {
	q := &query{plain: sample}
	p.filters(q, false)
	if sample {
		q.scope = append(q.scope, sampleCond)
	}
	return facetCounts(q), q.args
}

// facetCounts returns, built into q, the query counting the first FacetLimit events
// matching q's conditions by category (rows: category, NULL, n) and by date bucket
// (NULL, bucket, n).
func facetCounts(q *query) string {
	return `SELECT category, ` + bucketExpr + ` AS bucket, count(*) AS n
		FROM (SELECT category, starts_at FROM event_search WHERE ` + q.where() + ` LIMIT ` + q.arg(FacetLimit) + `) m
		GROUP BY GROUPING SETS ((category), (bucket))`
}

// firstSQL returns, for a first page whose events do not depend on how many match (see
// Params.first), one query for the facets and the page. Each row holds one result of the
// page as resultsSQL reads it, then the facets as facetsSQL counts them, as arrays
// (categories, their counts, date buckets, theirs); when the page is empty, one row holds
// NULLs and the facets. The page is that of resultsSQL, or within a local radius by
// relevance the events whose title matches, soonest first, found through the place's title
// words: the tier that comes first, without reading the events that match only by their
// tags or description (7,600 of the 8,900 for "ai" around London). Unless the facets count
// only the sample, the page is not looked for when they found nothing.
func (p Params) firstSQL(sample bool) (string, []any) {
	f := &query{plain: sample}
	p.filters(f, false)
	if sample {
		f.scope = append(f.scope, sampleCond)
	}
	counts := facetCounts(f)
	q := &query{titles: p.tiered(), args: f.args, tsq: f.tsq}
	var page, order string
	if p.tiered() {
		_, dist := p.filters(q, true)
		// The sort key hides the (starts_at, id) index order, as in tierSQL.
		page = `SELECT id, starts_at, 3::float4 AS score, ` + dist + ` AS dist FROM event_search WHERE ` + q.where() + `
			ORDER BY starts_at + interval '0', id LIMIT ` + q.arg(p.Limit)
		order = "starts_at, id"
	} else {
		page, order = p.resultsPage(q)
	}
	// OFFSET 0 keeps the page a subquery of its own, so that found is tested once, before
	// it runs, rather than on each of its rows.
	found := "true"
	if !sample {
		found = "f.categories IS NOT NULL"
	}
	return `SELECT r.*, f.* FROM (SELECT array_agg(category) FILTER (WHERE bucket IS NULL) AS categories,
			array_agg(n) FILTER (WHERE bucket IS NULL) AS category_counts,
			array_agg(bucket) FILTER (WHERE category IS NULL) AS buckets,
			array_agg(n) FILTER (WHERE category IS NULL) AS bucket_counts
		FROM (` + counts + `) c) f
		LEFT JOIN LATERAL (SELECT * FROM (` + p.detailed(q.tsq, page, order) + `) d WHERE ` + found + ` OFFSET 0) r ON true
		ORDER BY ` + prefixed(order, "r."), q.args
}

// Relevance with full text is in tiers: events whose title matches (3), then those whose
// title and tags match (2), then those that match only with their description (1); within
// a tier the sooner event comes first, then the lower id. Unlike ts_rank, which scores
// every match before the first page can be cut, each tier is read in (starts_at, id)
// order and stops after a page. Cursors carry the tier (Score), starts_at and id.

// tiered reports whether p pages by relevance tiers.
func (p Params) tiered() bool { return p.Sort == "relevance" && p.Q != "" }

// tierScan bounds how many events in scope, in (starts_at, id) order, one tier's cheap
// walk looks at before the tier is read through its GIN index instead: the walk's cost
// does not depend on how rare the words are nor on how well the planner guesses it. A
// walk stops as soon as it has its page, so the bound only costs when the tier has less
// than one match in tierScan/page events; 5,000 finds a page of 20 for words in 0.4 % of
// titles (2,000 missed "python" and "theatre", which then cost 12 ms through the index).
const tierScan = 5000

// heapScan bounds the walks of the title-and-tags and description tiers instead: they
// read every event they look at from the table (about 7 µs each), where the title tier's
// walk reads the index alone. A vain walk of 5,000 cost 35-50 ms ("live music" is only in
// descriptions, so its title-and-tags walk finds nothing); 1,000 still finds a page of 20
// for words in 2 % of the events in scope, and the tier is read through its GIN index
// otherwise. On the benchmark's mix no more tiers were read through their index.
const heapScan = 1000

// walkBound is how many events the walk of tier t looks at, at most.
func walkBound(t int) int {
	if t == 3 {
		return tierScan
	}
	return heapScan
}

// tierCond is the condition, besides matching the whole vector, for tier t; tsq is the
// tsquery expression.
func tierCond(t int, tsq string) string {
	title, head := "title_vector @@ "+tsq, "head_vector @@ "+tsq
	switch t {
	case 3:
		return title
	case 2:
		return head + " AND NOT " + title
	}
	return "NOT " + head
}

// tierExpr is the tier of a row matching tsq.
func tierExpr(tsq string) string {
	return "CASE WHEN title_vector @@ " + tsq + " THEN 3 WHEN head_vector @@ " + tsq + " THEN 2 ELSE 1 END"
}

// onePass reports whether the page is chosen by reading every match at once with
// allTiersSQL rather than tier by tier with tierSQL: when the facets counted fewer than
// FacetLimit matches, which is cheaper than walking past the many events that do not
// match, and within a city-sized radius (local), where the events in scope are
// scattered over the whole (starts_at, id) order and few enough.
func (p Params) onePass() bool { return p.local() || p.Counted > 0 && p.Counted < FacetLimit }

// localRadiusKm is the largest radius whose events are read at once (a metropolitan
// area); the events of a larger one are walked in date order like any others.
const localRadiusKm = 100

// local reports whether p searches within a radius of at most localRadiusKm.
func (p Params) local() bool { return p.Lat != nil && p.RadiusKm > 0 && p.RadiusKm <= localRadiusKm }

// tierSQL returns the query for up to n results (detailed) of tier t of p, after
// the cursor when it is in this tier. With walk, it looks only at the first walkBound(t)
// events in scope (time, category, price) in (starts_at, id) order: cheap, and complete
// only when it returns n rows. Without, it reads the tier through its GIN indexes and
// sorts: complete, and cheap for rare words.
func (p Params) tierSQL(t, n int, walk bool) (string, []any) {
	q := &query{plain: walk}
	_, dist := p.filters(q, true)
	tsq, score := q.tsq, strconv.Itoa(t)+"::float4"
	if p.After != nil && int(p.After.Score) == t {
		q.scope = append(q.scope, "(starts_at, id) > ("+q.arg(p.After.Time)+"::timestamptz, "+q.arg(p.After.ID)+"::bigint)")
	}
	if walk {
		words := q.words
		if t == 3 {
			// A title that matches a query without negation is a vector that matches it:
			// the planner folds the test below to true and the walk reads only
			// event_search_starts_idx, which includes the title vector (index only).
			words = "(strpos(" + tsq + "::text, '!') = 0 OR " + words + ")"
		}
		return p.detailed(tsq, `SELECT id, starts_at, `+score+` AS score, dist FROM (SELECT id, starts_at, `+dist+` AS dist, search_vector, title_vector, head_vector
			FROM event_search WHERE `+q.inScope()+` ORDER BY starts_at, id LIMIT `+strconv.Itoa(walkBound(t))+`) w
			WHERE `+tierCond(t, tsq)+` AND `+words+` ORDER BY starts_at, id LIMIT `+q.arg(n), "starts_at, id"), q.args
	}
	// The sort key hides the (starts_at, id) index order, so that the planner reads the
	// tier from the GIN indexes instead of walking the btree past every other match.
	return p.detailed(tsq, `SELECT id, starts_at, `+score+` AS score, dist FROM (SELECT id, starts_at, `+dist+` AS dist FROM event_search
		WHERE `+q.where()+` AND `+tierCond(t, tsq)+`) m
		ORDER BY starts_at + interval '0', id LIMIT `+q.arg(n), "starts_at, id"), q.args
}

// allTiersSQL returns the query for up to n results (detailed) of p in tier order, after
// the cursor: every match is read once and sorted, instead of once a tier.
func (p Params) allTiersSQL(n int) (string, []any) {
	q := &query{}
	_, dist := p.filters(q, true)
	tsq := q.tsq
	sql := `SELECT id, starts_at, tier::float4 AS score, dist FROM (SELECT id, starts_at, ` + dist + ` AS dist, ` + tierExpr(tsq) + ` AS tier
		FROM event_search WHERE ` + q.where() + `) m`
	if p.After != nil {
		t := q.arg(int(p.After.Score))
		sql += ` WHERE tier < ` + t + ` OR tier = ` + t + ` AND (starts_at, id) > (` + q.arg(p.After.Time) + `::timestamptz, ` +
			q.arg(p.After.ID) + `::bigint)`
	}
	return p.detailed(tsq, sql+` ORDER BY tier DESC, starts_at, id LIMIT `+q.arg(n), "score DESC, starts_at, id"), q.args
}
