package search

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// Typos: a query word that no published public event uses is taken for a typo and swapped
// for the most similar word such events do use (trigram similarity over search_words, a
// table of every word of published public events' titles, tags, descriptions, categories
// and cities, each with how many of them use it: a word goes with the last). The
// corrected query then runs as any other: full text, filters, relevance tiers. Words events use are never
// changed, so a query that matches nothing because of its filters stays empty.
//
// No Go code writes search_words either: the statement triggers event_words_insert,
// event_words_update and event_words_delete on events (migration 0008_search_public_only,
// through search_words_add) keep each word's count of events in the writer's transaction.

// minTypoLen is the shortest word taken for a typo: trigrams say little about shorter ones.
const minTypoLen = 3

// minSimilarity is the least trigram similarity of a correction to the word typed: two
// swapped letters of a six-letter word ("tehcno") keep 0.27, one letter missing from a
// nine-letter word ("confrence") 0.62.
const minSimilarity = 0.25

// queryWords returns the distinct lower-case words (runs of letters and digits) of q.
func queryWords(q string) []string {
	var words []string
	for _, w := range strings.FieldsFunc(strings.ToLower(q), notWordRune) {
		if !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	return words
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// Correct returns q with each word that no published event uses replaced by the most
// similar word one does, keeping the rest of q (quotes, -, or) as it is. ok is false when
// there was nothing to correct.
func Correct(ctx context.Context, db Querier, q string) (corrected string, ok bool, err error) {
	var candidates []string
	for _, w := range queryWords(q) {
		if utf8.RuneCountInString(w) >= minTypoLen {
			candidates = append(candidates, w)
		}
	}
	if len(candidates) == 0 {
		return q, false, nil
	}
	// The nearest word by trigram distance (the GiST index of search_words), when it is
	// similar enough, for the words no event uses. Those are found first (MATERIALIZED):
	// left to the planner, the nearest word was looked for before the word itself, 1 ms
	// for each word of a search that found nothing because of its filters.
	rows, err := db.Query(ctx, `WITH unknown AS MATERIALIZED (SELECT w FROM unnest($1::text[]) AS q (w)
			WHERE NOT EXISTS (SELECT FROM search_words WHERE word = q.w))
		SELECT u.w, c.word FROM unknown u
		CROSS JOIN LATERAL (SELECT word, similarity(word, u.w) AS sim FROM search_words
			ORDER BY word <-> u.w, word LIMIT 1) c
		WHERE c.sim >= $2`,
		customPlan([]any{candidates, minSimilarity})...)
	if err != nil {
		return q, false, fmt.Errorf("correct typos: %w", err)
	}
	fixes := map[string]string{}
	var typo, word string
	if _, err := pgx.ForEachRow(rows, []any{&typo, &word}, func() error { fixes[typo] = word; return nil }); err != nil {
		return q, false, fmt.Errorf("correct typos: %w", err)
	}
	if len(fixes) == 0 {
		return q, false, nil
	}
	var b strings.Builder
	for len(q) > 0 {
		i := strings.IndexFunc(q, func(r rune) bool { return !notWordRune(r) })
		if i < 0 {
			b.WriteString(q)
			break
		}
		b.WriteString(q[:i])
		q = q[i:]
		j := strings.IndexFunc(q, notWordRune)
		if j < 0 {
			j = len(q)
		}
		if fix, ok := fixes[strings.ToLower(q[:j])]; ok {
			b.WriteString(fix)
		} else {
			b.WriteString(q[:j])
		}
		q = q[j:]
	}
	return b.String(), true, nil
}
