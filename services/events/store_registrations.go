package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/events-platform/events-platform/internal/eventview"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/natsbus"
)

// Registration is a user's place at an event: a confirmed seat or a place on the waitlist.
type Registration struct {
	ID               int64      `json:"id"`
	EventID          int64      `json:"event_id"`
	UserID           int64      `json:"user_id"`
	Status           string     `json:"status" enum:"confirmed,waitlisted,cancelled"`
	WaitlistPosition int        `json:"waitlist_position,omitempty" doc:"1 is next in line"`
	CreatedAt        time.Time  `json:"created_at"`
	CheckedInAt      *time.Time `json:"checked_in_at,omitempty"`
}

// openCondition is what an event must be for registrations to be taken.
const openCondition = `status = 'published' AND coalesce(ends_at, starts_at) > now()`

// registerSQL registers a batch of users ($2, in arrival order, each once) for event $1 in
// one statement and so one transaction: each takes a seat, or a place at the back of the
// waitlist. Seats are counted under the event's row lock (FOR UPDATE), never from a count
// read earlier, so registrations to one event are serialised and the counter cannot pass
// the capacity; a batch takes the lock once for all its users, which is what lets one hot
// event take thousands of registrations a second (see registrar). The lock is held only
// while this statement runs and commits (no client round trip). Registration ids are
// handed out under the lock in arrival order, so id order orders the waitlist. A seat is
// confirmed only while nobody waits, so a seat freed between two registrations never
// jumps the line.
//
// Users who hold a live registration are left out. A user who cancelled registers again
// at the back of the line: the cancelled row is taken over with a new id. A live row that
// the statement's snapshot missed (another process registered the same user and
// committed while this statement waited for the lock) sets the status to NULL, so the
// statement fails on the NOT NULL constraint rather than count a seat it did not take;
// registerBatch runs it again, and the new snapshot sees that row. The statement returns
// one row per user: whether the event was open, whether the user may see it (a private
// event, or one held or rejected by moderation, only its organizer), and the registration
// made, if any.
//
// The payloads are built by registrationPayload, in SQL because the registration ids are
// only known inside the statement; the relay is woken once for the batch.
var registerSQL = `
WITH e AS (
	SELECT id, capacity, registered_count, waitlist_count, visibility, moderation, created_by,
		CASE WHEN waitlist_count > 0 THEN 0 ELSE greatest(coalesce(capacity - registered_count, 2147483647), 0) END AS free
	FROM events WHERE id = $1 AND ` + openCondition + ` FOR UPDATE
), req AS (
	SELECT u.user_id, u.n, e.visibility <> 'private' AND e.moderation = 'approved' OR e.created_by = u.user_id AS visible
	FROM unnest($2::bigint[]) WITH ORDINALITY AS u (user_id, n), e
), fresh AS (
	SELECT req.user_id, req.n, row_number() OVER (ORDER BY req.n) AS k FROM req
	WHERE req.visible AND NOT EXISTS (SELECT FROM event_registrations x
		WHERE x.event_id = $1 AND x.user_id = req.user_id AND x.status <> 'cancelled')
), placed AS (
	SELECT fresh.user_id, fresh.n,
		CASE WHEN fresh.k <= e.free THEN 'confirmed' ELSE 'waitlisted' END AS status,
		CASE WHEN fresh.k <= e.free THEN NULL ELSE e.waitlist_count + fresh.k - e.free END AS position
	FROM fresh, e
), r AS (
	INSERT INTO event_registrations AS x (event_id, user_id, status)
	SELECT $1, user_id, status FROM placed ORDER BY n
	ON CONFLICT (event_id, user_id) DO UPDATE SET id = DEFAULT, status = CASE WHEN x.status = 'cancelled' THEN excluded.status END,
		created_at = now(), updated_at = now(), checked_in_at = NULL
	RETURNING x.id, x.user_id, x.status, x.created_at
), counted AS (
	UPDATE events SET
		registered_count = registered_count + (SELECT count(*) FROM r WHERE r.status = 'confirmed'),
		waitlist_count = waitlist_count + (SELECT count(*) FROM r WHERE r.status = 'waitlisted')
	WHERE id = (SELECT id FROM e)
), o AS (
	INSERT INTO outbox (subject, payload)
	SELECT CASE m.status WHEN 'confirmed' THEN '` + SubjectRegistrationConfirmed + `' ELSE '` + SubjectRegistrationWaitlisted + `' END,
		` + registrationPayload + `
	FROM (SELECT r.id, $1::bigint AS event_id, r.user_id, r.status, placed.position FROM r JOIN placed USING (user_id)) m ORDER BY m.id
	RETURNING id
)
SELECT req.user_id, req.visible, r.id, r.status, r.created_at, placed.position,
	(SELECT count(*) FROM (SELECT pg_notify('` + natsbus.NotifyChannel + `', '') WHERE EXISTS (SELECT FROM o)) n)
FROM req LEFT JOIN r USING (user_id) LEFT JOIN placed USING (user_id)`

