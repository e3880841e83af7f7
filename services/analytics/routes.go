package analytics

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// maxBodyBytes bounds a capture request: a full batch with properties fits.
const maxBodyBytes = 1 << 20

// routes registers the service's API.
func (s *Service) routes() {
	tags := []string{"analytics"}
	huma.Register(s.api, huma.Operation{OperationID: "capture-interactions", Method: http.MethodPost,
		Path: "/api/v1/analytics/interactions", Summary: "Record a batch of interactions (1 to 1,000)", Tags: tags,
		DefaultStatus: http.StatusAccepted, MaxBodyBytes: maxBodyBytes}, s.handleCapture)
	huma.Register(s.api, huma.Operation{OperationID: "event-stats", Method: http.MethodGet,
		Path: "/api/v1/analytics/events/{id}/stats", Summary: "An event's analytics: totals and a time series", Tags: tags,
		Security: bearer}, s.handleStats)
	huma.Register(s.api, huma.Operation{OperationID: "event-stats-csv", Method: http.MethodGet,
		Path: "/api/v1/analytics/events/{id}/stats.csv", Summary: "An event's time series as CSV", Tags: tags,
		Security: bearer}, s.handleStatsCSV)
	huma.Register(s.api, huma.Operation{OperationID: "organizer-overview", Method: http.MethodGet,
		Path: "/api/v1/analytics/organizers/me/overview", Summary: "My events ranked by views and registrations, with the trend", Tags: tags,
		Security: bearer}, s.handleOrganizerOverview)
	huma.Register(s.api, huma.Operation{OperationID: "organizer-overview-csv", Method: http.MethodGet,
		Path: "/api/v1/analytics/organizers/me/overview.csv", Summary: "My events' analytics as CSV", Tags: tags,
		Security: bearer}, s.handleOrganizerOverviewCSV)
	huma.Register(s.api, huma.Operation{OperationID: "overview", Method: http.MethodGet,
		Path: "/api/v1/analytics/overview", Summary: "The platform: active visitors, new users, registrations, top events, categories and cities (admins)", Tags: tags,
		Security: bearer}, s.handleOverview)
	huma.Register(s.api, huma.Operation{OperationID: "funnel", Method: http.MethodGet,
		Path: "/api/v1/analytics/funnel", Summary: "Visitors through steps in order, with drop-off", Tags: tags,
		Security: bearer}, s.handleFunnel)
	huma.Register(s.api, huma.Operation{OperationID: "retention", Method: http.MethodGet,
		Path: "/api/v1/analytics/retention", Summary: "Weekly or monthly cohorts of new users and the share active since (admins)", Tags: tags,
		Security: bearer}, s.handleRetention)
}

var bearer = []map[string][]string{{"bearer": {}}}
