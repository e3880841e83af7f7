package events_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/events-platform/events-platform/services/events"
)

// trustAfter2 holds the publications of organizers with fewer than two person-approved
// events.
func trustAfter2(o *events.Options) { o.TrustAfter = 2 }

// listed returns the ids GET path answers with, as user as.
func (e *env) listed(path string, as user) []int64 {
	e.t.Helper()
	r := e.do("GET", path, as, nil)
	if r.Status != http.StatusOK {
		e.t.Fatalf("GET %s: got %d %s", path, r.Status, r.Raw)
	}
	var ids []int64
	for _, ev := range decode[[]event](e.t, r) {
		ids = append(ids, ev.ID)
	}
	return ids
}

// moderate sets an event's moderation as the curation service does; by 0 is the
// automatic checks.
func (e *env) moderate(id int64, state string, by int64) {
	e.t.Helper()
	var moderator *int64
	if by != 0 {
		moderator = &by
	}
	if _, err := e.db.Exec(context.Background(), `UPDATE events SET moderation = $2, moderated_by = $3, moderated_at = now() WHERE id = $1`,
		id, state, moderator); err != nil {
		e.t.Fatal(err)
	}
}

// TestAnUntrustedOrganizersEventIsHeldUntilApproved: a new organizer's published event is
// theirs alone (and moderators') until a person approves it; then everyone sees it, and
// can register and star it.
func TestAnUntrustedOrganizersEventIsHeldUntilApproved(t *testing.T) {
	e := newEnv(t, trustAfter2)
	org, attendee, admin, editor := e.newUser("organizer"), e.newUser("attendee"), e.newUser("admin"), e.newUser("editor")
	ev := e.createEvent(org, true)
	if ev.Status != "published" || ev.Moderation != "held" {
		t.Fatalf("published by a new organizer: got status %q moderation %q, want published and held", ev.Status, ev.Moderation)
	}
	path := fmt.Sprintf("/api/v1/events/%d", ev.ID)

	for name, as := range map[string]user{"organizer": org, "admin": admin, "editor": editor} {
		if r := e.do("GET", path, as, nil); r.Status != http.StatusOK || decode[event](t, r).Moderation != "held" {
			t.Errorf("held event seen by its %s: got %d %s", name, r.Status, r.Raw)
		}
	}
	for name, as := range map[string]user{"attendee": attendee, "anonymous": {}} {
		if r := e.do("GET", path, as, nil); r.Status != http.StatusNotFound {
			t.Errorf("held event seen by an %s: got %d %s, want 404", name, r.Status, r.Raw)
		}
	}
	for _, list := range []string{"/api/v1/events?limit=100", fmt.Sprintf("/api/v1/events?organizer=%d&limit=100", org.ID)} {
		if ids := e.listed(list, attendee); slices.Contains(ids, ev.ID) {
			t.Errorf("GET %s lists the held event: %v", list, ids)
		}
	}
	if ids := e.listed("/api/v1/events?organizer=me&limit=100", org); !slices.Contains(ids, ev.ID) {
		t.Errorf("the organizer's own list: got %v, want %d in it", ids, ev.ID)
	}
	if r := e.do("POST", path+"/registrations", attendee, nil); r.Status != http.StatusNotFound {
		t.Errorf("registering for a held event: got %d %s, want 404", r.Status, r.Raw)
	}
	if r := e.do("POST", path+"/favorite", attendee, nil); r.Status != http.StatusNotFound {
		t.Errorf("starring a held event: got %d %s, want 404", r.Status, r.Raw)
	}
	var payload string
	if err := e.db.QueryRow(context.Background(), `SELECT payload->>'moderation' FROM outbox
		WHERE subject = $1 AND (payload->>'event_id')::bigint = $2`, events.SubjectEventPublished, ev.ID).Scan(&payload); err != nil || payload != "held" {
		t.Errorf("event.published payload: moderation %q (%v), want held", payload, err)
	}

	e.moderate(ev.ID, "approved", admin.ID)
	if r := e.do("GET", path, attendee, nil); r.Status != http.StatusOK || decode[event](t, r).Moderation != "approved" {
		t.Errorf("approved event, attendee: got %d %s", r.Status, r.Raw)
	}
	if ids := e.listed("/api/v1/events?limit=100", user{}); !slices.Contains(ids, ev.ID) {
		t.Errorf("approved event not listed: %v", ids)
	}
	if r := e.do("POST", path+"/registrations", attendee, nil); r.Status != http.StatusCreated {
		t.Errorf("registering for an approved event: got %d %s", r.Status, r.Raw)
	}
	if r := e.do("POST", path+"/favorite", attendee, nil); r.Status != http.StatusCreated {
		t.Errorf("starring an approved event: got %d %s", r.Status, r.Raw)
	}

	// Held again (curation found spam): gone from the attendee's favorites too, and from
	// the list, but not from its organizer's.
	e.moderate(ev.ID, "held", 0)
	if r := e.do("GET", "/api/v1/users/me/favorites", attendee, nil); r.Status != http.StatusOK || len(decode[[]struct{}](t, r)) != 0 {
		t.Errorf("favorites with a held event: got %d %s, want none", r.Status, r.Raw)
	}
	if r := e.do("POST", path+"/favorite", org, nil); r.Status != http.StatusCreated {
		t.Errorf("the organizer stars their held event: got %d %s", r.Status, r.Raw)
	}
	if r := e.do("GET", "/api/v1/users/me/favorites", org, nil); r.Status != http.StatusOK || len(decode[[]struct{}](t, r)) != 1 {
		t.Errorf("the organizer's favorites: got %d %s, want their held event", r.Status, r.Raw)
	}
	if ids := e.listed("/api/v1/events?limit=100", attendee); slices.Contains(ids, ev.ID) {
		t.Errorf("held again, still listed: %v", ids)
	}
	if r := e.do("POST", path+"/registrations", org, nil); r.Status != http.StatusCreated {
		t.Errorf("the organizer registers for their held event: got %d %s", r.Status, r.Raw)
	}
	e.moderate(ev.ID, "rejected", admin.ID)
	if r := e.do("GET", path, attendee, nil); r.Status != http.StatusNotFound {
		t.Errorf("rejected event, attendee: got %d, want 404", r.Status)
	}
}

