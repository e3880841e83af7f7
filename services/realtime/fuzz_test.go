package realtime

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/test/integration"
)

// FuzzChannels: any channel name a client sends is classified without a panic; a name
// that may be joined is one of the documented shapes, and a user channel only by its user.
func FuzzChannels(f *testing.F) {
	for _, s := range []string{"feed", "feed:berlin", "feed:Berlin", "event:1", "event:01", "event:-1", "user:5", "user:", "x", "", "feed:", "event:99999999999999999999"} {
		f.Add(s, "5")
	}
	f.Fuzz(func(t *testing.T, ch, user string) {
		k, owner := classify(ch)
		err := authorize(ch, user)
		switch {
		case k == unknown && err == nil:
			t.Fatalf("%q is unknown but may be joined", ch)
		case k == private && err == nil && owner != user:
			t.Fatalf("%q joined by %q", ch, user)
		case k != unknown && !strings.HasPrefix(ch, "feed") && !strings.HasPrefix(ch, "event:") && !strings.HasPrefix(ch, "user:"):
			t.Fatalf("%q classified %d", ch, k)
		}
	})
}

// FuzzRoutes: any message on the stream is routed without a panic, only to channels a
// client could join.
func FuzzRoutes(f *testing.F) {
	f.Add("platform.registration.confirmed", []byte(`{"version":1,"event_id":3,"user_id":4,"status":"confirmed"}`))
	f.Add("platform.event.published", []byte(`{"version":1,"event_id":3,"visibility":"public","city":"Berlin"}`))
	f.Add("platform.event.cancelled", []byte(`{"version":1,"event_id":3,"registrant_ids":[1,2,-3]}`))
	f.Add("platform.event.updated", []byte(`{"version":2,"event_id":3}`))
	f.Add("platform.event.published", []byte(`{"version":1,"event_id":3,"visibility":"public","city":"Berlin","moderation":"held"}`))
	f.Add("platform.moderation.approved", []byte(`{"version":1,"event_id":3,"organizer_id":9,"visibility":"public","city":"Berlin","decision":"approved"}`))
	f.Add("platform.moderation.rejected", []byte(`{"version":1,"event_id":3,"organizer_id":-9,"decision":"rejected"}`))
	f.Add("platform.user.registered", []byte(`not json`))
	f.Fuzz(func(t *testing.T, subject string, data []byte) {
		for _, ch := range routeOf(subject, data).channels {
			if k, _ := classify(ch); k == unknown {
				t.Fatalf("%s %q routed to %q, which no client can join", subject, data, ch)
			}
		}
	})
}

// FuzzPresence: whatever path a client asks presence for, the answer is the envelope and
// never a server error.
func FuzzPresence(f *testing.F) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	svc, err := New(Options{Log: quiet(), Verifier: auth.NewVerifier("events-platform", key.Public().(ed25519.PublicKey)), Version: "test"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = svc.shutdown() })
	for _, s := range []string{"1", "0", "-1", "x", "99999999999999999999", "1.5", "%00", "1/extra"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if strings.ContainsAny(id, "/?#") || id == "." || id == ".." {
			return // not one path segment: net/http's mux redirects such paths, for every service alike
		}
		path := "/api/v1/realtime/events/" + id + "/presence"
		req, err := http.NewRequest(http.MethodGet, "http://realtime"+path, nil)
		if err != nil {
			return // not a URL a client could send
		}
		rec := httptest.NewRecorder()
		svc.Handler().ServeHTTP(rec, req)
		integration.CheckEnvelope(t, rec, path)
	})
}
