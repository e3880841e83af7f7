package events

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
)

type eventIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

// eventBody is an event as clients write it. On update every field is optional.
type eventBody struct {
	Title       *string             `json:"title,omitempty" minLength:"1" maxLength:"200"`
	Description *string             `json:"description,omitempty" maxLength:"20000"`
	Category    *string             `json:"category,omitempty" minLength:"1" maxLength:"50" doc:"a slug from GET /api/v1/events/categories"`
	Tags        *[]string           `json:"tags,omitempty" maxItems:"20"`
	Date        *time.Time          `json:"date,omitempty" doc:"start, RFC 3339 with offset; in the future and at most ten years ahead"`
	EndDate     nullable[time.Time] `json:"end_date,omitempty" doc:"after date and at most ten years ahead; null on update: no end"`
	Timezone    *string             `json:"timezone,omitempty" maxLength:"64" doc:"IANA zone, such as Europe/Berlin (default UTC)"`
	Location    *Location           `json:"location,omitempty"`
	OnlineURL   *string             `json:"online_url,omitempty" maxLength:"2048"`
	Capacity    nullable[int]       `json:"capacity,omitempty" minimum:"1" maximum:"1000000" doc:"absent or null: unlimited (on update: absent leaves it, null makes it unlimited)"`
	Price       *float64            `json:"price,omitempty" minimum:"0" maximum:"1000000"`
	Currency    *string             `json:"currency,omitempty" pattern:"^[A-Z]{3}$" doc:"ISO 4217 code, such as EUR (default USD)"`
	Visibility  *string             `json:"visibility,omitempty" enum:"public,unlisted,private"`
}

// nullable is a field that a client may send as null, which differs from leaving it out:
// on update, absent leaves a field as it is and null clears it.
type nullable[T any] struct {
	Value T
	Set   bool // sent, as a value or as null
	Null  bool
}

func (n *nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set, n.Null = true, string(b) == "null"
	if n.Null {
		return nil
	}
	return json.Unmarshal(b, &n.Value)
}

// Schema is T's schema, nullable.
func (n *nullable[T]) Schema(r huma.Registry) *huma.Schema {
	s := *r.Schema(reflect.TypeFor[T](), false, "")
	s.Nullable = true
	return &s
}

// maxAhead is how far ahead an event may be planned: enough for any real event, and a
// bound that keeps every time writable in any zone.
const maxAhead = 10 // years

// checkTime reports what is wrong with t as an event's time (field), or "".
func checkTime(field string, t, now time.Time) string {
	switch {
	case !t.After(now):
		return field + " must be in the future"
	case t.After(now.AddDate(maxAhead, 0, 0)):
		return fmt.Sprintf("%s must be at most %d years ahead", field, maxAhead)
	}
	return ""
}

