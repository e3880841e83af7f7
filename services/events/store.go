package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/eventview"
	"github.com/events-platform/events-platform/internal/natsbus"
)

// Event and Location are the one shape of an event that every service returns
// (internal/eventview); the events service writes what they are read from.
type (
	Event    = eventview.Event
	Location = eventview.Location
)

// Store errors; fail maps them to HTTP.
var (
	errNotFound          = errors.New("event not found")
	errForbidden         = errors.New("not the organizer")
	errAlreadyRegistered = errors.New("already registered")
	errNotRegistered     = errors.New("not registered")
	errRegNotFound       = errors.New("registration not found")
	errNoAccount         = errors.New("the caller's account does not exist")
)

// stateError is a request that the event's or registration's state does not allow (409).
type stateError struct{ msg string }

func (e *stateError) Error() string { return e.msg }

func conflict(format string, args ...any) error { return &stateError{fmt.Sprintf(format, args...)} }

// statusExpr is the status clients see (eventview.Status).
var statusExpr = eventview.Status("")

var eventColumns = eventview.Columns("")

// scanEvent reads a row of eventColumns, then the columns of after.
func scanEvent(row pgx.Row, after ...any) (Event, error) {
	e, err := eventview.Scan(row, after...)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, errNotFound
	}
	return e, err
}

// querier is a pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type store struct {
	db *pgxpool.Pool
	// trustAfter is Options.TrustAfter: publish holds the events of organizers with fewer
	// person-approved events than this (0: nobody's).
	trustAfter int
}

// eventFields are the writable fields of an event; nil leaves a field unchanged on update.
type eventFields struct {
	Title, Description, Category *string
	Tags                         *[]string
	StartsAt                     *time.Time
	EndsAt                       *time.Time
	ClearEnd                     bool
	Timezone                     *string
	Location                     *Location
	OnlineURL                    *string
	Capacity                     *int
	Unlimited                    bool // capacity set to null
	Price                        *float64
	Currency                     *string
	Visibility                   *string
}

func (s *store) createEvent(ctx context.Context, organizer int64, f eventFields) (Event, error) {
	var e Event
	loc := Location{}
	if f.Location != nil {
		loc = *f.Location
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var err error
		e, err = scanEvent(tx.QueryRow(ctx, `
			INSERT INTO events (title, description, category, tags, starts_at, ends_at, timezone, venue_name, address,
				city, country, lat, lng, online_url, capacity, price, currency, visibility, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
			RETURNING `+eventColumns,
			*f.Title, deref(f.Description), *f.Category, derefTags(f.Tags), *f.StartsAt, f.EndsAt, deref(f.Timezone),
			loc.Name, loc.Address, loc.City, loc.Country, loc.Lat, loc.Lng, deref(f.OnlineURL), f.Capacity,
			derefFloat(f.Price), deref(f.Currency), deref(f.Visibility), organizer))
		if err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
		return natsbus.Enqueue(ctx, tx, SubjectEventCreated, eventMessage(e, organizer, nil))
	})
	return e, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefFloat(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

func derefTags(t *[]string) []string {
	if t == nil {
		return []string{}
	}
	return *t
}

// event returns the event with id as stored.
func (s *store) event(ctx context.Context, q querier, id int64) (Event, error) {
	e, err := scanEvent(q.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE id = $1`, id))
	if err != nil && !errors.Is(err, errNotFound) {
		return e, fmt.Errorf("load event %d: %w", id, err)
	}
	return e, err
}

// lockEvent loads the event with id and locks its row until tx ends. Every change to an
// event's counters or state happens under this lock (or under the conditional UPDATE of
// register, which takes the same lock), so changes to one event are serialised and never
// work from a stale read.
func lockEvent(ctx context.Context, tx pgx.Tx, id int64) (Event, error) {
	e, err := scanEvent(tx.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE id = $1 FOR UPDATE`, id))
	if err != nil && !errors.Is(err, errNotFound) {
		return e, fmt.Errorf("lock event %d: %w", id, err)
	}
	return e, err
}

// actor is who asks for a change.
type actor struct {
	UserID int64
	Admin  bool
}

func (a actor) owns(e Event) bool { return a.Admin || e.CreatedBy == a.UserID }

