package search

import (
	"github.com/events-platform/events-platform/internal/eventview"
	"github.com/events-platform/events-platform/internal/httpapi"
)

// Result is one event found: the event as every service shows it, and how it matched.
type Result struct {
	eventview.Event
	Score      float32    `json:"score" doc:"sort=relevance: how well the words match, 12 best to 1: events of a category or city the words name first (12 to 7), then the others (6 to 1); within each, every word in the title as written, then with the last word as a prefix, the same within title, tags, category and city, then anywhere; other orders: 0"`
	DistanceKm *float64   `json:"distance_km,omitempty"`
	Highlights Highlights `json:"highlights"`
}

// Highlights mark the matched words with <mark>.
type Highlights struct {
	Title   string `json:"title"`
	Snippet string `json:"snippet"`
}

// Facet is a value and how many matches carry it.
type Facet struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Facets count every match (not only the page) by category and by date bucket.
type Facets struct {
	Category []Facet `json:"category"`
	Date     []Facet `json:"date"`
}

// Body is a search response: the page in data, and on the first page the facets and the
// number of matches.
type Body struct {
	Success bool     `json:"success"`
	Data    []Result `json:"data"`
	Match   string   `json:"match" enum:"fulltext,prefix,fuzzy,filters" doc:"prefix: the words matched only as the beginnings of longer words; fuzzy: nothing matched, so words no event uses were taken for typos and corrected"`
	// Query is the corrected query when Match is fuzzy.
	Query string `json:"query,omitempty" doc:"the query searched, when typos were corrected"`
	Total *int   `json:"total,omitempty" doc:"first page only; exact"`
	// TotalRelation says how total counts: always "eq" (exact) since the index counts
	// every match; kept for clients of the releases that counted up to 1,000.
	TotalRelation string       `json:"total_relation,omitempty" enum:"eq"`
	Facets        *Facets      `json:"facets,omitempty" doc:"first page only"`
	Page          httpapi.Page `json:"page"`
}
