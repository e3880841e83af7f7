package curation

import (
	"fmt"
	"hash/fnv"
	"math/bits"
	"regexp"
	"strings"
	"unicode"

	"github.com/events-platform/events-platform/internal/english"
)

// The spam and quality scores of an event, in one place. Each signal adds to a score in
// [0, 1] and names itself in the reasons, so a moderator sees why an event was held. The
// rules follow what trust-and-safety teams of event sites state: events that are not
// events, tickets sold off the platform, link and phone spam, shouting, the same event
// posted again, a new organizer publishing many at once.

// Text is what the scores read of an event.
type Text struct {
	Title       string
	Description string
	Tags        []string
}

// Organizer is what the scores know of who publishes.
type Organizer struct {
	// Approved is how many of their events moderators approved (or that were trusted).
	Approved int
	// RecentlyCreated is how many events they created in the last day, this one included.
	RecentlyCreated int
}

// SpamThreshold holds an event whose spam score reaches it.
const SpamThreshold = 0.5

var (
	linkPattern  = regexp.MustCompile(`(?i)\b(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|io|ru|xyz|top|biz|info|ly|gg)\b`)
	phonePattern = regexp.MustCompile(`\+?\d[\d\s().-]{7,}\d`)
	// offPlatform are phrases of tickets sold or payments taken elsewhere.
	offPlatform = []string{"buy tickets at", "tickets at www", "pay via", "pay by", "paypal", "venmo", "cashapp", "cash app",
		"western union", "whatsapp", "telegram", "wire transfer", "bitcoin", "crypto wallet", "dm me", "dm for tickets"}
	// bannedWords are spam's vocabulary (stems compared, so plurals count too).
	bannedWords = stems("casino viagra cialis loan payday forex betting escort replica followers crypto giveaway")
)

func stems(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[english.Stem(w)] = true
	}
	return m
}

// Spam scores an event's text and its organizer's activity; duplicate is how close it is
// to the most similar other event (Similarity of their fingerprints, 0 when none).
func Spam(t Text, org Organizer, duplicate float64) (score float64, reasons []string) {
	add := func(w float64, reason string) {
		score += w
		reasons = append(reasons, reason)
	}
	all := t.Title + "\n" + t.Description + "\n" + strings.Join(t.Tags, " ")
	if n := len(linkPattern.FindAllString(all, -1)); n > 0 {
		add(min(0.15*float64(n), 0.6), fmt.Sprintf("%d link(s) in the text", n))
	}
	if n := len(phonePattern.FindAllString(all, -1)); n > 0 {
		add(0.3, fmt.Sprintf("%d phone number(s) in the text", n))
	}
	lower := strings.ToLower(all)
	for _, p := range offPlatform {
		if strings.Contains(lower, p) {
			add(0.4, fmt.Sprintf("tickets or payment off the platform (%q)", p))
			break
		}
	}
	var banned []string
	for _, w := range english.Words(all) {
		if bannedWords[english.Stem(w)] {
			banned = append(banned, w)
		}
	}
	if len(banned) > 0 {
		add(min(0.25*float64(len(banned)), 0.75), fmt.Sprintf("banned words: %s", strings.Join(dedupe(banned), ", ")))
	}
	if shouting(t.Title) || shouting(t.Description) {
		add(0.2, "shouting (mostly capital letters)")
	}
	if strings.Count(all, "!") >= 5 {
		add(0.1, "many exclamation marks")
	}
	if duplicate >= 0.9 {
		add(0.5, fmt.Sprintf("a near-duplicate of another event (%.0f%% alike)", 100*duplicate))
	}
	if org.Approved == 0 && org.RecentlyCreated > 5 {
		add(0.4, fmt.Sprintf("a new organizer created %d events in a day", org.RecentlyCreated))
	}
	return min(score, 1), reasons
}

// shouting reports whether text of some length is mostly capital letters.
func shouting(text string) bool {
	upper, letters := 0, 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	return letters >= 12 && float64(upper) > 0.7*float64(letters)
}

func dedupe(ws []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// Fingerprint is an event text's SimHash (Charikar): 64 bits in which near-identical texts
// differ in few places, so near-duplicates are found by Hamming distance without comparing
// the texts. It hashes the word trigrams (shingles) of the title and description.
func Fingerprint(t Text) uint64 {
	ws := english.Words(t.Title + " " + t.Description)
	var counts [64]int
	shingle := func(s string) {
		h := fnv.New64a()
		h.Write([]byte(s))
		v := h.Sum64()
		for b := range 64 {
			if v&(1<<b) != 0 {
				counts[b]++
			} else {
				counts[b]--
			}
		}
	}
	if len(ws) < 3 {
		shingle(strings.Join(ws, " "))
	}
	for i := 0; i+3 <= len(ws); i++ {
		shingle(strings.Join(ws[i:i+3], " "))
	}
	var fp uint64
	for b, c := range counts {
		if c > 0 {
			fp |= 1 << b
		}
	}
	return fp
}

// Similarity of two fingerprints: the share of their 64 bits that agree (1: the same text).
func Similarity(a, b uint64) float64 { return 1 - float64(bits.OnesCount64(a^b))/64 }

// Event is what the quality score reads of an event besides its text.
type Event struct {
	Text
	HasLocation bool // an address or coordinates, or an online URL
	Capacity    *int // nil: unlimited
	Price       float64
}

// Quality scores how complete and credible an event looks, in [0, 1], with what it lacks.
func Quality(e Event, org Organizer) (score float64, lacks []string) {
	check := func(ok bool, w float64, lack string) {
		if ok {
			score += w
		} else {
			lacks = append(lacks, lack)
		}
	}
	words := len(english.Words(e.Description))
	check(words >= 30, 0.3, "a description of 30 words or more")
	check(words >= 8, 0.1, "a description of 8 words or more")
	check(e.HasLocation, 0.2, "a location or an online link")
	check(len(e.Tags) > 0, 0.1, "tags")
	check(e.Capacity == nil || (*e.Capacity > 0 && *e.Capacity <= 100_000), 0.1, "a sensible capacity")
	check(e.Price >= 0 && e.Price <= 5_000, 0.1, "a sensible price")
	check(org.Approved >= 3, 0.1, "an organizer with approved events")
	return score, lacks
}