// updateEvent applies f to the event. Raising the capacity promotes waitlisted
// registrations into the new seats in the same transaction; lowering it below the
// confirmed registrations is refused.
func (s *store) updateEvent(ctx context.Context, id int64, by actor, f eventFields, changed []string) (Event, error) {
	return s.transition(ctx, id, by, func(ctx context.Context, tx pgx.Tx, cur Event) (Event, error) {
		if cur.Status == "cancelled" || cur.Status == "completed" {
			return Event{}, conflict("a %s event cannot be changed", cur.Status)
		}
		start, end := cur.Date, cur.EndDate
		if f.StartsAt != nil {
			start = *f.StartsAt
		}
		if f.EndsAt != nil {
			end = f.EndsAt
		} else if f.ClearEnd {
			end = nil
		}
		if (f.StartsAt != nil || f.EndsAt != nil) && end != nil && !end.After(start) {
			return Event{}, &badInput{field: "end_date", msg: "end_date must be after date"}
		}
		capacity := cur.Capacity
		if f.Capacity != nil {
			capacity = f.Capacity
		} else if f.Unlimited {
			capacity = nil
		}
		if capacity != nil && *capacity < cur.RegisteredCount {
			return Event{}, conflict("capacity %d is below the %d confirmed registrations", *capacity, cur.RegisteredCount)
		}
		loc := cur.Location
		if f.Location != nil {
			loc = f.Location
		}
		if loc == nil {
			loc = &Location{}
		}
		e, err := scanEvent(tx.QueryRow(ctx, `
			UPDATE events SET title = coalesce($2, title), description = coalesce($3, description),
				category = coalesce($4, category), tags = coalesce($5, tags), starts_at = $6, ends_at = $7,
				timezone = coalesce($8, timezone), venue_name = $9, address = $10, city = $11, country = $12,
				lat = $13, lng = $14, online_url = coalesce($15, online_url), capacity = $16,
				price = coalesce($17, price), currency = coalesce($18, currency), visibility = coalesce($19, visibility),
				updated_at = now()
			WHERE id = $1 RETURNING `+eventColumns,
			id, f.Title, f.Description, f.Category, f.Tags, start, end, f.Timezone, loc.Name, loc.Address, loc.City,
			loc.Country, loc.Lat, loc.Lng, f.OnlineURL, capacity, f.Price, f.Currency, f.Visibility))
		if err != nil {
			return Event{}, fmt.Errorf("update event %d: %w", id, err)
		}
		if err := natsbus.Enqueue(ctx, tx, SubjectEventUpdated, eventMessage(e, by.UserID, changed)); err != nil {
			return Event{}, err
		}
		if promoted, err := promote(ctx, tx, e); err != nil {
			return Event{}, err
		} else if promoted > 0 {
			return s.event(ctx, tx, id)
		}
		return e, nil
	})
}

