package events

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/natsbus"
)

// Domain events of the events service. Each is written to the outbox in the transaction of
// the change it describes and relayed to the JetStream stream PLATFORM on its subject.
//
// Payloads are JSON objects with a "version" field. Version 1 is described by the types
// below; a change that removes or renames a field, or changes its meaning, bumps the
// version, and consumers ignore versions they do not know. Adding a field does not.
// Registration payloads are built in SQL, by registrationPayload only: the batched
// registration (registerSQL) must build them inside its statement, where the registration
// ids are first known, and every other registration change uses the same expression.
//
//	subject                               payload
//	platform.event.created                EventMessage        (status "draft")
//	platform.event.updated                EventMessage        (changed lists the JSON fields that changed)
//	platform.event.published              EventMessage        (moderation "held" when its organizer is not trusted yet)
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
//
// Every EventMessage carries the event's moderation: "approved", or "held" or "rejected"
// for an event that no one but its organizer and moderators may see until the curation
// service approves it (its platform.moderation.* subjects tell each decision). Consumers
// that show events to others show only approved ones; a payload without the field was
// written before moderation existed (approved).
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
	Moderation string    `json:"moderation,omitempty"`
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

// registrationPayload is the SQL expression that builds a RegistrationMessage's JSON from
// a row m with columns id, event_id, user_id, status and position (NULL when not
// waitlisted), stamped with the statement's transaction time. It is the only place a
// registration payload is built.
var registrationPayload = `jsonb_strip_nulls(jsonb_build_object('version', ` + strconv.Itoa(MessageVersion) +
	`, 'registration_id', m.id, 'event_id', m.event_id, 'user_id', m.user_id, 'status', m.status, 'waitlist_position', m.position,` +
	` 'occurred_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')))`

// enqueueRegistrations writes a message on subject for each of the registrations ids to
// the outbox inside tx, in id order, each with status (the registration's status is not
// always the one to tell: a cancellation tells the status it had), and wakes the relay.
func enqueueRegistrations(ctx context.Context, tx pgx.Tx, subject, status string, ids ...int64) error {
	_, err := tx.Exec(ctx, `
		WITH o AS (
			INSERT INTO outbox (subject, payload)
			SELECT $1, `+registrationPayload+`
			FROM (SELECT id, event_id, user_id, $2::text AS status, NULL::int AS position
				FROM event_registrations WHERE id = ANY($3)) m ORDER BY m.id
			RETURNING id
		)
		SELECT pg_notify('`+natsbus.NotifyChannel+`', '') WHERE EXISTS (SELECT FROM o)`, subject, status, ids)
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", subject, err)
	}
	return nil
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
		Moderation: e.Moderation, Changed: changed, ActorID: actor, OccurredAt: time.Now().UTC(),
	}
}

func locationCity(e Event) string {
	if e.Location == nil {
		return ""
	}
	return e.Location.City
}
