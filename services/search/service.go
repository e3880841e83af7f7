// Package search is the search service: full-text search over published, upcoming events
// (weighted tsvector with GIN, websearch_to_tsquery), typo tolerance with pg_trgm, geo
// radius and distance order with earthdistance, facets, keyset pagination, highlighted
// snippets, and autocomplete. Results are cached in Redis briefly; the cache is dropped
// when the events service announces a change on NATS.
package search

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	_ "time/tzdata"
	"unicode/utf8" // event time zones must resolve on minimal images too

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	goredis "github.com/redis/go-redis/v9"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/httpserver"
	"github.com/events-platform/events-platform/internal/natsbus"
	"github.com/events-platform/events-platform/internal/redis"
)

// Options are the search service's dependencies.
type Options struct {
	Log      *slog.Logger
	DB       *pgxpool.Pool
	Redis    *goredis.Client // nil: no cache
	JS       jetstream.JetStream
	Verifier *auth.Verifier
	Version  string
	// CacheTTL bounds how stale a cached page can be (default 30s; negative: no cache).
	CacheTTL time.Duration
	// KeyPrefix namespaces Redis keys and the consumer name (tests share servers).
	KeyPrefix string
	// RefreshEvery is the least time between refreshes of the autocomplete terms (default 30s).
	RefreshEvery time.Duration
}

// Service serves the search API.
type Service struct {
	log          *slog.Logger
	db           *pgxpool.Pool
	rdb          *goredis.Client
	js           jetstream.JetStream
	ttl          time.Duration
	prefix       string
	refreshEvery time.Duration
	termsDirty   atomic.Bool
	api          huma.API
	handler      http.Handler
}

// New returns the search service with its routes.
func New(opts Options) *Service {
	if opts.CacheTTL == 0 {
		opts.CacheTTL = 30 * time.Second
	}
	if opts.RefreshEvery <= 0 {
		opts.RefreshEvery = 30 * time.Second
	}
	s := &Service{log: opts.Log, db: opts.DB, rdb: opts.Redis, js: opts.JS, ttl: opts.CacheTTL, prefix: opts.KeyPrefix,
		refreshEvery: opts.RefreshEvery}
	if s.ttl < 0 {
		s.rdb = nil
	}
	mux := http.NewServeMux()
	s.api = httpapi.NewAPI(mux, "Events Platform: search", opts.Version)
	s.routes()
	s.handler = auth.Middleware(opts.Verifier)(httpserver.RecordRoute(mux))
	return s
}

// Handler serves the service's routes (and /openapi.json).
func (s *Service) Handler() http.Handler { return s.handler }

// OpenAPI returns the service's OpenAPI document.
func (s *Service) OpenAPI(context.Context) ([]byte, error) { return s.api.OpenAPI().MarshalJSON() }

func (s *Service) routes() {
	tags := []string{"search"}
	huma.Register(s.api, huma.Operation{OperationID: "search-events", Method: http.MethodGet, Path: "/api/v1/search/events",
		Summary: "Search upcoming events", Tags: tags, Responses: s.documented(Body{}, "SearchBody")}, s.handleSearch)
	huma.Register(s.api, huma.Operation{OperationID: "suggest", Method: http.MethodGet, Path: "/api/v1/search/suggest",
		Summary: "Autocomplete titles, categories and cities", Tags: tags,
		Responses: s.documented(httpapi.Envelope[[]Suggestion]{}, "SuggestBody")}, s.handleSuggest)
}