// promote moves waitlisted registrations of e, oldest first, into free seats. The caller
// holds e's row lock.
func promote(ctx context.Context, tx pgx.Tx, e Event) (int, error) {
	if e.WaitlistCount == 0 || e.Status != "published" {
		return 0, nil
	}
	free := e.WaitlistCount
	if e.Capacity != nil {
		free = min(free, *e.Capacity-e.RegisteredCount)
	}
	if free <= 0 {
		return 0, nil
	}
	rows, err := tx.Query(ctx, `
		UPDATE event_registrations SET status = 'confirmed', updated_at = now()
		WHERE id IN (SELECT id FROM event_registrations WHERE event_id = $1 AND status = 'waitlisted' ORDER BY id LIMIT $2)
		RETURNING id, user_id`, e.ID, free)
	if err != nil {
		return 0, fmt.Errorf("promote waitlist of event %d: %w", e.ID, err)
	}
	type promoted struct{ ID, UserID int64 }
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[promoted])
	if err != nil {
		return 0, fmt.Errorf("promote waitlist of event %d: %w", e.ID, err)
	}
	if len(list) == 0 {
		return 0, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE events SET registered_count = registered_count + $2, waitlist_count = waitlist_count - $2 WHERE id = $1`,
		e.ID, len(list)); err != nil {
		return 0, fmt.Errorf("count promotions of event %d: %w", e.ID, err)
	}
	// Identity order is promotion order, as ids were handed out in waitlist order.
	ids := make([]int64, len(list))
	for i, p := range list {
		ids[i] = p.ID
	}
	if err := enqueueRegistrations(ctx, tx, SubjectRegistrationPromoted, "confirmed", ids...); err != nil {
		return 0, err
	}
	return len(list), nil
}

// publishSQL publishes draft $1 and, when $2 > 0 and its organizer is not trusted, holds
// it for moderation in the same statement, so that a held event is never shown, not even
// for a moment. Trusted is an editor or an admin, or an organizer with at least $2 events
// that earn trust (eventview.EarnsTrust: approved by a person, or published without ever
// being held).
// A hold only raises the state: an event the curation service already held or rejected
// stays so.
var publishSQL = `
	WITH t AS (
		SELECT $2::int > 0
			AND NOT EXISTS (SELECT FROM users u WHERE u.id = e.created_by AND u.role IN ('editor', 'admin'))
			AND (SELECT count(*) FROM (SELECT FROM events p
				WHERE p.created_by = e.created_by AND ` + eventview.EarnsTrust("p.") + `
				LIMIT $2) a) < $2 AS hold
		FROM events e WHERE e.id = $1
	)
	UPDATE events SET status = 'published', published_at = now(), updated_at = now(),
		moderation = CASE WHEN t.hold AND moderation = 'approved' THEN 'held' ELSE moderation END,
		moderated_at = CASE WHEN t.hold AND moderation = 'approved' THEN now() ELSE moderated_at END
	FROM t WHERE id = $1
	RETURNING ` + eventColumns

// publish publishes a draft, held for moderation when its organizer is not trusted yet
// (see publishSQL).
func (s *store) publish(ctx context.Context, id int64, by actor) (Event, error) {
	return s.transition(ctx, id, by, func(ctx context.Context, tx pgx.Tx, cur Event) (Event, error) {
		if cur.Status != "draft" {
			return cur, conflict("only a draft can be published; this event is %s", cur.Status)
		}
		if cur.Date.Before(time.Now()) {
			return cur, conflict("the event's date has passed; change it before publishing")
		}
		e, err := scanEvent(tx.QueryRow(ctx, publishSQL, id, s.trustAfter))
		if err != nil {
			return e, fmt.Errorf("publish event %d: %w", id, err)
		}
		return e, natsbus.Enqueue(ctx, tx, SubjectEventPublished, eventMessage(e, by.UserID, nil))
	})
}

// cancel cancels a published event, with the organizer's reason ("" for none), and
// tells its registrants.
func (s *store) cancel(ctx context.Context, id int64, by actor, reason string) (Event, error) {
	return s.transition(ctx, id, by, func(ctx context.Context, tx pgx.Tx, cur Event) (Event, error) {
		switch cur.Status {
		case "draft":
			return cur, conflict("a draft cannot be cancelled; delete it instead")
		case "cancelled", "completed":
			return cur, conflict("this event is already %s", cur.Status)
		}
		e, err := scanEvent(tx.QueryRow(ctx, `
			UPDATE events SET status = 'cancelled', cancel_reason = $2, updated_at = now() WHERE id = $1 RETURNING `+eventColumns, id, reason))
		if err != nil {
			return e, fmt.Errorf("cancel event %d: %w", id, err)
		}
		rows, err := tx.Query(ctx, `SELECT user_id FROM event_registrations WHERE event_id = $1 AND status <> 'cancelled' ORDER BY id`, id)
		if err != nil {
			return e, fmt.Errorf("registrants of event %d: %w", id, err)
		}
		users, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return e, fmt.Errorf("registrants of event %d: %w", id, err)
		}
		if users == nil {
			users = []int64{}
		}
		return e, natsbus.Enqueue(ctx, tx, SubjectEventCancelled, EventCancelled{EventMessage: eventMessage(e, by.UserID, nil), Reason: reason, Registrants: users})
	})
}

func (s *store) deleteEvent(ctx context.Context, id int64, by actor) error {
	_, err := s.transition(ctx, id, by, func(ctx context.Context, tx pgx.Tx, cur Event) (Event, error) {
		if cur.Status != "draft" {
			return cur, conflict("only a draft can be deleted; cancel a %s event instead", cur.Status)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM events WHERE id = $1`, id); err != nil {
			return cur, fmt.Errorf("delete event %d: %w", id, err)
		}
		return cur, natsbus.Enqueue(ctx, tx, SubjectEventDeleted, eventMessage(cur, by.UserID, nil))
	})
	return err
}