// fields checks b against the rules the schema cannot say and returns the fields to
// write, and the JSON names of those given. create requires what a new event needs.
func (b eventBody) fields(create bool, now time.Time) (eventFields, []string, error) {
	var f eventFields
	var given []string
	bad := func(field, msg string) (eventFields, []string, error) {
		return f, nil, &badInput{field: field, msg: msg}
	}
	if b.Title != nil {
		t := strings.TrimSpace(*b.Title)
		if t == "" {
			return bad("title", "title must not be blank")
		}
		f.Title, given = &t, append(given, "title")
	} else if create {
		return bad("title", "title is required")
	}
	if b.Description != nil {
		f.Description, given = b.Description, append(given, "description")
	}
	if b.Category != nil {
		c := strings.ToLower(strings.TrimSpace(*b.Category))
		if !isCategory(c) {
			return bad("category", "category must be one of the platform's categories (GET /api/v1/events/categories)")
		}
		f.Category, given = &c, append(given, "category")
	} else if create {
		return bad("category", "category is required")
	}
	if b.Tags != nil {
		tags := make([]string, 0, len(*b.Tags))
		for _, t := range *b.Tags {
			t = strings.ToLower(strings.TrimSpace(t))
			if t == "" || len(t) > 50 {
				return bad("tags", "each tag must be 1 to 50 characters")
			}
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		f.Tags, given = &tags, append(given, "tags")
	}
	// Moving an event is allowed only to a future time, as creating one is.
	if b.Date != nil {
		if msg := checkTime("date", *b.Date, now); msg != "" {
			return bad("date", msg)
		}
		d := b.Date.UTC()
		f.StartsAt, given = &d, append(given, "date")
	} else if create {
		return bad("date", "date is required")
	}
	switch end := b.EndDate; {
	case end.Set && end.Null:
		f.ClearEnd, given = !create, append(given, "end_date")
	case end.Set:
		if msg := checkTime("end_date", end.Value, now); msg != "" {
			return bad("end_date", msg)
		}
		e := end.Value.UTC()
		if f.StartsAt != nil && !e.After(*f.StartsAt) {
			return bad("end_date", "end_date must be after date")
		}
		f.EndsAt, given = &e, append(given, "end_date")
	}
	if b.Timezone != nil {
		if _, err := time.LoadLocation(*b.Timezone); err != nil || *b.Timezone == "" || *b.Timezone == "Local" {
			return bad("timezone", "timezone must be an IANA time zone such as Europe/Berlin")
		}
		f.Timezone, given = b.Timezone, append(given, "timezone")
	} else if create {
		utc := "UTC"
		f.Timezone = &utc
	}
	if b.Location != nil {
		l := *b.Location
		if (l.Lat == nil) != (l.Lng == nil) {
			return bad("location", "location needs both lat and lng, or neither")
		}
		l.Name, l.Address, l.City, l.Country = strings.TrimSpace(l.Name), strings.TrimSpace(l.Address), strings.TrimSpace(l.City), strings.TrimSpace(l.Country)
		f.Location, given = &l, append(given, "location")
	}
	if b.OnlineURL != nil {
		if *b.OnlineURL != "" {
			u, err := url.Parse(*b.OnlineURL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return bad("online_url", "online_url must be an http or https URL")
			}
		}
		f.OnlineURL, given = b.OnlineURL, append(given, "online_url")
	}
	if create && f.Location == nil && deref(f.OnlineURL) == "" {
		return bad("location", "an event needs a location or an online_url")
	}
	switch c := b.Capacity; {
	case c.Set && c.Null:
		f.Unlimited, given = true, append(given, "capacity")
	case c.Set:
		f.Capacity, given = &c.Value, append(given, "capacity")
	}
	if b.Price != nil {
		p := float64(int64(*b.Price*100+0.5)) / 100
		f.Price, given = &p, append(given, "price")
	}
	if b.Currency != nil {
		if !isCurrency(*b.Currency) {
			return bad("currency", "currency must be an ISO 4217 code in use, such as EUR or USD")
		}
		f.Currency, given = b.Currency, append(given, "currency")
	} else if create {
		usd := "USD"
		f.Currency = &usd
	}
	if b.Visibility != nil {
		f.Visibility, given = b.Visibility, append(given, "visibility")
	} else if create {
		pub := "public"
		f.Visibility = &pub
	}
	return f, given, nil
}

func (s *Service) handleCategories(context.Context, *struct{}) (*httpapi.Output[[]Category], error) {
	return httpapi.OK(categories), nil
}

type createInput struct {
	Body eventBody
}

type created struct {
	ID int64 `json:"id"`
	Event
}

func (s *Service) handleCreate(ctx context.Context, in *createInput) (*httpapi.Output[created], error) {
	id, err := auth.RequireRole(ctx, auth.RoleOrganizer, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	f, _, err := in.Body.fields(true, time.Now())
	if err != nil {
		return nil, s.fail(ctx, "create event", err)
	}
	e, err := s.store.createEvent(ctx, id.UserID, f)
	if err != nil {
		return nil, s.fail(ctx, "create event", err)
	}
	return httpapi.Created(created{ID: e.ID, Event: e}), nil
}

// visible reports whether the caller may see e: drafts and private events only their
// organizer and admins see; events held or rejected by moderation, only their organizer
// and moderators (editors and admins).
func visible(ctx context.Context, e Event) bool {
	id, ok := auth.FromContext(ctx)
	switch {
	case ok && (id.IsAdmin() || id.UserID == e.CreatedBy):
		return true
	case e.Status == "draft" || e.Visibility == "private":
		return false
	}
	return e.Moderation == "approved" || ok && id.IsCurator()
}

func (s *Service) handleGet(ctx context.Context, in *eventIDInput) (*httpapi.Output[Event], error) {
	e, err := s.store.event(ctx, s.store.db, in.ID)
	if err == nil && !visible(ctx, e) {
		err = errNotFound
	}
	if err != nil {
		return nil, s.fail(ctx, "get event", err)
	}
	return httpapi.OK(e), nil
}

type updateInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body eventBody
}

func (s *Service) handleUpdate(ctx context.Context, in *updateInput) (*httpapi.Output[Event], error) {
	by, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	f, changed, err := in.Body.fields(false, time.Now())
	if err != nil {
		return nil, s.fail(ctx, "update event", err)
	}
	if len(changed) == 0 {
		return nil, httpapi.BadRequest("nothing to change: send at least one field")
	}
	e, err := s.store.updateEvent(ctx, in.ID, by, f, changed)
	if err != nil {
		return nil, s.fail(ctx, "update event", err)
	}
	return httpapi.OK(e), nil
}

type deleted struct {
	ID      int64 `json:"id"`
	Deleted bool  `json:"deleted"`
}

func (s *Service) handleDelete(ctx context.Context, in *eventIDInput) (*httpapi.Output[deleted], error) {
	by, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.store.deleteEvent(ctx, in.ID, by); err != nil {
		return nil, s.fail(ctx, "delete event", err)
	}
	return httpapi.OK(deleted{ID: in.ID, Deleted: true}), nil
}

func (s *Service) handlePublish(ctx context.Context, in *eventIDInput) (*httpapi.Output[Event], error) {
	by, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.store.publish(ctx, in.ID, by)
	if err != nil {
		return nil, s.fail(ctx, "publish event", err)
	}
	return httpapi.OK(e), nil
}

type cancelInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body *struct {
		Reason string `json:"reason,omitempty" maxLength:"500" doc:"told to registrants and shown with the event"`
	}
}