// The query parameters are read as text and checked in params, so that what a client is
// told about a bad one is worded for people and names the parameter as it is written
// (Huma's own checks would say "expected number <= 100" of "query.limit", or quote Go's
// time layout).
type searchInput struct {
	Q        string `query:"q" doc:"words, \"quoted phrases\", -excluded, or; typos are tolerated; at most 200 characters"`
	Category string `query:"category" doc:"at most 50 characters"`
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

// Result is one event found.
type Result struct {
	ID              int64      `json:"id"`
	Title           string     `json:"title"`
	Category        string     `json:"category"`
	Tags            []string   `json:"tags"`
	Date            time.Time  `json:"date"`
	EndDate         *time.Time `json:"end_date,omitempty"`
	Location        *Location  `json:"location,omitempty"`
	OnlineURL       string     `json:"online_url,omitempty"`
	Price           float64    `json:"price"`
	Currency        string     `json:"currency"`
	Capacity        *int       `json:"capacity"`
	RegisteredCount int        `json:"registered_count"`
	SeatsLeft       *int       `json:"seats_left"`
	Score           float32    `json:"score" doc:"sort=relevance: 3 the title matches, 2 title and tags match, 1 only the description; other orders: ts_rank (0 without q)"`
	DistanceKm      *float64   `json:"distance_km,omitempty"`
	Highlights      Highlights `json:"highlights"`
	// start is Date as stored, for cursors: Date may be clamped to what JSON can show.
	start time.Time
}

// Location is where an event happens.
type Location struct {
	Name    string   `json:"name"`
	City    string   `json:"city"`
	Country string   `json:"country"`
	Lat     *float64 `json:"lat,omitempty"`
	Lng     *float64 `json:"lng,omitempty"`
}

// Highlights mark the matched words with <mark>.
type Highlights struct {
	Title   string `json:"title"`
	Snippet string `json:"snippet"`
}

// Facet is a value and how many matches carry it.
type Facet struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Facets count every match (not only the page) by category and by date bucket.
type Facets struct {
	Category []Facet `json:"category"`
	Date     []Facet `json:"date"`
}

// Body is a search response: the page in data, and on the first page the facets and the
// number of matches.
type Body struct {
	Success bool     `json:"success"`
	Data    []Result `json:"data"`
	Match   string   `json:"match" enum:"fulltext,fuzzy,filters" doc:"fuzzy: no full-text match, so words no event uses were taken for typos and corrected"`
	// Query is the corrected query when Match is fuzzy.
	Query string `json:"query,omitempty" doc:"the query searched, when typos were corrected"`
	Total *int   `json:"total,omitempty" doc:"first page only; exact up to 1,000"`
	// TotalRelation is "eq" when total is exact and "gte" when there are FacetLimit
	// matches or more: then total is FacetLimit and the facets count the first FacetLimit.
	TotalRelation string       `json:"total_relation,omitempty" enum:"eq,gte"`
	Facets        *Facets      `json:"facets,omitempty" doc:"first page only"`
	Page          httpapi.Page `json:"page"`
}

// jsonOutput is a response the handler already holds as JSON (cached or just encoded):
// huma writes a []byte body as it is, where it would re-encode a json.RawMessage.
type jsonOutput struct {
	ContentType string `header:"Content-Type"`
	Cache       string `header:"X-Cache"`
	Body        []byte
}

func jsonBody(cache string, b []byte) *jsonOutput {
	return &jsonOutput{ContentType: "application/json", Cache: cache, Body: b}
}

// documented describes the 200 response of a route answering with a jsonOutput as the
// JSON of v's type.
func (s *Service) documented(v any, name string) map[string]*huma.Response {
	schema := s.api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(v), true, name)
	return map[string]*huma.Response{"200": {Description: "OK", Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}}}
}

func bad(field, msg string) error {
	return httpapi.BadRequest(msg, httpapi.Detail{Field: field, Message: msg})
}

func parseFloat(field, v string, lo, hi float64) (*float64, error) {
	if v == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != f || f < lo || f > hi {
		return nil, bad(field, fmt.Sprintf("%s must be a number from %g to %g", field, lo, hi))
	}
	return &f, nil
}

// parseLimit reads a page size from 1 to most; def when v is empty.
func parseLimit(v string, def, most int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, bad("limit", fmt.Sprintf("limit must be a whole number from 1 to %d", most))
	}
	return n, nil
}

