// Package eventview is an event as clients see it: the one JSON shape of an event that every
// service returning events answers with (events, search, recommendations; curation next),
// the columns of the events table it is read from, and how such a row becomes one.
//
// The events service owns the events table and writes it; the others only read it through
// Columns and Scan, so a column added for clients is added here once.
package eventview

import (
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// Location is where an in-person event happens.
type Location struct {
	Name    string   `json:"name" required:"false" maxLength:"200"`
	Address string   `json:"address" required:"false" maxLength:"300"`
	City    string   `json:"city" required:"false" maxLength:"100"`
	Country string   `json:"country" required:"false" maxLength:"100"`
	Lat     *float64 `json:"lat,omitempty" minimum:"-90" maximum:"90"`
	Lng     *float64 `json:"lng,omitempty" minimum:"-180" maximum:"180"`
}

// Event is an event as clients see it. Date and EndDate carry the event's time zone offset.
type Event struct {
	ID              int64      `json:"id"`
	Title           string     `json:"title"`
	Description     string     `json:"description"`
	Category        string     `json:"category"`
	Tags            []string   `json:"tags"`
	Date            time.Time  `json:"date"`
	EndDate         *time.Time `json:"end_date,omitempty"`
	Timezone        string     `json:"timezone"`
	Location        *Location  `json:"location,omitempty"`
	OnlineURL       string     `json:"online_url,omitempty"`
	Capacity        *int       `json:"capacity" doc:"null: unlimited"`
	RegisteredCount int        `json:"registered_count"`
	WaitlistCount   int        `json:"waitlist_count"`
	SeatsLeft       *int       `json:"seats_left" doc:"null: unlimited"`
	Price           float64    `json:"price"`
	Currency        string     `json:"currency"`
	Visibility      string     `json:"visibility" enum:"public,unlisted,private"`
	Status          string     `json:"status" enum:"draft,published,cancelled,completed"`
	CreatedBy       int64      `json:"created_by"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	PublishedAt     *time.Time `json:"published_at,omitempty"`
	CancelReason    string     `json:"cancel_reason,omitempty" doc:"why the organizer cancelled it, when they said"`
	Moderation      string     `json:"moderation" enum:"approved,held,rejected" doc:"held or rejected: shown to its organizer and to moderators only"`

	startsAt time.Time // as stored: Date may be clamped to what JSON can hold
}

// StartsAt is the event's start as stored, for page cursors: Date may differ from it when
// the stored year cannot be written in JSON.
func (e Event) StartsAt() time.Time { return e.startsAt }

// Status is the SQL expression of the status clients see, with the events table's columns
// qualified by alias (such as "e.", or "" for none): a published event whose end has
// passed is completed even before the events service's sweeper writes it.
func Status(alias string) string {
	return `CASE WHEN ` + alias + `status = 'published' AND coalesce(` + alias + `ends_at, ` + alias + `starts_at) < now() THEN 'completed' ELSE ` + alias + `status END`
}

// EarnsTrust is the SQL condition on an events row (columns qualified by alias) of an
// event that counts towards its organizer's trust: published and approved, by an editor
// or an administrator, or without ever being held (published before moderation existed,
// or once the organizer was trusted). An organizer with enough of them (the setting
// MODERATION_TRUST_AFTER) publishes without being held.
func EarnsTrust(a string) string {
	return a + `moderation = 'approved' AND ` + a + `status <> 'draft' AND (` + a + `moderated_by IS NOT NULL OR ` + a + `moderated_at IS NULL)`
}

// Columns lists the events table's columns that Scan reads, qualified by alias.
func Columns(a string) string {
	return a + `id, ` + a + `title, ` + a + `description, ` + a + `category, ` + a + `tags, ` + a + `starts_at, ` +
		a + `ends_at, ` + a + `timezone, ` + a + `venue_name, ` + a + `address, ` + a + `city, ` + a + `country, ` +
		a + `lat, ` + a + `lng, ` + a + `online_url, ` + a + `capacity, ` + a + `registered_count, ` +
		a + `waitlist_count, ` + a + `price::float8, ` + a + `currency, ` + a + `visibility, ` + Status(a) + `, ` +
		a + `created_by, ` + a + `created_at, ` + a + `updated_at, ` + a + `published_at, ` + a + `cancel_reason, ` + a + `moderation`
}

// Scan reads a row that selects Columns and then the columns of after, into after.
// A missing row is pgx.ErrNoRows.
func Scan(row pgx.Row, after ...any) (Event, error) {
	var (
		e   Event
		loc Location
	)
	err := row.Scan(append([]any{&e.ID, &e.Title, &e.Description, &e.Category, &e.Tags, &e.Date, &e.EndDate, &e.Timezone,
		&loc.Name, &loc.Address, &loc.City, &loc.Country, &loc.Lat, &loc.Lng, &e.OnlineURL, &e.Capacity,
		&e.RegisteredCount, &e.WaitlistCount, &e.Price, &e.Currency, &e.Visibility, &e.Status, &e.CreatedBy,
		&e.CreatedAt, &e.UpdatedAt, &e.PublishedAt, &e.CancelReason, &e.Moderation}, after...)...)
	if err != nil {
		return e, err
	}
	if loc != (Location{}) {
		e.Location = &loc
	}
	if e.Tags == nil {
		e.Tags = []string{}
	}
	if e.Capacity != nil {
		left := max(*e.Capacity-e.RegisteredCount, 0)
		e.SeatsLeft = &left
	}
	// Times are stored in UTC; show them in the event's zone, as organizers wrote them, in
	// a form JSON can hold whatever the row says. The cursor keeps the stored time.
	e.startsAt = e.Date
	zone := Zone(e.Timezone)
	e.Date = httpapi.InZone(e.Date, zone)
	if e.EndDate != nil {
		end := httpapi.InZone(*e.EndDate, zone)
		e.EndDate = &end
	}
	return e, nil
}

// zones holds the time zones loaded so far: time.LoadLocation reads and parses the zone
// file on every call.
var zones sync.Map

// Zone returns the named IANA time zone, or nil when there is none by that name (then
// times show in UTC).
func Zone(name string) *time.Location {
	if z, ok := zones.Load(name); ok {
		return z.(*time.Location)
	}
	z, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	zones.Store(name, z)
	return z
}
