package curation

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// routes registers the service's API.
func (s *Service) routes() {
	curation := []string{"curation"}
	huma.Register(s.api, huma.Operation{OperationID: "trending-events", Method: http.MethodGet,
		Path: "/api/v1/curation/trending", Summary: "Upcoming events people are viewing, saving and registering for now", Tags: curation,
		Responses: httpapi.Documented(s.api, httpapi.ListEnvelope[TrendingEvent]{}, "TrendingBody")}, s.handleTrending)
	huma.Register(s.api, huma.Operation{OperationID: "featured-events", Method: http.MethodGet,
		Path: "/api/v1/curation/featured", Summary: "Editors' picks, then the best upcoming events by quality", Tags: curation,
		Responses: httpapi.Documented(s.api, httpapi.ListEnvelope[FeaturedEvent]{}, "FeaturedBody")}, s.handleFeatured)
	huma.Register(s.api, huma.Operation{OperationID: "list-picks", Method: http.MethodGet,
		Path: "/api/v1/curation/picks", Summary: "Editors' picks in their order, shown or not (editors)", Tags: curation, Security: bearer},
		s.handleListPicks)
	huma.Register(s.api, huma.Operation{OperationID: "add-pick", Method: http.MethodPut,
		Path: "/api/v1/curation/picks/{event_id}", Summary: "Pick an event for featured, at a position (editors)", Tags: curation,
		Security: bearer, MaxBodyBytes: 1024}, s.handlePutPick)
	huma.Register(s.api, huma.Operation{OperationID: "remove-pick", Method: http.MethodDelete,
		Path: "/api/v1/curation/picks/{event_id}", Summary: "Unpick an event (editors)", Tags: curation, Security: bearer}, s.handleDeletePick)

	collections := []string{"collections"}
	huma.Register(s.api, huma.Operation{OperationID: "list-collections", Method: http.MethodGet,
		Path: "/api/v1/collections", Summary: "Published collections, newest first (editors: drafts too)", Tags: collections},
		s.handleListCollections)
	huma.Register(s.api, huma.Operation{OperationID: "create-collection", Method: http.MethodPost,
		Path: "/api/v1/collections", Summary: "Create a collection, as a draft (editors)", Tags: collections, Security: bearer,
		DefaultStatus: http.StatusCreated, MaxBodyBytes: 16 << 10}, s.handleCreateCollection)
	huma.Register(s.api, huma.Operation{OperationID: "get-collection", Method: http.MethodGet,
		Path: "/api/v1/collections/{slug}", Summary: "A collection with its upcoming events in the editors' order", Tags: collections},
		s.handleGetCollection)
	huma.Register(s.api, huma.Operation{OperationID: "update-collection", Method: http.MethodPatch,
		Path: "/api/v1/collections/{slug}", Summary: "Change a collection's title, slug, description, city or cover (editors)", Tags: collections,
		Security: bearer, MaxBodyBytes: 16 << 10}, s.handleUpdateCollection)
	huma.Register(s.api, huma.Operation{OperationID: "delete-collection", Method: http.MethodDelete,
		Path: "/api/v1/collections/{slug}", Summary: "Delete a collection (editors)", Tags: collections, Security: bearer},
		s.handleDeleteCollection)
	huma.Register(s.api, huma.Operation{OperationID: "publish-collection", Method: http.MethodPost,
		Path: "/api/v1/collections/{slug}/publish", Summary: "Make a collection public (editors)", Tags: collections, Security: bearer},
		s.handlePublishCollection)
	huma.Register(s.api, huma.Operation{OperationID: "unpublish-collection", Method: http.MethodPost,
		Path: "/api/v1/collections/{slug}/unpublish", Summary: "Take a collection back to draft (editors)", Tags: collections, Security: bearer},
		s.handleUnpublishCollection)
	huma.Register(s.api, huma.Operation{OperationID: "add-collection-event", Method: http.MethodPut,
		Path: "/api/v1/collections/{slug}/events/{event_id}", Summary: "Add an event to a collection, or move it, at a position (editors)", Tags: collections,
		Security: bearer, MaxBodyBytes: 1024}, s.handlePutCollectionEvent)
	huma.Register(s.api, huma.Operation{OperationID: "remove-collection-event", Method: http.MethodDelete,
		Path: "/api/v1/collections/{slug}/events/{event_id}", Summary: "Remove an event from a collection (editors)", Tags: collections,
		Security: bearer}, s.handleDeleteCollectionEvent)

	moderation := []string{"moderation"}
	huma.Register(s.api, huma.Operation{OperationID: "moderation-queue", Method: http.MethodGet,
		Path: "/api/v1/moderation/queue", Summary: "Held events, oldest first, with their scores and why (editors)", Tags: moderation, Security: bearer},
		s.handleQueue)
	huma.Register(s.api, huma.Operation{OperationID: "approve-event", Method: http.MethodPost,
		Path: "/api/v1/moderation/events/{id}/approve", Summary: "Approve a held or rejected event: everyone sees it (editors)", Tags: moderation,
		Security: bearer, MaxBodyBytes: 4096}, s.handleApprove)
	huma.Register(s.api, huma.Operation{OperationID: "reject-event", Method: http.MethodPost,
		Path: "/api/v1/moderation/events/{id}/reject", Summary: "Reject an event with a reason the organizer is told (editors)", Tags: moderation,
		Security: bearer, MaxBodyBytes: 4096}, s.handleReject)
	huma.Register(s.api, huma.Operation{OperationID: "moderation-history", Method: http.MethodGet,
		Path: "/api/v1/moderation/events/{id}", Summary: "An event's scores and every decision on it: who, when, why (editors)", Tags: moderation, Security: bearer},
		s.handleHistory)
}

var bearer = []map[string][]string{{"bearer": {}}}