func parseBool(field, v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, bad(field, field+" must be true or false")
	}
	return b, nil
}

// parseTime reads a time or a plain date (the start of that day, UTC); nil when v is empty.
func parseTime(field, v string) (*time.Time, error) {
	t, err := httpapi.ParseTime(field, v, nil)
	if err != nil || t.IsZero() {
		return nil, err
	}
	return &t, nil
}

func maxChars(field, v string, most int) error {
	if utf8.RuneCountInString(v) > most {
		return bad(field, fmt.Sprintf("%s must be at most %d characters", field, most))
	}
	return nil
}

// params validates the input into a search.
func (in *searchInput) params() (Params, error) {
	p := Params{Q: strings.TrimSpace(in.Q), Category: strings.ToLower(strings.TrimSpace(in.Category)), Sort: in.Sort}
	limit, err := parseLimit(in.Limit, 20, 100)
	if err != nil {
		return p, err
	}
	p.Limit = limit + 1
	if err := maxChars("q", in.Q, 200); err != nil {
		return p, err
	}
	if err := maxChars("category", in.Category, 50); err != nil {
		return p, err
	}
	switch p.Sort {
	case "", "relevance", "date", "distance":
	default:
		return p, bad("sort", "sort must be relevance, date or distance")
	}
	if p.Free, err = parseBool("free", in.Free); err != nil {
		return p, err
	}
	if p.Lat, err = parseFloat("lat", in.Lat, -90, 90); err != nil {
		return p, err
	}
	if p.Lng, err = parseFloat("lng", in.Lng, -180, 180); err != nil {
		return p, err
	}
	if (p.Lat == nil) != (p.Lng == nil) {
		return p, bad("lat", "lat and lng go together")
	}
	radius, err := parseFloat("radius_km", in.RadiusKm, 0.1, 20000)
	if err != nil {
		return p, err
	}
	if radius != nil {
		if p.Lat == nil {
			return p, bad("radius_km", "radius_km needs lat and lng")
		}
		p.RadiusKm = *radius
	}
	if p.PriceMax, err = parseFloat("price_max", in.PriceMax, 0, 1e7); err != nil {
		return p, err
	}
	if p.From, err = parseTime("from", in.From); err != nil {
		return p, err
	}
	if p.To, err = parseTime("to", in.To); err != nil {
		return p, err
	}
	if p.From != nil && p.To != nil && !p.From.Before(*p.To) {
		return p, bad("from", "from must be before to")
	}
	switch {
	case p.Sort == "":
		p.Sort = "date"
		if p.Q != "" {
			p.Sort = "relevance"
		}
	case p.Sort == "relevance" && p.Q == "":
		return p, bad("sort", "sort=relevance needs q; use sort=date or sort=distance")
	case p.Sort == "distance" && p.Lat == nil:
		return p, bad("sort", "sort=distance needs lat and lng")
	}
	if p.Sort == "distance" && p.RadiusKm == 0 {
		p.RadiusKm = 100
	}
	if in.Cursor != "" {
		if len(in.Cursor) > 512 {
			return p, bad("cursor", "cursor is malformed; use next_cursor from the previous page")
		}
		c, err := decodeCursor(in.Cursor)
		if err != nil {
			return p, err
		}
		if c.Sort != p.Sort {
			return p, bad("cursor", "cursor belongs to another sort order; use next_cursor with the same query")
		}
		p.After, p.Corrected = &c, c.Corrected
		if p.Tiered() && (c.Score != 1 && c.Score != 2 && c.Score != 3 || c.Time.IsZero()) {
			return p, bad("cursor", "cursor is malformed; use next_cursor from the previous page")
		}
	}
	return p, nil
}