// registerBatch runs registerSQL for users, each once, and returns each one's
// registration or error, in order.
func (s *store) registerBatch(ctx context.Context, eventID int64, users []int64) ([]Registration, []error, error) {
	regs, errs, err := s.tryRegisterBatch(ctx, eventID, users)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23502" && pgErr.TableName == "event_registrations" {
		return s.tryRegisterBatch(ctx, eventID, users) // a registration committed while it waited
	}
	return regs, errs, err
}

func (s *store) tryRegisterBatch(ctx context.Context, eventID int64, users []int64) ([]Registration, []error, error) {
	rows, err := s.db.Query(ctx, registerSQL, eventID, users)
	if err != nil {
		return nil, nil, fmt.Errorf("register: %w", err)
	}
	type outcome struct {
		visible bool
		reg     Registration
	}
	got := make(map[int64]outcome, len(users))
	for rows.Next() {
		var (
			userID    int64
			visible   bool
			id        *int64
			status    *string
			createdAt *time.Time
			position  *int
			notified  int
		)
		if err := rows.Scan(&userID, &visible, &id, &status, &createdAt, &position, &notified); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("register: %w", err)
		}
		o := outcome{visible: visible}
		if id != nil {
			o.reg = Registration{ID: *id, EventID: eventID, UserID: userID, Status: *status, CreatedAt: *createdAt}
			if position != nil {
				o.reg.WaitlistPosition = *position
			}
		}
		got[userID] = o
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("register: %w", err)
	}
	if len(got) == 0 { // the event matched no row: it is not open, or not there
		errs, err := whyClosed(ctx, s.db, eventID, users)
		return make([]Registration, len(users)), errs, err
	}
	regs, errs := make([]Registration, len(users)), make([]error, len(users))
	for i, u := range users {
		switch o := got[u]; {
		case !o.visible:
			errs[i] = errNotFound
		case o.reg.ID == 0:
			errs[i] = errAlreadyRegistered
		default:
			regs[i] = o.reg
		}
	}
	return regs, errs, nil
}

// whyClosed explains to each of users why registerSQL matched no event.
func whyClosed(ctx context.Context, q querier, eventID int64, users []int64) ([]error, error) {
	var status, visibility, moderation string
	var organizer int64
	err := q.QueryRow(ctx, `SELECT `+statusExpr+`, visibility, moderation, created_by FROM events WHERE id = $1`, eventID).
		Scan(&status, &visibility, &moderation, &organizer)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("load event %d: %w", eventID, err)
	}
	errs := make([]error, len(users))
	for i, u := range users {
		switch {
		case err != nil, status == "draft", (visibility == "private" || moderation != "approved") && organizer != u:
			errs[i] = errNotFound
		case status == "published":
			errs[i] = conflict("registration has closed: the event has started")
		default:
			errs[i] = conflict("registration is closed: the event is %s", status)
		}
	}
	return errs, nil
}

