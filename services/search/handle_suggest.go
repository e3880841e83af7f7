package search

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/events-platform/events-platform/internal/httpapi"
)

type suggestInput struct {
	Q     string `query:"q" required:"true" doc:"the start of a title, category or city; typos are tolerated; at most 100 characters"`
	Limit string `query:"limit" doc:"1 to 20" default:"8"`
}

// Suggestion is one autocomplete entry: searching for its text finds its events.
type Suggestion struct {
	Text   string `json:"text"`
	Kind   string `json:"kind" enum:"title,category,city"`
	Events int    `json:"events"`
}

func (s *Service) handleSuggest(ctx context.Context, in *suggestInput) (*httpapi.RawJSON, error) {
	q := strings.TrimSpace(in.Q)
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
	ix := s.index.Load()
	if ix == nil {
		return nil, httpapi.Unavailable()
	}
	out := []Suggestion{}
	for _, sg := range ix.Suggest(q, limit) {
		out = append(out, Suggestion(sg))
	}
	b, err := json.Marshal(httpapi.Envelope[[]Suggestion]{Success: true, Data: out})
	if err != nil {
		return nil, httpapi.Fail(ctx, s.log, "suggest", err)
	}
	return httpapi.JSON(b), nil
}
