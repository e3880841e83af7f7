package curation

import "time"

// Domain events of the curation service, written to the outbox in the transaction of the
// decision they describe. Payloads carry "version" 1; consumers ignore versions they do
// not know, as for the events service's.
//
//	subject                          payload
//	platform.moderation.held         ModerationMessage (reasons: what the checks found)
//	platform.moderation.approved     ModerationMessage (actor_id: the editor or admin)
//	platform.moderation.rejected     ModerationMessage (reason: what the organizer is told)
//	platform.collection.published    CollectionMessage
//
// A held event was published: its platform.event.published carried "moderation": "held",
// and no one but its organizer and moderators sees it until platform.moderation.approved.
const (
	SubjectModerationHeld      = "platform.moderation.held"
	SubjectModerationApproved  = "platform.moderation.approved"
	SubjectModerationRejected  = "platform.moderation.rejected"
	SubjectCollectionPublished = "platform.collection.published"
)

// MessageVersion is the version of every payload below.
const MessageVersion = 1

// ModerationMessage is a moderation decision on an event.
type ModerationMessage struct {
	Version    int       `json:"version"`
	EventID    int64     `json:"event_id"`
	Organizer  int64     `json:"organizer_id"`
	Title      string    `json:"title"`
	Category   string    `json:"category"`
	City       string    `json:"city,omitempty"`
	Visibility string    `json:"visibility"`
	StartsAt   time.Time `json:"starts_at"`
	Decision   string    `json:"decision" enum:"held,approved,rejected"`
	// Reason is the moderator's words (required on a rejection).
	Reason string `json:"reason,omitempty"`
	// Reasons are what the automatic checks found (spam signals, a new organizer).
	Reasons    []string  `json:"reasons,omitempty"`
	Spam       float64   `json:"spam_score"`
	ActorID    int64     `json:"actor_id,omitempty"`
	OccurredAt time.Time `json:"occurred_at"`
}

// CollectionMessage is a collection made public.
type CollectionMessage struct {
	Version      int       `json:"version"`
	CollectionID int64     `json:"collection_id"`
	Slug         string    `json:"slug"`
	Title        string    `json:"title"`
	City         string    `json:"city,omitempty"`
	EventIDs     []int64   `json:"event_ids"`
	ActorID      int64     `json:"actor_id"`
	OccurredAt   time.Time `json:"occurred_at"`
}