// cancelRegistration cancels the user's registration. A freed seat goes to the head of
// the waitlist in the same transaction. The event row is locked first, as in register,
// so that the two never wait on each other in opposite orders.
func (s *store) cancelRegistration(ctx context.Context, eventID, userID int64) (Registration, error) {
	var reg Registration
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := lockEvent(ctx, tx, eventID); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `
			SELECT id, event_id, user_id, status, created_at, checked_in_at FROM event_registrations
			WHERE event_id = $1 AND user_id = $2 AND status <> 'cancelled' FOR UPDATE`, eventID, userID).
			Scan(&reg.ID, &reg.EventID, &reg.UserID, &reg.Status, &reg.CreatedAt, &reg.CheckedInAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNotRegistered
		}
		if err != nil {
			return fmt.Errorf("load registration: %w", err)
		}
		was := reg.Status
		if _, err := tx.Exec(ctx, `UPDATE event_registrations SET status = 'cancelled', updated_at = now() WHERE id = $1`, reg.ID); err != nil {
			return fmt.Errorf("cancel registration %d: %w", reg.ID, err)
		}
		counter := "registered_count"
		if was == "waitlisted" {
			counter = "waitlist_count"
		}
		if _, err := tx.Exec(ctx, `UPDATE events SET `+counter+` = `+counter+` - 1 WHERE id = $1`, eventID); err != nil {
			return fmt.Errorf("release place at event %d: %w", eventID, err)
		}
		if err := enqueueRegistrations(ctx, tx, SubjectRegistrationCancelled, was, reg.ID); err != nil {
			return err
		}
		reg.Status = "cancelled"
		if was != "confirmed" {
			return nil
		}
		e, err := s.event(ctx, tx, eventID)
		if err != nil {
			return err
		}
		_, err = promote(ctx, tx, e)
		return err
	})
	return reg, err
}