func (s *Service) handleSearch(ctx context.Context, in *searchInput) (*jsonOutput, error) {
	p, err := in.params()
	if err != nil {
		return nil, err
	}
	b, entry := s.cached(ctx, "events", p)
	if b != nil {
		return jsonBody("hit", b), nil
	}
	body, err := s.search(ctx, p, p.Limit-1)
	if err != nil {
		return nil, s.fail(ctx, "search", err)
	}
	if b, err = json.Marshal(body); err != nil {
		return nil, s.fail(ctx, "search", err)
	}
	s.store(ctx, entry, b)
	return jsonBody("miss", b), nil
}

// search runs p and shapes the response: on a first page the facets and the number of
// matches, and a cursor when more follow.
func (s *Service) search(ctx context.Context, p Params, limit int) (Body, error) {
	body := Body{Success: true, Match: "filters", Page: httpapi.Page{Limit: limit}}
	if p.Q != "" {
		body.Match = "fulltext"
	}
	// One connection for the whole search: a search's statements (facets, page, typo
	// correction) then wait for the pool once, rather than once each behind every other
	// search's. Under load this evens out latencies: with 20 clients on 4 connections the
	// p99 fell from 218 to 140 ms at the same throughput.
	conn, err := s.db.Acquire(ctx)
	if err != nil {
		return body, err
	}
	facets, p, results, err := p.Search(ctx, conn)
	conn.Release()
	if err != nil {
		return body, err
	}
	if facets != nil {
		total := p.Counted
		body.TotalRelation = "eq"
		if total >= FacetLimit {
			body.TotalRelation = "gte"
		}
		body.Facets, body.Total = facets, &total
	}
	if p.Corrected {
		body.Match, body.Query = "fuzzy", p.Q
	}
	if len(results) > limit {
		results = results[:limit]
		last := results[len(results)-1]
		c := Cursor{Sort: p.Sort, Corrected: p.Corrected, ID: last.ID}
		switch p.Sort {
		case "date":
			c.Time = last.start.UTC()
		case "distance":
			c.Dist = *last.DistanceKm * 1000
		default:
			c.Score = last.Score
			if p.Tiered() {
				c.Time = last.start.UTC()
			}
		}
		body.Page.NextCursor = encodeCursor(c)
	}
	if results == nil {
		results = []Result{}
	}
	body.Data = results
	return body, nil
}

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
		return nil, s.fail(ctx, "suggest", err)
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

// prefixed returns up to limit terms starting with q (lower case), those of most events
// first.
func (s *Service) prefixed(ctx context.Context, q string, limit int) ([]Suggestion, error) {
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
	rows, err := s.db.Query(ctx, `SELECT term, kind, events FROM search_terms WHERE lower(term) LIKE $1
		ORDER BY events DESC, term LIMIT $2`, customPlan([]any{like, limit})...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Suggestion, error) {
		var sg Suggestion
		return sg, r.Scan(&sg.Text, &sg.Kind, &sg.Events)
	})
}

// fail maps an error to what the client sees; anything unexpected is logged and is a 500.
func (s *Service) fail(ctx context.Context, op string, err error) error {
	var apiErr *httpapi.Error
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	}
	return httpapi.Fail(ctx, s.log, op, err)
}

func encodeCursor(c Cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (Cursor, error) {
	var c Cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.DisallowUnknownFields()
		err = d.Decode(&c)
	}
	if err != nil || c.ID <= 0 {
		return c, bad("cursor", "cursor is malformed; use next_cursor from the previous page")
	}
	return c, nil
}

// Cache: a page is stored with the generation of the events it was computed from; a
// change to any event bumps the generation, which retires every cached page at once. One
// round trip reads the generation and the page; a miss adds one to store the new page.

func (s *Service) genKey() string { return s.prefix + "search:gen" }

// cacheEntry is where a page is cached and the generation it must carry.
type cacheEntry struct{ key, gen string }

