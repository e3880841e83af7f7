package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/events-platform/events-platform/internal/natsbus"
	"github.com/events-platform/events-platform/services/events"
	"github.com/events-platform/events-platform/test/integration"
)

type message struct {
	Subject string
	MsgID   string
	Data    []byte
}

// drain reads every message of the stream from the start until want arrived and a quiet
// second passed, so that duplicates would show.
func drain(t *testing.T, js jetstream.JetStream, want int) []message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, natsbus.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"platform.>"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []message
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		msg, err := cons.Next(jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if len(got) >= want {
				break
			}
			continue
		}
		got = append(got, message{Subject: msg.Subject(), MsgID: msg.Headers().Get("Nats-Msg-Id"), Data: msg.Data()})
	}
	return got
}

// TestOutboxOneMessagePerChangeAcrossANATSOutage: every change yields exactly one
// message with the documented payload; with NATS stopped the change still succeeds and
// its message arrives once NATS is back.
func TestOutboxOneMessagePerChangeAcrossANATSOutage(t *testing.T) {
	e := newEnv(t)
	outbox := integration.StartOutbox(t, e.db)
	bus := outbox.Bus

	org, fan := e.newUser("organizer"), e.newUser("attendee")
	ev := e.createEvent(org, true, "capacity", 1)
	path := fmt.Sprintf("/api/v1/events/%d", ev.ID)
	for _, step := range []struct{ method, path string }{
		{"POST", path + "/registrations"}, {"POST", path + "/favorite"}, {"DELETE", path + "/favorite"},
	} {
		if r := e.do(step.method, step.path, fan, nil); r.Status >= 300 {
			t.Fatalf("%s %s: got %d %s", step.method, step.path, r.Status, r.Raw)
		}
	}
	wantSubjects := []string{events.SubjectEventCreated, events.SubjectEventPublished, events.SubjectRegistrationConfirmed,
		events.SubjectFavoriteAdded, events.SubjectFavoriteRemoved}
	got := drain(t, bus.JS, len(wantSubjects))
	if subjects := subjectsOf(got); !slices.Equal(subjects, wantSubjects) {
		t.Fatalf("messages: got %v, want %v once each", subjects, wantSubjects)
	}
	var published events.EventMessage
	if err := json.Unmarshal(got[1].Data, &published); err != nil {
		t.Fatal(err)
	}
	if published.Version != 1 || published.EventID != ev.ID || published.Status != "published" || published.Organizer != org.ID ||
		published.Title != "Go Meetup" || published.Category != "technology" || published.OccurredAt.IsZero() {
		t.Errorf("event.published payload: got %s", got[1].Data)
	}
	var confirmed events.RegistrationMessage
	if err := json.Unmarshal(got[2].Data, &confirmed); err != nil {
		t.Fatal(err)
	}
	if confirmed.Version != 1 || confirmed.EventID != ev.ID || confirmed.UserID != fan.ID || confirmed.Status != "confirmed" || confirmed.RegistrationID == 0 {
		t.Errorf("registration.confirmed payload: got %s", got[2].Data)
	}
	for _, m := range got {
		if len(m.MsgID) != 36 {
			t.Errorf("%s: Nats-Msg-Id %q, want the outbox row's UUID", m.Subject, m.MsgID)
		}
	}

	// NATS goes away: cancelling still succeeds, and the message waits in the outbox.
	outbox.StopNATS(t)
	if r := e.do("POST", path+"/cancel", org, nil); r.Status != http.StatusOK {
		t.Fatalf("cancel while NATS is down: got %d %s", r.Status, r.Raw)
	}
	time.Sleep(1500 * time.Millisecond) // the relay tries at least once while NATS is down
	var pending int
	if err := e.db.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&pending); err != nil || pending != 1 {
		t.Fatalf("pending while NATS is down: got %d (%v), want 1", pending, err)
	}
	outbox.StartNATS(t)
	got = drain(t, bus.JS, len(wantSubjects)+1)
	wantSubjects = append(wantSubjects, events.SubjectEventCancelled)
	if subjects := subjectsOf(got); !slices.Equal(subjects, wantSubjects) {
		t.Fatalf("after NATS returned: got %v, want %v once each", subjects, wantSubjects)
	}
	var cancelled events.EventCancelled
	if err := json.Unmarshal(got[len(got)-1].Data, &cancelled); err != nil {
		t.Fatal(err)
	}
	if cancelled.Version != 1 || cancelled.Status != "cancelled" || !slices.Equal(cancelled.Registrants, []int64{fan.ID}) {
		t.Errorf("event.cancelled payload: got %s, want registrant_ids [%d]", got[len(got)-1].Data, fan.ID)
	}
}

func subjectsOf(ms []message) []string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Subject)
	}
	return s
}
