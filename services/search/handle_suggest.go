package search

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/events-platform/events-platform/internal/httpapi"
)

type suggestInput struct {
	Q     string `query:"q" required:"true" doc:"the start of a title, category or city; at most 100 characters"`
	Limit string `query:"limit" doc:"1 to 20" default:"8"`
}

// Suggestion is one autocomplete entry.
type Suggestion struct {
	Text   string `json:"text"`
	Kind   string `json:"kind" enum:"title,category,city"`
	Events int    `json:"events"`
}

func (s *Service) handleSuggest(ctx context.Context, in *suggestInput) (*jsonOutput, error) {
	q := strings.ToLower(strings.TrimSpace(in.Q))
	if q == "" {
		return nil, bad("q", "q must not be blank")
	}
	if err := maxChars("q", in.Q, 100); err != nil {
		return nil, err
	}
	limit, err := parseLimit(in.Limit, 8, 20)
	if err != nil {
		return nil, err
	}
	b, entry := s.cached(ctx, "suggest", map[string]any{"q": q, "l": limit})
	if b != nil {
		return jsonBody("hit", b), nil
	}
	list, err := s.prefixed(ctx, q, limit)
	if err == nil && len(list) < limit {
		// Few terms start so: the query may hold a typo. Words no event uses are
		// corrected (see Correct), and terms starting with the corrected query follow.
		fixed, ok, cerr := Correct(ctx, s.db, q)
		if err = cerr; ok {
			var more []Suggestion
			more, err = s.prefixed(ctx, strings.ToLower(fixed), limit)
			list = append(list, more...)
		}
	}
	if err != nil {
		return nil, httpapi.Fail(ctx, s.log, "suggest", err)
	}
	seen := map[string]bool{}
	out := []Suggestion{}
	for _, sg := range list {
		k := sg.Kind + "\x00" + sg.Text
		if !seen[k] && len(out) < limit {
			seen[k] = true
			out = append(out, sg)
		}
	}
	b, _ = json.Marshal(httpapi.Envelope[[]Suggestion]{Success: true, Data: out})
	s.store(ctx, entry, b)
	return jsonBody("miss", b), nil
}
