package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	gocent "github.com/centrifugal/centrifuge-go"
)

// checkModeration follows a new organizer's event through moderation across the whole
// platform: held at publication, it is absent from the event's page, lists, search,
// trending and recommendations; approved by an admin from the queue, it appears in all of
// them; a second one, rejected, tells the organizer on their channel.
func checkModeration(t *testing.T, base, adminToken string) {
	t.Helper()
	signUp := func(role string) (int64, string) {
		email := fmt.Sprintf("%s-%d@example.com", role, time.Now().UnixNano())
		r := call(t, "POST", base+"/api/v1/auth/register", "", map[string]string{"email": email, "password": "password123", "name": role, "role": role})
		var d struct {
			User  struct{ ID int64 } `json:"user"`
			Token string             `json:"token"`
		}
		if err := json.Unmarshal(r.Data, &d); r.Status != http.StatusCreated || err != nil {
			t.Fatalf("register %s: %d %s", role, r.Status, r.Raw)
		}
		return d.User.ID, d.Token
	}
	orgID, org := signUp("organizer")
	_, attendee := signUp("attendee")
	publish := func(title string) int64 {
		r := call(t, "POST", base+"/api/v1/events", org, map[string]any{"title": title, "description": "An evening of music.",
			"category": "music", "date": time.Now().Add(72 * time.Hour).Format(time.RFC3339), "location": map[string]string{"city": "Lisbon"}})
		var e struct{ ID int64 }
		if err := json.Unmarshal(r.Data, &e); r.Status != http.StatusCreated || err != nil {
			t.Fatalf("create event: %d %s", r.Status, r.Raw)
		}
		r = call(t, "POST", fmt.Sprintf("%s/api/v1/events/%d/publish", base, e.ID), org, nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Data), `"moderation":"held"`) {
			t.Fatalf("publish by a new organizer: %d %s, want held", r.Status, r.Raw)
		}
		return e.ID
	}
	word := fmt.Sprintf("Quartetto%d", time.Now().UnixNano()%1e6)
	id := publish(word + " live")

	// Where people find events: each answers a list of events with ids.
	where := map[string]func() string{
		"list":            func() string { return "/api/v1/events?limit=100&sort=newest" },
		"search":          func() string { return "/api/v1/search/events?q=" + word },
		"trending":        func() string { return "/api/v1/curation/trending?city=lisbon" },
		"featured":        func() string { return "/api/v1/curation/featured?city=lisbon" },
		"recommendations": func() string { return "/api/v1/recommendations/events?limit=100&city=Lisbon" },
	}
	found := func(name, token string) bool {
		r := call(t, "GET", base+where[name](), token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", name, r.Status, r.Raw)
		}
		var list []struct{ ID int64 }
		data := r.Data
		if name == "recommendations" {
			var body struct {
				Recommendations json.RawMessage `json:"recommendations"`
			}
			_ = json.Unmarshal(r.Data, &body)
			data = body.Recommendations
		}
		if name == "search" {
			var body struct {
				Events json.RawMessage `json:"events"`
			}
			if json.Unmarshal(r.Data, &body) == nil && body.Events != nil {
				data = body.Events
			}
		}
		_ = json.Unmarshal(data, &list)
		return slices.ContainsFunc(list, func(e struct{ ID int64 }) bool { return e.ID == id })
	}
	time.Sleep(2 * time.Second) // what follows the events has had time to see the publication
	for name := range where {
		if found(name, attendee) {
			t.Errorf("the held event is in %s", name)
		}
	}
	if r := call(t, "GET", fmt.Sprintf("%s/api/v1/events/%d", base, id), attendee, nil); r.Status != http.StatusNotFound {
		t.Errorf("the held event's page for an attendee: %d, want 404", r.Status)
	}
	if r := call(t, "GET", base+"/api/v1/moderation/queue", org, nil); r.Status != http.StatusForbidden {
		t.Errorf("the queue for an organizer: %d, want 403", r.Status)
	}
	r := call(t, "GET", base+"/api/v1/moderation/queue?limit=100", adminToken, nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Data), fmt.Sprintf(`"id":%d,`, id)) || !strings.Contains(string(r.Data), "a new organizer") {
		t.Fatalf("the queue: %d %s", r.Status, r.Raw)
	}
	if r := call(t, "POST", fmt.Sprintf("%s/api/v1/moderation/events/%d/approve", base, id), adminToken, nil); r.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", r.Status, r.Raw)
	}
	// Popular recommendations leave out what no one has interacted with: someone
	// registers. And they keep a user's pages for a while (CacheTTL): a new attendee's
	// first page shows what the catalogue holds now.
	if r := call(t, "POST", fmt.Sprintf("%s/api/v1/events/%d/registrations", base, id), attendee, nil); r.Status != http.StatusCreated {
		t.Fatalf("register for the approved event: %d %s", r.Status, r.Raw)
	}
	_, other := signUp("attendee")
	for name := range where {
		deadline := time.Now().Add(20 * time.Second)
		for !found(name, other) {
			if name == "recommendations" {
				_, other = signUp("attendee") // one whose first page is made now
			}
			if time.Now().After(deadline) {
				t.Fatalf("the approved event is not in %s after 20 s", name)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	// A rejection reaches the organizer's channel with its reason.
	c := gocent.NewJsonClient("ws"+strings.TrimPrefix(base, "http")+"/ws", gocent.Config{Header: http.Header{"Authorization": {"Bearer " + org}}})
	defer c.Close()
	pubs := make(chan string, 20)
	sub, err := c.NewSubscription(fmt.Sprintf("user:%d", orgID))
	if err != nil {
		t.Fatal(err)
	}
	subscribed := make(chan struct{})
	sub.OnSubscribed(func(gocent.SubscribedEvent) { close(subscribed) })
	sub.OnPublication(func(e gocent.PublicationEvent) { pubs <- string(e.Data) })
	if err := c.Connect(); err != nil {
		t.Fatal(err)
	}
	if err := sub.Subscribe(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-subscribed:
	case <-time.After(10 * time.Second):
		t.Fatal("the organizer's channel: not subscribed")
	}
	second := publish(word + " again")
	if r := call(t, "POST", fmt.Sprintf("%s/api/v1/moderation/events/%d/reject", base, second), adminToken,
		map[string]string{"reason": "Duplicate listing"}); r.Status != http.StatusOK {
		t.Fatalf("reject: %d %s", r.Status, r.Raw)
	}
	deadline := time.After(15 * time.Second)
	for {
		select {
		case p := <-pubs:
			if strings.Contains(p, `"type":"moderation.rejected"`) && strings.Contains(p, "Duplicate listing") {
				return
			}
		case <-deadline:
			t.Fatal("the rejection did not reach the organizer's channel")
		}
	}
}