// cached returns the cached page for v when there is one of the current generation, and
// where to store a new one (a zero entry: do not store).
func (s *Service) cached(ctx context.Context, kind string, v any) ([]byte, cacheEntry) {
	if s.rdb == nil {
		return nil, cacheEntry{}
	}
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	key := s.prefix + "search:" + kind + ":" + hex.EncodeToString(sum[:16])
	vals, err := s.rdb.MGet(ctx, s.genKey(), key).Result()
	if err != nil {
		s.cacheFailed(ctx, "search cache read", err)
		return nil, cacheEntry{}
	}
	gen, _ := vals[0].(string)
	entry := cacheEntry{key: key, gen: gen + "\n"}
	if page, ok := vals[1].(string); ok && strings.HasPrefix(page, entry.gen) {
		return []byte(page[len(entry.gen):]), entry
	}
	return nil, entry
}

func (s *Service) store(ctx context.Context, e cacheEntry, b []byte) {
	if e.key == "" {
		return
	}
	if err := s.rdb.Set(ctx, e.key, append([]byte(e.gen), b...), s.ttl).Err(); err != nil {
		s.cacheFailed(ctx, "search cache write", err)
	}
}

// cacheFailed logs a cache error, except while Redis is known to be down: its circuit
// breaker said so once, and a line per search would flood the log.
func (s *Service) cacheFailed(ctx context.Context, msg string, err error) {
	if !errors.Is(err, redis.ErrDown) {
		s.log.WarnContext(ctx, msg, "err", err)
	}
}

// Invalidate retires every cached page and marks the autocomplete terms for refresh.
func (s *Service) Invalidate(ctx context.Context) error {
	s.termsDirty.Store(true)
	if s.rdb == nil {
		return nil
	}
	return s.rdb.Incr(ctx, s.genKey()).Err()
}

// RefreshTerms rebuilds the autocomplete terms from the events now.
func (s *Service) RefreshTerms(ctx context.Context) error {
	if _, err := s.db.Exec(ctx, `REFRESH MATERIALIZED VIEW CONCURRENTLY search_terms`); err != nil {
		return fmt.Errorf("refresh search terms: %w", err)
	}
	return nil
}

// Run consumes the events service's domain events until ctx ends: each event change
// invalidates the cache, and the autocomplete terms are refreshed at most every
// RefreshEvery while changes keep coming. When NATS is unreachable it keeps trying; the
// cache then expires by its TTL.
func (s *Service) Run(ctx context.Context) error {
	s.termsDirty.Store(true) // events may have changed while no search service ran
	var consuming jetstream.ConsumeContext
	defer func() {
		if consuming != nil {
			consuming.Stop()
		}
	}()
	t := time.NewTicker(s.refreshEvery)
	defer t.Stop()
	for {
		if s.js != nil && consuming == nil {
			cc, err := s.consume(ctx)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("search cache consumer", "err", err)
			}
			consuming = cc
		}
		if s.termsDirty.Swap(false) {
			if err := s.RefreshTerms(ctx); err != nil && ctx.Err() == nil {
				s.termsDirty.Store(true)
				s.log.Warn("refresh search terms", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *Service) consume(ctx context.Context) (jetstream.ConsumeContext, error) {
	name := "search-cache"
	if s.prefix != "" {
		name += "-" + strings.NewReplacer(":", "-", ".", "-", "*", "-", ">", "-").Replace(strings.Trim(s.prefix, ":"))
	}
	// One filter subject: NATS servers before 2.10 do not take several.
	cons, err := s.js.CreateOrUpdateConsumer(ctx, natsbus.StreamName, jetstream.ConsumerConfig{
		Durable: name, FilterSubject: "platform.event.>", DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy: jetstream.AckExplicitPolicy,
		// A consumer nobody has pulled from for a day (a removed deployment, a test run)
		// is deleted by the server rather than kept for ever.
		InactiveThreshold: 24 * time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", name, err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		if err := s.Invalidate(ctx); err != nil {
			s.log.Warn("search cache invalidation", "subject", msg.Subject(), "err", err)
			_ = msg.Nak()
			return
		}
		_ = msg.Ack()
	})
	if err != nil {
		return nil, fmt.Errorf("consume %s: %w", name, err)
	}
	return cc, nil
}
