package search

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// routes registers the whole API of the service.
func (s *Service) routes() {
	tags := []string{"search"}
	huma.Register(s.api, huma.Operation{OperationID: "search-events", Method: http.MethodGet, Path: "/api/v1/search/events",
		Summary: "Search upcoming events", Tags: tags, Responses: httpapi.Documented(s.api, Body{}, "SearchBody")}, s.handleSearch)
	huma.Register(s.api, huma.Operation{OperationID: "suggest", Method: http.MethodGet, Path: "/api/v1/search/suggest",
		Summary: "Autocomplete titles, categories and cities", Tags: tags,
		Responses: httpapi.Documented(s.api, httpapi.Envelope[[]Suggestion]{}, "SuggestBody")}, s.handleSuggest)
}
