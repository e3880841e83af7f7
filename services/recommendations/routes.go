package recommendations

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// routes registers the service's API.
func (s *Service) routes() {
	tags := []string{"recommendations"}
	huma.Register(s.api, huma.Operation{OperationID: "recommend-events", Method: http.MethodGet,
		Path: "/api/v1/recommendations/events", Summary: "Upcoming events for you (popular ones when signed out), each with a reason", Tags: tags},
		s.handleRecommend)
	huma.Register(s.api, huma.Operation{OperationID: "similar-events", Method: http.MethodGet,
		Path: "/api/v1/recommendations/events/{id}/similar", Summary: "Upcoming events like this one, by text and by who went to both", Tags: tags},
		s.handleSimilar)
	huma.Register(s.api, huma.Operation{OperationID: "recommendation-feedback", Method: http.MethodPost,
		Path: "/api/v1/recommendations/feedback", Summary: "Tell what you did with a recommendation: clicked, dismissed (never shown again) or registered", Tags: tags,
		Security: bearer, MaxBodyBytes: 4096}, s.handleFeedback)
	huma.Register(s.api, huma.Operation{OperationID: "recommendation-models", Method: http.MethodGet,
		Path: "/api/v1/recommendations/models", Summary: "Model versions with their metrics, which is live, why others were refused (admins)", Tags: tags,
		Security: bearer}, s.handleModels)
}

var bearer = []map[string][]string{{"bearer": {}}}
