package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/test/integration"
)

// newUsersAndEvent inserts n attendees and an event of capacity seats organised by the
// first of them, published or as a draft, public or private.
func newUsersAndEvent(t *testing.T, db *pgxpool.Pool, n, capacity int, status, visibility string) (users []int64, eventID int64) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Query(ctx, `INSERT INTO users (email, password_hash, name) SELECT gen_random_uuid() || '@example.com', 'x', 'B' || g
		FROM generate_series(1, $1::int) g RETURNING id`, n)
	if err != nil {
		t.Fatal(err)
	}
	if users, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		t.Fatal(err)
	}
	err = db.QueryRow(ctx, `INSERT INTO events (title, category, starts_at, capacity, status, visibility, created_by)
		VALUES ('Batch', 'music', now() + interval '1 day', $1, $2, $3, $4) RETURNING id`, capacity, status, visibility, users[0]).Scan(&eventID)
	if err != nil {
		t.Fatal(err)
	}
	return users, eventID
}

// TestBatchRegistersInArrivalOrder: one statement for several users takes the seats left
// in arrival order, puts the rest at the back of the waitlist with their positions, leaves
// out a user already registered, takes a cancelled user back with a new id, and writes one
// documented message per registration in id order.
func TestBatchRegistersInArrivalOrder(t *testing.T) {
	db, _ := integration.Pool(t)
	ctx := context.Background()
	s := &store{db: db}
	u, ev := newUsersAndEvent(t, db, 6, 3, "published", "public")

	// u[0] holds a seat; u[1] had one and cancelled it.
	if _, errs, err := s.registerBatch(ctx, ev, []int64{u[0], u[1]}); err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatalf("first batch: %v %v", err, errs)
	}
	if _, err := s.cancelRegistration(ctx, ev, u[1]); err != nil {
		t.Fatal(err)
	}
	var oldID int64
	_ = db.QueryRow(ctx, `SELECT id FROM event_registrations WHERE event_id = $1 AND user_id = $2`, ev, u[1]).Scan(&oldID)
	if _, err := db.Exec(ctx, `DELETE FROM outbox`); err != nil {
		t.Fatal(err)
	}

	regs, errs, err := s.registerBatch(ctx, ev, []int64{u[2], u[0], u[3], u[1], u[4]})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		status   string
		position int
		err      error
	}
	wants := []want{{"confirmed", 0, nil}, {"", 0, errAlreadyRegistered}, {"confirmed", 0, nil}, {"waitlisted", 1, nil}, {"waitlisted", 2, nil}}
	var ids []int64
	for i, w := range wants {
		if !errors.Is(errs[i], w.err) || regs[i].Status != w.status || regs[i].WaitlistPosition != w.position {
			t.Errorf("user %d of the batch: got %+v, %v; want %s at %d, %v", i, regs[i], errs[i], w.status, w.position, w.err)
		}
		if errs[i] == nil {
			ids = append(ids, regs[i].ID)
		}
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Errorf("registration ids are not in arrival order: %v", ids)
		}
	}
	if regs[3].ID == oldID {
		t.Errorf("the user who cancelled kept their old id %d: they must go to the back of the line", oldID)
	}

	var registered, waitlisted int
	_ = db.QueryRow(ctx, `SELECT registered_count, waitlist_count FROM events WHERE id = $1`, ev).Scan(&registered, &waitlisted)
	if registered != 3 || waitlisted != 2 {
		t.Errorf("counters: got %d confirmed, %d waitlisted; want 3 and 2", registered, waitlisted)
	}
	rows, _ := db.Query(ctx, `SELECT subject, payload FROM outbox ORDER BY id`)
	type message struct {
		Subject string
		Payload []byte
	}
	msgs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[message])
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != len(ids) {
		t.Fatalf("outbox: got %d messages, want %d", len(msgs), len(ids))
	}
	for i, m := range msgs {
		var p RegistrationMessage
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			t.Fatal(err)
		}
		r := regs[[]int{0, 2, 3, 4}[i]]
		if m.Subject != "platform.registration."+r.Status || p.Version != 1 || p.RegistrationID != r.ID || p.EventID != ev ||
			p.UserID != r.UserID || p.Status != r.Status || p.WaitlistPosition != r.WaitlistPosition || p.OccurredAt.IsZero() {
			t.Errorf("message %d: got %s %s, want one for %+v", i, m.Subject, m.Payload, r)
		}
	}
}

