package curation

import (
	"strings"
	"testing"
)

const normal = `Join us for an evening of modern jazz with the Anna Berg Quartet. The band plays originals from
their new album and a few standards, with a short talk about how the pieces were written. Doors open at seven;
drinks are available at the bar. Seating is first come, first served.`

func TestSpamHoldsWhatTrustAndSafetyRulesName(t *testing.T) {
	trusted := Organizer{Approved: 12, RecentlyCreated: 1}
	tests := []struct {
		name      string
		text      Text
		org       Organizer
		duplicate float64
		held      bool
		reason    string // a reason that must be given
	}{
		{"a normal event by a trusted organizer", Text{Title: "Anna Berg Quartet live", Description: normal, Tags: []string{"jazz"}}, trusted, 0.2, false, ""},
		{"link-stuffed", Text{Title: "Best party", Description: "Tickets: https://a.example http://b.example www.c.example cheap-deals.xyz more at d.ru"}, trusted, 0, true, "link(s)"},
		{"off-platform payment and a phone", Text{Title: "Concert", Description: "Pay via PayPal, call +49 170 1234567 for tickets"}, trusted, 0, true, "off the platform"},
		{"banned words", Text{Title: "Casino night", Description: "Free crypto giveaway and payday loans"}, trusted, 0, true, "banned words"},
		{"a near-duplicate", Text{Title: "Anna Berg Quartet live", Description: normal}, trusted, 0.97, true, "near-duplicate"},
		{"a new organizer's flood", Text{Title: "Yoga in the park", Description: normal}, Organizer{RecentlyCreated: 20}, 0, false, "new organizer"},
		{"a new organizer's flood with a link", Text{Title: "Yoga in the park", Description: normal + " www.yoga.example"}, Organizer{RecentlyCreated: 20}, 0, true, "new organizer"},
		{"shouting alone is not enough", Text{Title: "BIGGEST PARTY OF THE YEAR", Description: normal}, trusted, 0, false, "shouting"},
	}
	for _, tt := range tests {
		score, reasons := Spam(tt.text, tt.org, tt.duplicate)
		if held := score >= SpamThreshold; held != tt.held {
			t.Errorf("%s: score %.2f (%v), held %v, want %v", tt.name, score, reasons, held, tt.held)
		}
		if tt.reason != "" && !strings.Contains(strings.Join(reasons, "; "), tt.reason) {
			t.Errorf("%s: reasons %q lack %q", tt.name, reasons, tt.reason)
		}
		if tt.reason == "" && len(reasons) > 0 {
			t.Errorf("%s: reasons %q for a clean event", tt.name, reasons)
		}
	}
}

func TestFingerprintsFindNearDuplicates(t *testing.T) {
	a := Fingerprint(Text{Title: "Anna Berg Quartet live", Description: normal})
	b := Fingerprint(Text{Title: "Anna Berg Quartet LIVE!", Description: strings.Replace(normal, "seven", "eight", 1)})
	c := Fingerprint(Text{Title: "Intro to Go", Description: "A workshop on goroutines, channels and the standard library, for people who know another language."})
	if s := Similarity(a, a); s != 1 {
		t.Errorf("a text with itself: %.3f", s)
	}
	if s := Similarity(a, b); s < 0.9 {
		t.Errorf("one word changed: similarity %.3f, want at least 0.9", s)
	}
	if s := Similarity(a, c); s >= 0.9 {
		t.Errorf("different events: similarity %.3f, want below 0.9", s)
	}
}

func TestQualityNamesWhatIsMissing(t *testing.T) {
	capacity := 80
	full, lacks := Quality(Event{Text: Text{Description: normal, Tags: []string{"jazz"}}, HasLocation: true, Capacity: &capacity, Price: 15}, Organizer{Approved: 5})
	if full < 0.99 || len(lacks) != 0 {
		t.Errorf("a complete event: %.2f, lacks %q", full, lacks)
	}
	zero := 0
	bare, lacks := Quality(Event{Text: Text{Description: "Party"}, Capacity: &zero, Price: 1e6}, Organizer{})
	if bare > 0.01 || len(lacks) != 7 {
		t.Errorf("a bare event: %.2f, lacks %q (want all 7)", bare, lacks)
	}
}
