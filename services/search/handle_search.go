package search

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/services/search/engine"
)

// The query parameters are read as text and checked in query, so that what a client is
// told about a bad one is worded for people and names the parameter as it is written
// (Huma's own checks would say "expected number <= 100" of "query.limit", or quote Go's
// time layout).
type searchInput struct {
	Q        string `query:"q" doc:"words, \"quoted phrases\", -excluded, or; the last word may be unfinished; typos are tolerated; at most 200 characters"`
	Category string `query:"category" doc:"at most 50 characters"`
	City     string `query:"city" doc:"any case; at most 100 characters"`
	From     string `query:"from" doc:"starting at or after: a date (2027-01-01, from the start of that day, UTC) or an RFC 3339 time"`
	To       string `query:"to" doc:"starting before: a date (2027-01-01, before the start of that day, UTC) or an RFC 3339 time"`
	Lat      string `query:"lat" doc:"latitude of the centre, -90 to 90, with lng"`
	Lng      string `query:"lng" doc:"longitude of the centre, -180 to 180"`
	RadiusKm string `query:"radius_km" doc:"0.1 to 20000; needs lat and lng; default 100 with sort=distance"`
	PriceMax string `query:"price_max" doc:"0 to 10000000"`
	Free     string `query:"free" doc:"true: free events only"`
	Sort     string `query:"sort" doc:"relevance, date or distance; default: relevance with q, else date"`
	Cursor   string `query:"cursor" doc:"next_cursor of the previous page"`
	Limit    string `query:"limit" doc:"1 to 100" default:"20"`
}

// query validates the input into a search of the index, and the page size.
func (in *searchInput) query() (q engine.Query, limit int, err error) {
	q = engine.Query{Q: strings.TrimSpace(in.Q), Category: strings.TrimSpace(in.Category), City: strings.TrimSpace(in.City), Sort: in.Sort}
	if limit, err = parseLimit(in.Limit, 20, 100); err != nil {
		return q, 0, err
	}
	for _, c := range []struct {
		field, v string
		most     int
	}{{"q", in.Q, 200}, {"category", in.Category, 50}, {"city", in.City, 100}} {
		if err := maxChars(c.field, c.v, c.most); err != nil {
			return q, 0, err
		}
	}
	switch q.Sort {
	case "", "relevance", "date", "distance":
	default:
		return q, 0, bad("sort", "sort must be relevance, date or distance")
	}
	if q.Free, err = parseBool("free", in.Free); err != nil {
		return q, 0, err
	}
	if q.Lat, err = parseFloat("lat", in.Lat, -90, 90); err != nil {
		return q, 0, err
	}
	if q.Lng, err = parseFloat("lng", in.Lng, -180, 180); err != nil {
		return q, 0, err
	}
	if (q.Lat == nil) != (q.Lng == nil) {
		return q, 0, bad("lat", "lat and lng go together")
	}
	radius, err := parseFloat("radius_km", in.RadiusKm, 0.1, 20000)
	if err != nil {
		return q, 0, err
	}
	if radius != nil {
		if q.Lat == nil {
			return q, 0, bad("radius_km", "radius_km needs lat and lng")
		}
		q.RadiusKm = *radius
	}
	if q.PriceMax, err = parseFloat("price_max", in.PriceMax, 0, 1e7); err != nil {
		return q, 0, err
	}
	from, err := parseTime("from", in.From)
	if err != nil {
		return q, 0, err
	}
	to, err := parseTime("to", in.To)
	if err != nil {
		return q, 0, err
	}
	if from != nil && to != nil && !from.Before(*to) {
		return q, 0, bad("from", "from must be before to")
	}
	if from != nil {
		q.From = *from
	}
	if to != nil {
		q.To = *to
	}
	switch {
	case q.Sort == "":
		q.Sort = "date"
		if q.Q != "" {
			q.Sort = "relevance"
		}
	case q.Sort == "relevance" && q.Q == "":
		return q, 0, bad("sort", "sort=relevance needs q; use sort=date or sort=distance")
	case q.Sort == "distance" && q.Lat == nil:
		return q, 0, bad("sort", "sort=distance needs lat and lng")
	}
	if q.Sort == "distance" && q.RadiusKm == 0 {
		q.RadiusKm = 100
	}
	if in.Cursor != "" {
		c, err := decodeCursor(in.Cursor, q.Sort)
		if err != nil {
			return q, 0, err
		}
		q.After = &engine.Cursor{Tier: c.Tier, Starts: c.Time.Unix(), Km: c.Km, ID: c.ID}
	}
	return q, limit, nil
}

func (s *Service) handleSearch(ctx context.Context, in *searchInput) (*httpapi.RawJSON, error) {
	q, limit, err := in.query()
	if err != nil {
		return nil, err
	}
	body, err := s.search(ctx, q, limit)
	if err != nil {
		return nil, httpapi.Fail(ctx, s.log, "search", err)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, httpapi.Fail(ctx, s.log, "search", err)
	}
	return httpapi.JSON(b), nil
}

// maxTier is the lowest relevance tier (engine.Hit.Tier); a result's score is maxTier+1
// less its tier, so that the better match scores more.
const maxTier = 11

// search runs q in the index and reads the page's events: on a first page with the facets
// and the number of matches, and a cursor when more follow.
func (s *Service) search(ctx context.Context, q engine.Query, limit int) (Body, error) {
	ix := s.index.Load()
	if ix == nil {
		return Body{}, httpapi.Unavailable()
	}
	first := q.After == nil
	q.Limit = limit + 1
	res := ix.Search(q, time.Now())
	hits := res.Hits
	body := Body{Success: true, Match: res.Match, Page: httpapi.Page{Limit: limit}, Data: []Result{}}
	if res.Match == "fuzzy" {
		body.Query = res.Corrected
	}
	if first {
		total := res.Total
		body.Total, body.TotalRelation = &total, "eq"
		body.Facets = &Facets{Category: facets(res.Category), Date: facets(res.Dates)}
	}
	if len(hits) > limit {
		hits = hits[:limit]
		last := hits[len(hits)-1]
		c := Cursor{Sort: q.Sort, ID: last.ID}
		switch q.Sort {
		case "distance":
			c.Km = *last.DistanceKm
		case "relevance":
			c.Tier = last.Tier
			c.Time = time.Unix(last.Starts, 0).UTC()
		default:
			c.Time = time.Unix(last.Starts, 0).UTC()
		}
		body.Page.NextCursor = encodeCursor(c)
	}
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	events, err := s.events(ctx, ids)
	if err != nil {
		return body, err
	}
	for _, h := range hits {
		e, ok := events[h.ID]
		if !ok {
			continue // changed a moment ago: the index follows
		}
		r := Result{Event: e, DistanceKm: h.DistanceKm,
			Highlights: Highlights{Title: res.Marks.Highlight(e.Title), Snippet: res.Marks.Snippet(e.Description)}}
		if q.Sort == "relevance" {
			r.Score = float32(maxTier + 1 - h.Tier)
		}
		body.Data = append(body.Data, r)
	}
	return body, nil
}

func facets(fs []engine.Facet) []Facet {
	out := make([]Facet, len(fs))
	for i, f := range fs {
		out[i] = Facet{Value: f.Value, Count: f.Count}
	}
	return out
}
