package events

import "time"

// Domain events of the events service. Each is written to the outbox in the transaction of
// the change it describes and relayed to the JetStream stream PLATFORM on its subject.
//
// Payloads are JSON objects with a "version" field. Version 1 is described by the types
// below; a change that removes or renames a field, or changes its meaning, bumps the
// version, and consumers ignore versions they do not know. Adding a field does not.
// registration.confirmed and registration.waitlisted are built in SQL (registerSQL in
// registrations.go), as the registration ids are only known inside that statement; they
// must stay equal to RegistrationMessage (TestOutbox... checks them).
//
//	subject                               payload
//	platform.event.created                EventMessage        (status "draft")
//	platform.event.updated                EventMessage        (changed lists the JSON fields that changed)
//	platform.event.published              EventMessage
//	platform.event.cancelled              EventCancelled      (registrants to notify, the reason)
//	platform.event.completed              EventMessage        (after the end, by the sweeper)
//	platform.event.deleted                EventMessage        (drafts only)
//	platform.registration.confirmed       RegistrationMessage
//	platform.registration.waitlisted      RegistrationMessage (waitlist_position from 1)
//	platform.registration.cancelled       RegistrationMessage (status is the one before cancelling)
//	platform.registration.promoted        RegistrationMessage (from the waitlist to confirmed)
//	platform.registration.checked_in      RegistrationMessage
//	platform.favorite.added               FavoriteMessage
//	platform.favorite.removed             FavoriteMessage
const (
	SubjectEventCreated           = "platform.event.created"
	SubjectEventUpdated           = "platform.event.updated"
	SubjectEventPublished         = "platform.event.published"
	SubjectEventCancelled         = "platform.event.cancelled"
	SubjectEventCompleted         = "platform.event.completed"
	SubjectEventDeleted           = "platform.event.deleted"
	SubjectRegistrationConfirmed  = "platform.registration.confirmed"
	SubjectRegistrationWaitlisted = "platform.registration.waitlisted"
	SubjectRegistrationCancelled  = "platform.registration.cancelled"
	SubjectRegistrationPromoted   = "platform.registration.promoted"
	SubjectRegistrationCheckedIn  = "platform.registration.checked_in"
	SubjectFavoriteAdded          = "platform.favorite.added"
	SubjectFavoriteRemoved        = "platform.favorite.removed"
)

// MessageVersion is the version of every payload below.
const MessageVersion = 1

// EventMessage describes an event after a change.
type EventMessage struct {
	Version    int       `json:"version"`
	EventID    int64     `json:"event_id"`
	Title      string    `json:"title"`
	Category   string    `json:"category"`
	Status     string    `json:"status"`
	Visibility string    `json:"visibility"`
	Organizer  int64     `json:"organizer_id"`
	StartsAt   time.Time `json:"starts_at"`
	City       string    `json:"city,omitempty"`
	Changed    []string  `json:"changed,omitempty"`
	ActorID    int64     `json:"actor_id,omitempty"`
	OccurredAt time.Time `json:"occurred_at"`
}

// EventCancelled is an EventMessage with the users to notify: every confirmed or
// waitlisted registrant at the time of cancelling, and the organizer's reason to tell them
// (omitted when none was given).
type EventCancelled struct {
	EventMessage
	Reason      string  `json:"reason,omitempty"`
	Registrants []int64 `json:"registrant_ids"`
}

// RegistrationMessage describes a registration after a change.
type RegistrationMessage struct {
	Version          int       `json:"version"`
	RegistrationID   int64     `json:"registration_id"`
	EventID          int64     `json:"event_id"`
	UserID           int64     `json:"user_id"`
	Status           string    `json:"status"`
	WaitlistPosition int       `json:"waitlist_position,omitempty"`
	OccurredAt       time.Time `json:"occurred_at"`
}

// FavoriteMessage says a user starred or unstarred an event.
type FavoriteMessage struct {
	Version    int       `json:"version"`
	EventID    int64     `json:"event_id"`
	UserID     int64     `json:"user_id"`
	OccurredAt time.Time `json:"occurred_at"`
}

func eventMessage(e Event, actor int64, changed []string) EventMessage {
	return EventMessage{
		Version: MessageVersion, EventID: e.ID, Title: e.Title, Category: e.Category, Status: e.Status,
		Visibility: e.Visibility, Organizer: e.CreatedBy, StartsAt: e.Date.UTC(), City: locationCity(e),
		Changed: changed, ActorID: actor, OccurredAt: time.Now().UTC(),
	}
}

func locationCity(e Event) string {
	if e.Location == nil {
		return ""
	}
	return e.Location.City
}