// transition runs step on event id, row-locked, in one transaction, when by may change it.
func (s *store) transition(ctx context.Context, id int64, by actor, step func(context.Context, pgx.Tx, Event) (Event, error)) (Event, error) {
	var e Event
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		cur, err := lockEvent(ctx, tx, id)
		if err != nil {
			return err
		}
		if !by.owns(cur) {
			return errForbidden
		}
		e, err = step(ctx, tx, cur)
		return err
	})
	return e, err
}

// completeEnded marks published events whose end has passed as completed and returns how
// many it changed.
func (s *store) completeEnded(ctx context.Context) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			UPDATE events SET status = 'completed', updated_at = now()
			WHERE id IN (SELECT id FROM events WHERE status = 'published' AND coalesce(ends_at, starts_at) < now()
			             ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED)
			RETURNING `+eventColumns)
		if err != nil {
			return fmt.Errorf("complete ended events: %w", err)
		}
		done, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) { return scanEvent(r) })
		if err != nil {
			return fmt.Errorf("complete ended events: %w", err)
		}
		for _, e := range done {
			if err := natsbus.Enqueue(ctx, tx, SubjectEventCompleted, eventMessage(e, 0, nil)); err != nil {
				return err
			}
		}
		n = len(done)
		return nil
	})
	return n, err
}

// listFilter selects a page of events. Status "" is published.
type listFilter struct {
	Category, City, Status, Sort string
	From, To                     *time.Time
	Organizer                    int64
	IncludeHidden                bool // unlisted, private, held and rejected events too (the organizer's own list)
	After                        *listCursor
	Limit                        int
}

// listCursor is where a page of GET /events continues, for the sort it was made with.
type listCursor struct {
	Sort string    `json:"s"`
	Time time.Time `json:"t,omitzero"`
	N    int       `json:"n,omitempty"`
	ID   int64     `json:"id"`
}

func (s *store) listEvents(ctx context.Context, f listFilter) ([]Event, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	switch f.Status {
	case "", "published":
		where = append(where, "status = 'published'", "coalesce(ends_at, starts_at) >= now()")
	case "completed":
		where = append(where, "(status = 'completed' OR status = 'published' AND coalesce(ends_at, starts_at) < now())")
	default:
		where = append(where, "status = "+arg(f.Status))
	}
	if !f.IncludeHidden {
		where = append(where, "visibility = 'public'", "moderation = 'approved'")
	}
	if f.Category != "" {
		where = append(where, "category = "+arg(f.Category))
	}
	if f.City != "" {
		where = append(where, "lower(city) = lower("+arg(f.City)+")")
	}
	if f.From != nil {
		where = append(where, "starts_at >= "+arg(*f.From))
	}
	if f.To != nil {
		where = append(where, "starts_at < "+arg(*f.To))
	}
	if f.Organizer != 0 {
		where = append(where, "created_by = "+arg(f.Organizer))
	}
	order := "starts_at, id"
	switch f.Sort {
	case "newest":
		order = "created_at DESC, id DESC"
		if f.After != nil {
			where = append(where, "(created_at, id) < ("+arg(f.After.Time)+", "+arg(f.After.ID)+")")
		}
	case "popularity":
		order = "registered_count DESC, id DESC"
		if f.After != nil {
			where = append(where, "(registered_count, id) < ("+arg(f.After.N)+", "+arg(f.After.ID)+")")
		}
	default:
		if f.After != nil {
			where = append(where, "(starts_at, id) > ("+arg(f.After.Time)+", "+arg(f.After.ID)+")")
		}
	}
	sql := `SELECT ` + eventColumns + ` FROM events WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + order + ` LIMIT ` + arg(f.Limit)
	rows, err := s.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) { return scanEvent(r) })
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return list, nil
}

func cursorAfter(sort string, e Event) listCursor {
	switch sort {
	case "newest":
		return listCursor{Sort: sort, Time: e.CreatedAt, ID: e.ID}
	case "popularity":
		return listCursor{Sort: sort, N: e.RegisteredCount, ID: e.ID}
	}
	return listCursor{Sort: "date", Time: e.StartsAt().UTC(), ID: e.ID}
}