// TestBatchOfAClosedOrPrivateEvent: nobody registers for a draft; a private event takes
// only its organizer, and tells others it does not exist.
func TestBatchOfAClosedOrPrivateEvent(t *testing.T) {
	db, _ := integration.Pool(t)
	ctx := context.Background()
	s := &store{db: db}

	u, draft := newUsersAndEvent(t, db, 2, 10, "draft", "public")
	_, errs, err := s.registerBatch(ctx, draft, u)
	if err != nil || !errors.Is(errs[0], errNotFound) || !errors.Is(errs[1], errNotFound) {
		t.Errorf("draft: got %v %v, want not found for both", err, errs)
	}

	u, private := newUsersAndEvent(t, db, 2, 10, "published", "private")
	regs, errs, err := s.registerBatch(ctx, private, u)
	if err != nil || errs[0] != nil || regs[0].Status != "confirmed" || !errors.Is(errs[1], errNotFound) {
		t.Errorf("private: got %+v %v %v; want the organizer confirmed and the other not found", regs, errs, err)
	}

	u, ended := newUsersAndEvent(t, db, 1, 10, "published", "public")
	_, _ = db.Exec(ctx, `UPDATE events SET starts_at = now() - interval '2 days', ends_at = now() - interval '1 day' WHERE id = $1`, ended)
	var st *stateError
	if _, errs, err = s.registerBatch(ctx, ended, u); err != nil || !errors.As(errs[0], &st) {
		t.Errorf("ended: got %v %v, want a conflict", err, errs)
	}
}

// TestRegistrarAnswersEachRequest: in one batch, a user sent twice is registered once and
// told so the second time; a user whose account is gone makes the statement fail, and
// then each request runs alone, so only that one fails; a request whose client went away
// before its turn is not registered.
func TestRegistrarAnswersEachRequest(t *testing.T) {
	db, _ := integration.Pool(t)
	ctx := context.Background()
	r := newRegistrar(&store{db: db})
	u, ev := newUsersAndEvent(t, db, 4, 2, "published", "public")
	gone, cancel := context.WithCancel(ctx)
	cancel()

	users := []int64{u[1], u[2], u[1], 1 << 40, u[3], u[0]}
	batch := make([]*regRequest, len(users))
	for i, id := range users {
		batch[i] = &regRequest{ctx: ctx, userID: id, done: make(chan regResult, 1)}
	}
	batch[5].ctx = gone
	r.run(ev, batch)

	got := make([]regResult, len(batch))
	for i, req := range batch {
		got[i] = <-req.done
	}
	if got[0].err != nil || got[0].reg.Status != "confirmed" || got[1].err != nil || got[1].reg.Status != "confirmed" {
		t.Errorf("first two users: got %+v, %+v; want both confirmed", got[0], got[1])
	}
	if !errors.Is(got[2].err, errAlreadyRegistered) {
		t.Errorf("the same user again: got %+v, want already registered", got[2])
	}
	if got[3].err == nil {
		t.Errorf("a user who does not exist: got %+v, want an error", got[3])
	}
	if got[4].err != nil || got[4].reg.Status != "waitlisted" || got[4].reg.WaitlistPosition != 1 {
		t.Errorf("third user: got %+v, want waitlisted at 1", got[4])
	}
	if !errors.Is(got[5].err, context.Canceled) {
		t.Errorf("a request whose client went away: got %+v", got[5])
	}
	var n int
	_ = db.QueryRow(ctx, `SELECT count(*) FROM event_registrations WHERE event_id = $1`, ev).Scan(&n)
	if n != 3 {
		t.Errorf("registrations: got %d, want 3", n)
	}
}