func (s *Service) handleCancel(ctx context.Context, in *cancelInput) (*httpapi.Output[Event], error) {
	by, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	reason := ""
	if in.Body != nil {
		reason = strings.TrimSpace(in.Body.Reason)
	}
	e, err := s.store.cancel(ctx, in.ID, by, reason)
	if err != nil {
		return nil, s.fail(ctx, "cancel event", err)
	}
	return httpapi.OK(e), nil
}

type listInput struct {
	Category  string `query:"category" maxLength:"50"`
	City      string `query:"city" maxLength:"100"`
	From      string `query:"from" maxLength:"40" doc:"events starting at or after: a date like 2027-01-01 (UTC) or an RFC 3339 time"`
	To        string `query:"to" maxLength:"40" doc:"events starting before: a date like 2027-01-01 (UTC) or an RFC 3339 time"`
	Organizer string `query:"organizer" maxLength:"20" doc:"a user id, or me"`
	Status    string `query:"status" enum:"draft,published,cancelled,completed" doc:"other than published: your own events only (organizer=me)"`
	Sort      string `query:"sort" enum:"date,newest,popularity" default:"date"`
	Cursor    string `query:"cursor" maxLength:"512"`
	Limit     int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

func (s *Service) handleList(ctx context.Context, in *listInput) (*httpapi.ListOutput[Event], error) {
	f := listFilter{Category: strings.ToLower(strings.TrimSpace(in.Category)), City: strings.TrimSpace(in.City),
		Status: in.Status, Sort: in.Sort, Limit: in.Limit + 1}
	for _, p := range []struct {
		name, value string
		into        **time.Time
	}{{"from", in.From, &f.From}, {"to", in.To, &f.To}} {
		t, err := httpapi.ParseTime(p.name, p.value, nil)
		if err != nil {
			return nil, err
		}
		if !t.IsZero() {
			*p.into = &t
		}
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		return nil, httpapi.BadRequest("from must be before to", httpapi.Detail{Field: "from", Message: "must be before to"})
	}
	id, authed := auth.FromContext(ctx)
	switch in.Organizer {
	case "":
	case "me":
		if !authed {
			return nil, httpapi.Unauthorized("organizer=me needs a signed-in caller")
		}
		f.Organizer = id.UserID
	default:
		n, err := strconv.ParseInt(in.Organizer, 10, 64)
		if err != nil || n <= 0 {
			return nil, httpapi.BadRequest("organizer must be a user id or me", httpapi.Detail{Field: "organizer", Message: "a user id or me"})
		}
		f.Organizer = n
	}
	own := authed && (id.IsAdmin() || f.Organizer == id.UserID)
	if f.Status != "" && f.Status != "published" && !own {
		return nil, httpapi.BadRequest("status other than published lists only your own events: add organizer=me",
			httpapi.Detail{Field: "status", Message: "needs organizer=me"})
	}
	f.IncludeHidden = own && f.Organizer != 0
	if in.Cursor != "" {
		c, err := httpapi.DecodeCursor[listCursor](in.Cursor)
		if err != nil {
			return nil, err
		}
		if c.Sort != in.Sort || c.ID <= 0 {
			return nil, httpapi.BadRequest("cursor belongs to another sort order", httpapi.Detail{Field: "cursor", Message: "use next_cursor with the same sort"})
		}
		f.After = &c
	}
	list, err := s.store.listEvents(ctx, f)
	if err != nil {
		return nil, s.fail(ctx, "list events", err)
	}
	page := httpapi.Page{Limit: in.Limit}
	if len(list) > in.Limit {
		list = list[:in.Limit]
		page.NextCursor = httpapi.EncodeCursor(cursorAfter(in.Sort, list[len(list)-1]))
	}
	return httpapi.List(list, page), nil
}