// TestTrustComesFromPersonApprovedEventsOrTheRole: an organizer is trusted once TrustAfter
// of their events were approved by a person (automatic approvals do not count); editors
// and admins always are; with TrustAfter 0 nobody is held.
func TestTrustComesFromPersonApprovedEventsOrTheRole(t *testing.T) {
	e := newEnv(t, trustAfter2)
	org, admin := e.newUser("organizer"), e.newUser("admin")
	first := e.createEvent(org, true)
	e.moderate(first.ID, "approved", admin.ID)
	second := e.createEvent(org, true)
	if second.Moderation != "held" {
		t.Fatalf("with one person-approved event: got %q, want held", second.Moderation)
	}
	e.moderate(second.ID, "approved", 0) // by the checks: does not count
	if got := e.createEvent(org, true).Moderation; got != "held" {
		t.Errorf("with one person-approved and one automatic: got %q, want held", got)
	}
	e.moderate(second.ID, "approved", admin.ID)
	if got := e.createEvent(org, true).Moderation; got != "approved" {
		t.Errorf("with two person-approved events: got %q, want approved", got)
	}

	if got := e.createEvent(admin, true).Moderation; got != "approved" {
		t.Errorf("an admin's event: got %q, want approved", got)
	}
	// Trust follows the account's role now, not the token's: an organizer made editor.
	promoted := e.newUser("organizer")
	draft := e.createEvent(promoted, false)
	if _, err := e.db.Exec(context.Background(), `UPDATE users SET role = 'editor' WHERE id = $1`, promoted.ID); err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", fmt.Sprintf("/api/v1/events/%d/publish", draft.ID), promoted, nil)
	if got := decode[event](t, r).Moderation; r.Status != http.StatusOK || got != "approved" {
		t.Errorf("an editor's event: got %d %q, want approved", r.Status, got)
	}

	open := newEnv(t)
	if got := open.createEvent(open.newUser("organizer"), true).Moderation; got != "approved" {
		t.Errorf("TrustAfter 0, a new organizer's event: got %q, want approved", got)
	}
}