// TestBatchThatWaitedForAnotherSeesItsRegistration: a batch that waits for the event's
// lock while another process registers one of its users (and takes a seat) must not count
// that user again nor waitlist the next one while a seat is free.
func TestBatchThatWaitedForAnotherSeesItsRegistration(t *testing.T) {
	db, _ := integration.Pool(t)
	ctx := context.Background()
	s := &store{db: db}
	u, ev := newUsersAndEvent(t, db, 3, 2, "published", "public")

	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	rows, err := tx.Query(ctx, registerSQL, ev, []int64{u[1]})
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}

	type outcome struct {
		regs []Registration
		errs []error
		err  error
	}
	done := make(chan outcome, 1)
	go func() {
		regs, errs, err := s.registerBatch(ctx, ev, []int64{u[1], u[2]})
		done <- outcome{regs, errs, err}
	}()
	// Commit once the batch waits for the event's row lock.
	for i := 0; ; i++ {
		var waiting bool
		_ = db.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%')`).Scan(&waiting)
		if waiting {
			break
		}
		if i == 500 {
			t.Fatal("the batch never waited for the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if got.err != nil || !errors.Is(got.errs[0], errAlreadyRegistered) || got.errs[1] != nil || got.regs[1].Status != "confirmed" {
		t.Fatalf("got %+v; want the first user already registered and the second confirmed (a seat was free)", got)
	}
	var registered, waitlisted int
	_ = db.QueryRow(ctx, `SELECT registered_count, waitlist_count FROM events WHERE id = $1`, ev).Scan(&registered, &waitlisted)
	if registered != 2 || waitlisted != 0 {
		t.Errorf("counters: got %d confirmed, %d waitlisted; want 2 and 0", registered, waitlisted)
	}
}

// TestRegistrationMessagesOfEveryChange: confirming, waitlisting, checking in, cancelling
// and promoting each write one message whose payload is exactly a RegistrationMessage
// (no field it does not declare), with the documented status.
func TestRegistrationMessagesOfEveryChange(t *testing.T) {
	db, _ := integration.Pool(t)
	ctx := context.Background()
	s := &store{db: db}
	u, ev := newUsersAndEvent(t, db, 3, 1, "published", "public")
	organizer, first, second := actor{UserID: u[0]}, u[1], u[2]

	regs, errs, err := s.registerBatch(ctx, ev, []int64{first, second})
	if err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatalf("register: %v %v", err, errs)
	}
	if _, _, err := s.checkIn(ctx, ev, organizer, regs[0].ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.cancelRegistration(ctx, ev, first); err != nil {
		t.Fatal(err)
	}

	type message struct {
		subject string
		payload RegistrationMessage
	}
	want := []message{
		{SubjectRegistrationConfirmed, RegistrationMessage{RegistrationID: regs[0].ID, UserID: first, Status: "confirmed"}},
		{SubjectRegistrationWaitlisted, RegistrationMessage{RegistrationID: regs[1].ID, UserID: second, Status: "waitlisted", WaitlistPosition: 1}},
		{SubjectRegistrationCheckedIn, RegistrationMessage{RegistrationID: regs[0].ID, UserID: first, Status: "confirmed"}},
		{SubjectRegistrationCancelled, RegistrationMessage{RegistrationID: regs[0].ID, UserID: first, Status: "confirmed"}},
		{SubjectRegistrationPromoted, RegistrationMessage{RegistrationID: regs[1].ID, UserID: second, Status: "confirmed"}},
	}
	rows, _ := db.Query(ctx, `SELECT subject, payload::text FROM outbox WHERE subject LIKE 'platform.registration.%' ORDER BY id`)
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (message, error) {
		var (
			m    message
			body string
		)
		if err := r.Scan(&m.subject, &body); err != nil {
			return m, err
		}
		d := json.NewDecoder(strings.NewReader(body))
		d.DisallowUnknownFields()
		if err := d.Decode(&m.payload); err != nil {
			return m, fmt.Errorf("%s payload %s: %w", m.subject, body, err)
		}
		return m, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("messages: got %d %+v, want %d", len(got), got, len(want))
	}
	for i, g := range got {
		w := want[i]
		w.payload.Version, w.payload.EventID, w.payload.OccurredAt = MessageVersion, ev, g.payload.OccurredAt
		if g != w || g.payload.OccurredAt.IsZero() {
			t.Errorf("message %d: got %+v, want %+v", i, g, w)
		}
	}
}
