package engine

import (
	"html"
	"strings"
	"unicode"

	"github.com/events-platform/events-platform/internal/english"
)

// Marks say which words of an event's text matched a search, to highlight them: those
// whose stem is one of the query's, and those starting with a word searched as a prefix.
type Marks struct {
	stems    map[string]bool
	prefixes []string
}

func marksOf(alts [][]string, prefixes []string) Marks {
	m := Marks{stems: map[string]bool{}, prefixes: prefixes}
	for _, alt := range alts {
		for _, w := range alt {
			m.stems[english.Stem(w)] = true
		}
	}
	return m
}

func (m Marks) match(word string) bool {
	if m.stems[english.Stem(word)] {
		return true
	}
	for _, p := range m.prefixes {
		if strings.HasPrefix(word, p) {
			return true
		}
	}
	return false
}

// span is a word of a text: its bytes text[start:end], and the word as the index holds it.
type span struct {
	start, end int
	word       string
}

// spans returns the words of text where they are, as words splits them.
func spans(text string) []span {
	var out []span
	var b strings.Builder
	start, end := -1, 0
	flush := func() {
		if start >= 0 {
			out = append(out, span{start, end, b.String()})
			b.Reset()
			start = -1
		}
	}
	for i, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if start < 0 {
				start = i
			}
			b.WriteRune(unicode.ToLower(r))
			end = i + len(string(r))
		case (r == '\'' || r == '’') && start >= 0:
		default:
			flush()
		}
	}
	flush()
	return out
}

// Highlight returns text as HTML, with the matched words in <mark>.
func (m Marks) Highlight(text string) string {
	return m.mark(text, spans(text), 0, len(text))
}

// mark returns text[from:to] as HTML with the matched words of ws in <mark>.
func (m Marks) mark(text string, ws []span, from, to int) string {
	var b strings.Builder
	at := from
	for _, w := range ws {
		if w.start < from || w.end > to || !m.match(w.word) {
			continue
		}
		b.WriteString(html.EscapeString(text[at:w.start]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[w.start:w.end]))
		b.WriteString("</mark>")
		at = w.end
	}
	b.WriteString(html.EscapeString(text[at:to]))
	return b.String()
}

// Snippet lengths, in words: each of at most snippetFragments fragments holds a match and
// the words around it.
const (
	snippetWords     = 18
	snippetFragments = 2
)

// Snippet returns up to two fragments of text around its matched words, as HTML with those
// words in <mark>, joined by " ... "; the start of text when no word matched.
func (m Marks) Snippet(text string) string {
	ws := spans(text)
	if len(ws) == 0 {
		return ""
	}
	var frags [][2]int // word ranges [first, last)
	for i, w := range ws {
		if len(frags) == snippetFragments {
			break
		}
		if !m.match(w.word) || len(frags) > 0 && i < frags[len(frags)-1][1] {
			continue
		}
		first := max(0, i-3)
		if len(frags) > 0 {
			first = max(first, frags[len(frags)-1][1])
		}
		frags = append(frags, [2]int{first, min(len(ws), first+snippetWords)})
	}
	if len(frags) == 0 {
		frags = [][2]int{{0, min(len(ws), snippetWords)}}
	}
	parts := make([]string, len(frags))
	for i, f := range frags {
		parts[i] = m.mark(text, ws, ws[f[0]].start, ws[f[1]-1].end)
	}
	return strings.Join(parts, " ... ")
}