// waitlistPosition returns the place of a waitlisted registration in line, from 1.
func waitlistPosition(ctx context.Context, q querier, eventID, regID int64) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM event_registrations WHERE event_id = $1 AND status = 'waitlisted' AND id <= $2`,
		eventID, regID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("waitlist position: %w", err)
	}
	return n, nil
}

// checkIn records that a confirmed registrant arrived. It reports whether they had
// already checked in (then nothing changes).
func (s *store) checkIn(ctx context.Context, eventID int64, by actor, regID, userID int64) (Registration, bool, error) {
	var (
		reg     Registration
		already bool
	)
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		e, err := s.event(ctx, tx, eventID)
		if err != nil {
			return err
		}
		if !by.owns(e) {
			return errForbidden
		}
		err = tx.QueryRow(ctx, `
			SELECT id, event_id, user_id, status, created_at, checked_in_at FROM event_registrations
			WHERE event_id = $1 AND (id = $2 OR $2 = 0 AND user_id = $3) FOR UPDATE`, eventID, regID, userID).
			Scan(&reg.ID, &reg.EventID, &reg.UserID, &reg.Status, &reg.CreatedAt, &reg.CheckedInAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return errRegNotFound
		}
		if err != nil {
			return fmt.Errorf("load registration: %w", err)
		}
		if reg.Status != "confirmed" {
			return conflict("only a confirmed registration can check in; this one is %s", reg.Status)
		}
		if reg.CheckedInAt != nil {
			already = true
			return nil
		}
		if err := tx.QueryRow(ctx, `UPDATE event_registrations SET checked_in_at = now(), updated_at = now() WHERE id = $1 RETURNING checked_in_at`,
			reg.ID).Scan(&reg.CheckedInAt); err != nil {
			return fmt.Errorf("check in registration %d: %w", reg.ID, err)
		}
		return enqueueRegistrations(ctx, tx, SubjectRegistrationCheckedIn, reg.Status, reg.ID)
	})
	return reg, already, err
}

// Attendee is a registration with the registrant's name and email, for the organizer.
type Attendee struct {
	Registration
	Name  string `json:"name"`
	Email string `json:"email"`
}

func (s *store) attendees(ctx context.Context, eventID int64, status string, afterID int64, limit int) ([]Attendee, error) {
	rows, err := s.db.Query(ctx, `
		SELECT r.id, r.event_id, r.user_id, r.status, r.created_at, r.checked_in_at, u.name, u.email
		FROM event_registrations r JOIN users u ON u.id = r.user_id
		WHERE r.event_id = $1 AND r.id > $2 AND ($3 = '' AND r.status <> 'cancelled' OR r.status = $3)
		ORDER BY r.id LIMIT $4`, eventID, afterID, status, limit)
	if err != nil {
		return nil, fmt.Errorf("list attendees of event %d: %w", eventID, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Attendee, error) {
		var a Attendee
		err := r.Scan(&a.ID, &a.EventID, &a.UserID, &a.Status, &a.CreatedAt, &a.CheckedInAt, &a.Name, &a.Email)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("list attendees of event %d: %w", eventID, err)
	}
	// Waitlist positions follow from the id order within the event.
	pos := 0
	if len(list) > 0 && afterID > 0 {
		if pos, err = waitlistPosition(ctx, s.db, eventID, afterID); err != nil {
			return nil, err
		}
	}
	for i := range list {
		if list[i].Status == "waitlisted" {
			pos++
			list[i].WaitlistPosition = pos
		}
	}
	return list, nil
}

// MyRegistration is one of the caller's registrations with the event it is for.
type MyRegistration struct {
	Registration
	Event EventSummary `json:"event"`
}

// EventSummary is enough of an event to list it.
type EventSummary struct {
	ID     int64     `json:"id"`
	Title  string    `json:"title"`
	Date   time.Time `json:"date"`
	City   string    `json:"city,omitempty"`
	Status string    `json:"status"`
}

func (s *store) myRegistrations(ctx context.Context, userID, beforeID int64, limit int) ([]MyRegistration, error) {
	rows, err := s.db.Query(ctx, `
		SELECT r.id, r.event_id, r.user_id, r.status, r.created_at, r.checked_in_at,
			CASE WHEN r.status = 'waitlisted' THEN
				(SELECT count(*) FROM event_registrations w WHERE w.event_id = r.event_id AND w.status = 'waitlisted' AND w.id <= r.id)
			ELSE 0 END,
			e.id, e.title, e.starts_at, e.timezone, e.city, `+eventview.Status("e.")+`
		FROM event_registrations r JOIN events e ON e.id = r.event_id
		WHERE r.user_id = $1 AND ($2 = 0 OR r.id < $2)
		ORDER BY r.id DESC LIMIT $3`, userID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("list registrations of user %d: %w", userID, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (MyRegistration, error) {
		var (
			m    MyRegistration
			zone string
		)
		err := r.Scan(&m.ID, &m.EventID, &m.UserID, &m.Status, &m.CreatedAt, &m.CheckedInAt, &m.WaitlistPosition,
			&m.Event.ID, &m.Event.Title, &m.Event.Date, &zone, &m.Event.City, &m.Event.Status)
		m.Event.Date = httpapi.InZone(m.Event.Date, eventview.Zone(zone))
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("list registrations of user %d: %w", userID, err)
	}
	if len(list) == 0 {
		return nil, s.requireUser(ctx, userID)
	}
	return list, nil
}

// requireUser returns errNoAccount when user id does not exist (any more). A deleted
// account's registrations and favorites go with it, so callers ask only when they found
// none.
func (s *store) requireUser(ctx context.Context, id int64) error {
	var exists bool
	if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT FROM users WHERE id = $1)`, id).Scan(&exists); err != nil {
		return fmt.Errorf("look up user %d: %w", id, err)
	}
	if !exists {
		return errNoAccount
	}
	return nil
}
