package search

import (
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// routes registers the whole API of the service.
func (s *Service) routes() {
	tags := []string{"search"}
	huma.Register(s.api, huma.Operation{OperationID: "search-events", Method: http.MethodGet, Path: "/api/v1/search/events",
		Summary: "Search upcoming events", Tags: tags, Responses: s.documented(Body{}, "SearchBody")}, s.handleSearch)
	huma.Register(s.api, huma.Operation{OperationID: "suggest", Method: http.MethodGet, Path: "/api/v1/search/suggest",
		Summary: "Autocomplete titles, categories and cities", Tags: tags,
		Responses: s.documented(httpapi.Envelope[[]Suggestion]{}, "SuggestBody")}, s.handleSuggest)
}

// jsonOutput is a response the handler already holds as JSON:
// huma writes a []byte body as it is, where it would re-encode a json.RawMessage.
type jsonOutput struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

func jsonBody(b []byte) *jsonOutput { return &jsonOutput{ContentType: "application/json", Body: b} }

// documented describes the 200 response of a route answering with a jsonOutput as the
// JSON of v's type.
func (s *Service) documented(v any, name string) map[string]*huma.Response {
	schema := s.api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(v), true, name)
	return map[string]*huma.Response{"200": {Description: "OK", Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}}}
}
