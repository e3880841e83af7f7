package realtime

import (
	"slices"
	"strings"
	"testing"
)

func TestRouteOf(t *testing.T) {
	tests := []struct {
		name, subject, data string
		want                []string
		seats, registrants  bool
	}{
		{"registration", "platform.registration.confirmed", `{"version":1,"event_id":3,"user_id":4,"status":"confirmed"}`,
			[]string{"user:4"}, true, false},
		{"published, approved", "platform.event.published", `{"version":1,"event_id":3,"visibility":"public","city":"Berlin","moderation":"approved"}`,
			[]string{"event:3", "feed", "feed:berlin"}, false, false},
		{"published before moderation existed", "platform.event.published", `{"version":1,"event_id":3,"visibility":"public","city":"Berlin"}`,
			[]string{"event:3", "feed", "feed:berlin"}, false, false},
		{"published, held", "platform.event.published", `{"version":1,"event_id":3,"organizer_id":9,"visibility":"public","city":"Berlin","moderation":"held"}`,
			nil, false, false},
		{"published, rejected", "platform.event.published", `{"version":1,"event_id":3,"visibility":"public","moderation":"rejected"}`,
			nil, false, false},
		{"published, unlisted", "platform.event.published", `{"version":1,"event_id":3,"visibility":"unlisted","moderation":"approved"}`,
			nil, false, false},
		{"published, no city channel", "platform.event.published", `{"version":1,"event_id":3,"visibility":"public","city":"","moderation":"approved"}`,
			[]string{"event:3", "feed"}, false, false},
		{"approved, public", "platform.moderation.approved", `{"version":1,"event_id":3,"organizer_id":9,"visibility":"public","city":"Berlin","decision":"approved","actor_id":2}`,
			[]string{"event:3", "feed", "feed:berlin", "user:9"}, false, false},
		{"approved, private", "platform.moderation.approved", `{"version":1,"event_id":3,"organizer_id":9,"visibility":"private","city":"Berlin","decision":"approved"}`,
			[]string{"user:9"}, false, false},
		{"held", "platform.moderation.held", `{"version":1,"event_id":3,"organizer_id":9,"visibility":"public","city":"Berlin","decision":"held"}`,
			[]string{"user:9"}, false, false},
		{"rejected", "platform.moderation.rejected", `{"version":1,"event_id":3,"organizer_id":9,"visibility":"public","city":"Berlin","decision":"rejected"}`,
			[]string{"user:9"}, false, false},
		{"rejected, no organizer", "platform.moderation.rejected", `{"version":1,"event_id":3,"visibility":"public","decision":"rejected"}`,
			nil, false, false},
		{"moderation, unknown version", "platform.moderation.approved", `{"version":2,"event_id":3,"organizer_id":9,"visibility":"public"}`,
			nil, false, false},
		{"cancelled", "platform.event.cancelled", `{"version":1,"event_id":3,"registrant_ids":[1,2,-3]}`,
			[]string{"event:3", "user:1", "user:2"}, false, false},
		{"updated", "platform.event.updated", `{"version":1,"event_id":3}`,
			[]string{"event:3"}, false, true},
		{"collection", "platform.collection.published", `{"version":1,"collection_id":1,"event_ids":[3]}`,
			nil, false, false},
		{"not json", "platform.event.published", `not json`, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := routeOf(tt.subject, []byte(tt.data))
			if !slices.Equal(r.channels, tt.want) || r.seats != tt.seats || r.registrants != tt.registrants {
				t.Errorf("routeOf(%s, %s): got %v seats %v registrants %v, want %v seats %v registrants %v",
					tt.subject, tt.data, r.channels, r.seats, r.registrants, tt.want, tt.seats, tt.registrants)
			}
		})
	}
}

// TestPublicModerationLeavesOutWhoAndWhy: public channels are told the event and the
// decision, not the moderator, the spam score or what the checks found.
func TestPublicModerationLeavesOutWhoAndWhy(t *testing.T) {
	full := `{"version":1,"event_id":3,"organizer_id":9,"title":"Jazz","category":"music","city":"Berlin","visibility":"public",` +
		`"starts_at":"2027-01-02T19:00:00Z","decision":"approved","reason":"fine","reasons":["links"],"spam_score":0.4,"actor_id":2,` +
		`"occurred_at":"2027-01-01T10:00:00Z"}`
	got := string(publicModeration([]byte(full)))
	want := `{"version":1,"event_id":3,"organizer_id":9,"title":"Jazz","category":"music","city":"Berlin","visibility":"public",` +
		`"starts_at":"2027-01-02T19:00:00Z","decision":"approved","occurred_at":"2027-01-01T10:00:00Z"}`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	for _, field := range []string{"actor_id", "spam_score", "reasons", "reason"} {
		if strings.Contains(got, `"`+field+`"`) {
			t.Errorf("%s is shown: %s", field, got)
		}
	}
}
