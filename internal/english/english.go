// Package english splits English text into words, stems them and knows its stop words: the
// one analysis of event text that search and the recommenders' content model share, so a
// word means the same term to both.
package english

import (
	"strings"
	"unicode"

	snowball "github.com/blevesearch/snowballstem"
	porter2 "github.com/blevesearch/snowballstem/english"
)

// Words splits text into lower-case words: runs of letters and digits. Apostrophes inside
// a word are dropped ("o'clock" is "oclock"), as people type them either way.
func Words(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		case r == '\'' || r == '’':
		default:
			flush()
		}
	}
	flush()
	return out
}

// Stem returns the English Snowball (Porter2) stem of a lower-case word, as PostgreSQL's
// english configuration does, so "meetups" and "meetup" are one term.
func Stem(word string) string {
	if len(word) <= 2 {
		return word
	}
	env := snowball.NewEnv(word)
	porter2.Stem(env)
	return env.Current()
}

// IsStopWord reports whether a lower-case word is too common to mean anything on its own
// (PostgreSQL's english list, the Snowball one).
func IsStopWord(word string) bool { return stopWords[word] }

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`i me my myself we our ours ourselves you your yours yourself yourselves he him
		his himself she her hers herself it its itself they them their theirs themselves what which who whom this that
		these those am is are was were be been being have has had having do does did doing a an the and but if or
		because as until while of at by for with about against between into through during before after above below
		to from up down in out on off over under again further then once here there when where why how all any both
		each few more most other some such no nor not only own same so than too very s t can will just don should now`) {
		m[w] = true
	}
	return m
}()
