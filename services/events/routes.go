package events

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// routes registers the whole API of the events service.
func (s *Service) routes() {
	bearer := []map[string][]string{{"bearer": {}}}
	idem := map[string]any{"x-idempotency-key": "Send an Idempotency-Key header to make a retry safe"}
	tags := []string{"events"}
	huma.Register(s.api, huma.Operation{OperationID: "list-events", Method: http.MethodGet, Path: "/api/v1/events",
		Summary: "List events", Tags: tags}, s.handleList)
	huma.Register(s.api, huma.Operation{OperationID: "list-categories", Method: http.MethodGet, Path: "/api/v1/events/categories",
		Summary: "The categories an event may have", Tags: tags}, s.handleCategories)
	huma.Register(s.api, huma.Operation{OperationID: "create-event", Method: http.MethodPost, Path: "/api/v1/events",
		Summary: "Create a draft event (organizers)", Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated, Extensions: idem}, s.handleCreate)
	huma.Register(s.api, huma.Operation{OperationID: "get-event", Method: http.MethodGet, Path: "/api/v1/events/{id}",
		Summary: "An event with its live registration count", Tags: tags}, s.handleGet)
	huma.Register(s.api, huma.Operation{OperationID: "update-event", Method: http.MethodPatch, Path: "/api/v1/events/{id}",
		Summary: "Change an event (its organizer or an admin)", Tags: tags, Security: bearer}, s.handleUpdate)
	huma.Register(s.api, huma.Operation{OperationID: "delete-event", Method: http.MethodDelete, Path: "/api/v1/events/{id}",
		Summary: "Delete a draft", Tags: tags, Security: bearer}, s.handleDelete)
	huma.Register(s.api, huma.Operation{OperationID: "publish-event", Method: http.MethodPost, Path: "/api/v1/events/{id}/publish",
		Summary: "Publish a draft", Tags: tags, Security: bearer, Extensions: idem}, s.handlePublish)
	huma.Register(s.api, huma.Operation{OperationID: "cancel-event", Method: http.MethodPost, Path: "/api/v1/events/{id}/cancel",
		Summary: "Cancel a published event (registrants are notified)", Tags: tags, Security: bearer, Extensions: idem}, s.handleCancel)

	tags = []string{"registrations"}
	huma.Register(s.api, huma.Operation{OperationID: "create-registration", Method: http.MethodPost, Path: "/api/v1/events/{id}/registrations",
		Summary: "Register: a confirmed seat, or a place on the waitlist", Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated, Extensions: idem}, s.handleRegister)
	huma.Register(s.api, huma.Operation{OperationID: "cancel-registration", Method: http.MethodDelete, Path: "/api/v1/events/{id}/registrations/me",
		Summary: "Cancel your registration (the waitlist moves up)", Tags: tags, Security: bearer}, s.handleCancelRegistration)
	huma.Register(s.api, huma.Operation{OperationID: "list-attendees", Method: http.MethodGet, Path: "/api/v1/events/{id}/registrations",
		Summary: "Attendees of an event (organizer; JSON or CSV)", Tags: tags, Security: bearer}, s.handleAttendees)
	huma.Register(s.api, huma.Operation{OperationID: "check-in", Method: http.MethodPost, Path: "/api/v1/events/{id}/check-ins",
		Summary: "Check a registrant in (idempotent)", Tags: tags, Security: bearer, Extensions: idem}, s.handleCheckIn)
	huma.Register(s.api, huma.Operation{OperationID: "my-registrations", Method: http.MethodGet, Path: "/api/v1/users/me/registrations",
		Summary: "Your registrations", Tags: tags, Security: bearer}, s.handleMyRegistrations)

	tags = []string{"favorites"}
	huma.Register(s.api, huma.Operation{OperationID: "add-favorite", Method: http.MethodPost, Path: "/api/v1/events/{id}/favorite",
		Summary: "Star an event", Tags: tags, Security: bearer, Extensions: idem}, s.handleAddFavorite)
	huma.Register(s.api, huma.Operation{OperationID: "remove-favorite", Method: http.MethodDelete, Path: "/api/v1/events/{id}/favorite",
		Summary: "Unstar an event", Tags: tags, Security: bearer}, s.handleRemoveFavorite)
	huma.Register(s.api, huma.Operation{OperationID: "my-favorites", Method: http.MethodGet, Path: "/api/v1/users/me/favorites",
		Summary: "Your starred events", Tags: tags, Security: bearer}, s.handleMyFavorites)
}
