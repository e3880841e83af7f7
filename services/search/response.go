package search

import (
	"github.com/events-platform/events-platform/internal/eventview"
	"github.com/events-platform/events-platform/internal/httpapi"
)

// Result is one event found: the event as every service shows it, and how it matched.
type Result struct {
	eventview.Event
	Score      float32    `json:"score" doc:"sort=relevance: 3 the title matches, 2 title and tags match, 1 only the description; other orders: ts_rank (0 without q)"`
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
	Match   string   `json:"match" enum:"fulltext,fuzzy,filters" doc:"fuzzy: no full-text match, so words no event uses were taken for typos and corrected"`
	// Query is the corrected query when Match is fuzzy.
	Query string `json:"query,omitempty" doc:"the query searched, when typos were corrected"`
	Total *int   `json:"total,omitempty" doc:"first page only; exact up to 1,000"`
	// TotalRelation is "eq" when total is exact and "gte" when there are FacetLimit
	// matches or more: then total is FacetLimit and the facets count the first FacetLimit.
	TotalRelation string       `json:"total_relation,omitempty" enum:"eq,gte"`
	Facets        *Facets      `json:"facets,omitempty" doc:"first page only"`
	Page          httpapi.Page `json:"page"`
}
