package curation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

const concert = `Join us for an evening of modern jazz with the Anna Berg Quartet. The band plays originals from
their new album and a few standards, with a short talk about how the pieces were written. Doors open at seven.`

// trusted returns an organizer with two events approved by a person (TrustAfter is 2).
func (e *env) trusted() int64 {
	e.t.Helper()
	org, _ := e.user("organizer")
	admin, _ := e.user("admin")
	for range 2 {
		id := e.event(ev{organizer: org, in: -48 * time.Hour, status: "completed"})
		e.exec(`UPDATE events SET moderated_by = $2, moderated_at = now() WHERE id = $1`, id, admin)
	}
	return org
}

func (e *env) moderation(id int64) (state string, reasons []string) {
	e.t.Helper()
	err := e.db.QueryRow(context.Background(), `SELECT e.moderation, coalesce((SELECT reasons FROM moderation_decisions
		WHERE event_id = e.id ORDER BY id DESC LIMIT 1), '{}') FROM events e WHERE e.id = $1`, id).Scan(&state, &reasons)
	if err != nil {
		e.t.Fatal(err)
	}
	return state, reasons
}

// The checks hold what trust-and-safety rules name, with the reasons recorded, and leave
// a trusted organizer's normal event alone.
func TestSpamIsHeldWithItsReasons(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org := e.trusted()
	other := e.trusted()
	normal := e.event(ev{organizer: org, title: "Anna Berg Quartet live", desc: concert})
	links := e.event(ev{organizer: org, title: "Best party", desc: "Tickets: https://a.example http://b.example www.c.example cheap-deals.xyz more at d.ru"})
	copied := e.event(ev{organizer: other, title: "Anna Berg Quartet live!", desc: concert})
	draft := e.event(ev{organizer: org, title: "Casino night", desc: "payday loans casino crypto giveaway", status: "draft"})
	for _, id := range []int64{normal, links, copied, draft} {
		if err := e.svc.Score(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		id     int64
		state  string
		reason string
	}{
		{normal, "approved", ""},
		{links, "held", "link(s)"},
		{copied, "held", "near-duplicate"},
		{draft, "approved", ""}, // scored, not held: nobody sees a draft
	} {
		state, reasons := e.moderation(tt.id)
		if state != tt.state || !strings.Contains(strings.Join(reasons, "; "), tt.reason) {
			t.Errorf("event %d: %s %q, want %s with %q", tt.id, state, reasons, tt.state, tt.reason)
		}
	}
	var spam float64
	var reasons []string
	if err := e.db.QueryRow(ctx, `SELECT spam, spam_reasons FROM event_scores WHERE event_id = $1`, draft).Scan(&spam, &reasons); err != nil || spam < SpamThreshold {
		t.Errorf("the draft's scores: %.2f %q %v", spam, reasons, err)
	}
	if msgs := e.outbox("platform.moderation.held"); len(msgs) != 2 {
		t.Errorf("held domain events: %d, want 2 (%v)", len(msgs), msgs)
	}
	// Scoring again (a redelivery, an edit that changes nothing) decides nothing again.
	if err := e.svc.Score(ctx, links); err != nil {
		t.Fatal(err)
	}
	if msgs := e.outbox("platform.moderation.held"); len(msgs) != 2 {
		t.Errorf("held domain events after scoring again: %d, want 2", len(msgs))
	}
}

// A new organizer's event, held by the events service as it was published, gets its
// decision recorded once with the reason; a flood of events is named too.
func TestNewOrganizersHoldIsRecorded(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org, _ := e.user("organizer")
	var last int64
	for i := range 7 {
		last = e.event(ev{organizer: org, title: fmt.Sprintf("Yoga in the park %d", i), desc: concert + fmt.Sprint(i), moderation: "held"})
	}
	for range 2 {
		if err := e.svc.Score(ctx, last); err != nil {
			t.Fatal(err)
		}
	}
	state, reasons := e.moderation(last)
	if all := strings.Join(reasons, "; "); state != "held" || !strings.Contains(all, "a new organizer: 0 of the 2") || !strings.Contains(all, "created 7 events in a day") {
		t.Errorf("held: %s %q, want the new organizer and the flood named", state, reasons)
	}
	var n int
	if err := e.db.QueryRow(ctx, `SELECT count(*) FROM moderation_decisions WHERE event_id = $1`, last).Scan(&n); err != nil || n != 1 {
		t.Errorf("decisions: %d (%v), want 1", n, err)
	}
}

// The queue, oldest first with scores and reasons; approval shows the event to everyone
// (trending here) at once; rejection needs a reason and tells the organizer through the
// domain event; every decision is kept; only editors and admins moderate.
func TestModerationQueueApproveReject(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	org, orgTok := e.user("organizer")
	editorID, editor := e.user("editor")
	_, admin := e.user("admin")
	_, attendee := e.user("attendee")
	older := e.event(ev{organizer: org, desc: concert, moderation: "held", heldAgo: time.Hour})
	newer := e.event(ev{organizer: org, desc: "Buy tickets at www.party.example, pay via paypal", moderation: "held", heldAgo: time.Minute})
	for _, id := range []int64{older, newer} {
		if err := e.svc.Score(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, tok := range []string{attendee, orgTok} {
		if r := e.api.Do(t, "GET", "/api/v1/moderation/queue", tok, nil); r.Status != http.StatusForbidden {
			t.Errorf("queue for a non-editor: %d, want 403", r.Status)
		}
		if r := e.api.Do(t, "POST", fmt.Sprintf("/api/v1/moderation/events/%d/approve", older), tok, nil); r.Status != http.StatusForbidden {
			t.Errorf("approve by a non-editor: %d, want 403", r.Status)
		}
	}
	r := e.api.Do(t, "GET", "/api/v1/moderation/queue?limit=1", editor, nil)
	var queue []HeldEvent
	if err := json.Unmarshal(r.Data, &queue); err != nil || len(queue) != 1 || queue[0].ID != older || r.Page.NextCursor == "" {
		t.Fatalf("queue page 1: %s", r.Raw)
	}
	if !strings.Contains(strings.Join(queue[0].Reasons, ";"), "new organizer") || queue[0].Moderation != "held" {
		t.Errorf("queued: reasons %q moderation %q", queue[0].Reasons, queue[0].Moderation)
	}
	r = e.api.Do(t, "GET", "/api/v1/moderation/queue?limit=1&cursor="+r.Page.NextCursor, admin, nil)
	if err := json.Unmarshal(r.Data, &queue); err != nil || len(queue) != 1 || queue[0].ID != newer || queue[0].SpamScore < SpamThreshold {
		t.Fatalf("queue page 2: %s", r.Raw)
	}

	e.sync()
	if got := ids(t, e.api.Do(t, "GET", "/api/v1/curation/trending", "", nil)); len(got) != 0 {
		t.Errorf("trending before approval: %v", got)
	}
	if r := e.api.Do(t, "POST", fmt.Sprintf("/api/v1/moderation/events/%d/approve", older), editor, map[string]string{"note": "fine"}); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Raw)
	}
	if r := e.api.Do(t, "POST", fmt.Sprintf("/api/v1/moderation/events/%d/approve", older), editor, nil); r.Status != http.StatusConflict {
		t.Errorf("approve again: %d, want 409", r.Status)
	}
	e.sync()
	if got := ids(t, e.api.Do(t, "GET", "/api/v1/curation/trending", "", nil)); !slices.Equal(got, []int64{older}) {
		t.Errorf("trending right after approval: %v, want [%d]", got, older)
	}

	if r := e.api.Do(t, "POST", fmt.Sprintf("/api/v1/moderation/events/%d/reject", newer), editor, map[string]string{"reason": "  "}); r.Status != 422 {
		t.Errorf("reject without a reason: %d, want 422", r.Status)
	}
	if r := e.api.Do(t, "POST", fmt.Sprintf("/api/v1/moderation/events/%d/reject", newer), editor, map[string]any{}); r.Status != 422 && r.Status != 400 {
		t.Errorf("reject with no body fields: %d, want 400/422", r.Status)
	}
	if r := e.api.Do(t, "POST", fmt.Sprintf("/api/v1/moderation/events/%d/reject", newer), editor, map[string]string{"reason": "Tickets must be sold here"}); r.Status != 200 {
		t.Fatalf("reject: %d %s", r.Status, r.Raw)
	}
	if r := e.api.Do(t, "POST", "/api/v1/moderation/events/999999/reject", editor, map[string]string{"reason": "x"}); r.Status != 404 {
		t.Errorf("reject no event: %d, want 404", r.Status)
	}
	rejected := e.outbox("platform.moderation.rejected")
	if len(rejected) != 1 || rejected[0]["organizer_id"] != float64(org) || rejected[0]["reason"] != "Tickets must be sold here" || rejected[0]["actor_id"] != float64(editorID) {
		t.Errorf("rejection domain event: %v", rejected)
	}
	if approved := e.outbox("platform.moderation.approved"); len(approved) != 1 || approved[0]["event_id"] != float64(older) {
		t.Errorf("approval domain event: %v", approved)
	}
	if r := e.api.Do(t, "GET", "/api/v1/moderation/queue", editor, nil); len(ids(t, r)) != 0 {
		t.Errorf("queue after deciding both: %s", r.Raw)
	}

	r = e.api.Do(t, "GET", fmt.Sprintf("/api/v1/moderation/events/%d", newer), admin, nil)
	var h ModerationHistory
	if err := json.Unmarshal(r.Data, &h); err != nil || h.Moderation != "rejected" || len(h.Decisions) != 2 ||
		h.Decisions[0].Decision != "held" || h.Decisions[0].ActorID != nil ||
		h.Decisions[1].Decision != "rejected" || h.Decisions[1].ActorName == "" || h.Decisions[1].Reason != "Tickets must be sold here" {
		t.Errorf("history: %s", r.Raw)
	}
}
