package english

import (
	"slices"
	"testing"
)

func TestWordsStemsAndStopWords(t *testing.T) {
	if got, want := Words("Jazz & Blues: O'Clock—Meetups, 2026 Édition!"), []string{"jazz", "blues", "oclock", "meetups", "2026", "édition"}; !slices.Equal(got, want) {
		t.Errorf("Words = %q, want %q", got, want)
	}
	for word, want := range map[string]string{"meetups": "meetup", "running": "run", "evenings": "even", "go": "go", "festival": "festiv"} {
		if got := Stem(word); got != want {
			t.Errorf("Stem(%q) = %q, want %q", word, got, want)
		}
	}
	for word, want := range map[string]bool{"the": true, "and": true, "jazz": false, "": false} {
		if got := IsStopWord(word); got != want {
			t.Errorf("IsStopWord(%q) = %v, want %v", word, got, want)
		}
	}
}
