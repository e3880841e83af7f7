package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
)

// POST /api/v1/analytics/interactions: what clients saw and did, in batches.

// maxBatch is the most interactions one request may carry (more: 413).
const maxBatch = 1000

// maxFuture is how far ahead of the server's clock an interaction may be stamped: clients'
// clocks drift, but not by hours.
const maxFuture = 5 * time.Minute

// maxPropertiesBytes bounds an interaction's properties as JSON.
const maxPropertiesBytes = 2048

// Interaction is one thing a client saw or did.
type Interaction struct {
	ID         string         `json:"id,omitempty" maxLength:"64" doc:"The client's own id for the item: a re-sent batch with the same ids is recorded once"`
	Type       string         `json:"type" enum:"view,click,favorite,unfavorite,register,share,search"`
	EventID    int64          `json:"event_id,omitempty" minimum:"1" doc:"Required except for search"`
	OccurredAt time.Time      `json:"occurred_at" doc:"When it happened (RFC 3339); at most 5 minutes ahead, not older than the retention"`
	SessionID  string         `json:"session_id,omitempty" maxLength:"128" doc:"An anonymous visitor's session, kept by the client; ignored when signed in"`
	Properties map[string]any `json:"properties,omitempty" maxProperties:"32" doc:"Anything else worth keeping (2 KiB of JSON at most), such as a search's query"`
}

type captureInput struct {
	ClientIP  string `header:"X-Client-IP" doc:"Set by the gateway"`
	UserAgent string `header:"User-Agent"`
	remote    string
	Body      struct {
		Interactions []Interaction `json:"interactions" minItems:"1" doc:"1 to 1,000 interactions"`
	}
}

// Resolve keeps the connection's address for a request that did not come through the
// gateway.
func (in *captureInput) Resolve(ctx huma.Context) []error {
	in.remote = ctx.RemoteAddr()
	return nil
}

// Accepted is the answer to a batch: how many interactions it held, all now stored.
type Accepted struct {
	Accepted int `json:"accepted"`
}

func (s *Service) handleCapture(ctx context.Context, in *captureInput) (*httpapi.Output[Accepted], error) {
	items := in.Body.Interactions
	if len(items) > maxBatch {
		s.metrics.rejected.WithLabelValues("too_large").Add(float64(len(items)))
		return nil, httpapi.NewError(http.StatusRequestEntityTooLarge, httpapi.CodeTooLarge,
			fmt.Sprintf("a batch holds at most %d interactions; this one has %d", maxBatch, len(items)))
	}
	now := time.Now()
	rows, err := s.rows(ctx, in, now)
	if err != nil {
		s.metrics.rejected.WithLabelValues("invalid").Add(float64(len(items)))
		return nil, s.fail(ctx, "capture", err)
	}
	if err := s.writer.write(ctx, rows); err != nil {
		return nil, s.fail(ctx, "capture", err)
	}
	s.metrics.accepted.Add(float64(len(rows)))
	return &httpapi.Output[Accepted]{Status: http.StatusAccepted, Body: httpapi.Envelope[Accepted]{Success: true, Data: Accepted{len(rows)}}}, nil
}

// rows checks a batch against the rules the schema cannot express and turns it into
// rows; every problem is reported, each with its item's index and field.
func (s *Service) rows(ctx context.Context, in *captureInput, now time.Time) ([]row, error) {
	items := in.Body.Interactions
	var problems []httpapi.Detail
	bad := func(i int, field, msg string) {
		problems = append(problems, httpapi.Detail{Field: fmt.Sprintf("interactions[%d].%s", i, field), Message: msg})
	}
	oldest := s.parts.oldest(now)
	props := make([][]byte, len(items))
	for i, it := range items {
		switch {
		case it.OccurredAt.IsZero():
			bad(i, "occurred_at", "required")
		case it.OccurredAt.After(now.Add(maxFuture)):
			bad(i, "occurred_at", fmt.Sprintf("%s is in the future (the server's clock says %s)", it.OccurredAt.Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
		case it.OccurredAt.Before(oldest):
			bad(i, "occurred_at", fmt.Sprintf("%s is older than the %d months analytics keeps", it.OccurredAt.Format(time.RFC3339), s.parts.months))
		}
		if it.EventID == 0 && it.Type != "search" {
			bad(i, "event_id", "required for a "+it.Type)
		}
		if len(it.Properties) > 0 {
			b, err := json.Marshal(it.Properties)
			if err != nil || len(b) > maxPropertiesBytes {
				bad(i, "properties", fmt.Sprintf("at most %d bytes of JSON", maxPropertiesBytes))
			}
			props[i] = b
		}
	}
	missing, err := s.missingEvents(ctx, items)
	if err != nil {
		return nil, err
	}
	for i, it := range items {
		if missing[it.EventID] {
			bad(i, "event_id", fmt.Sprintf("event %d does not exist", it.EventID))
		}
	}
	if len(problems) > 0 {
		return nil, httpapi.BadRequest(fmt.Sprintf("%d of the %d interactions are invalid; nothing was recorded", len(problems), len(items)), problems...)
	}

	var who func(it *Interaction) (visitor int64, scope string)
	id, signedIn := auth.FromContext(ctx)
	var userID int64
	if signedIn {
		userID = id.UserID
		scope := fmt.Sprintf("u%d", id.UserID)
		who = func(*Interaction) (int64, string) { return id.UserID, scope }
	} else {
		salt, err := s.salts.today(ctx, now)
		if err != nil {
			return nil, err
		}
		ip := in.ClientIP
		if ip == "" {
			ip, _, _ = net.SplitHostPort(in.remote)
		}
		who = func(it *Interaction) (int64, string) {
			v := anonymousVisitor(salt, it.SessionID, ip, in.UserAgent)
			if it.SessionID != "" {
				return v, "s" + it.SessionID
			}
			return v, fmt.Sprintf("a%d", v)
		}
	}
	rows := make([]row, len(items))
	for i := range items {
		it := &items[i]
		visitor, scope := who(it)
		rows[i] = row{OccurredAt: it.OccurredAt.UTC(), ID: itemID(scope, it.ID), Type: it.Type, EventID: it.EventID,
			UserID: userID, Visitor: visitor, Source: sourceClient, Properties: props[i]}
	}
	return rows, nil
}

// missingEvents returns the event ids of items that name no event. Ids known to exist
// are remembered for a while (events are deleted only as drafts, which nobody views), so
// that most batches cost no query.
func (s *Service) missingEvents(ctx context.Context, items []Interaction) (map[int64]bool, error) {
	want := map[int64]bool{}
	for _, it := range items {
		if it.EventID > 0 && !s.known.has(it.EventID) {
			want[it.EventID] = true
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	rows, err := s.db.Query(ctx, `SELECT id FROM events WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("look up events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		delete(want, id)
		s.known.add(id)
	}
	return want, rows.Err()
}

// knownEvents are event ids seen to exist, each remembered for knownFor.
type knownEvents struct {
	mu  sync.Mutex
	ids map[int64]time.Time
}

const (
	knownFor = 10 * time.Minute
	knownMax = 200_000 // then it starts over
)

func (k *knownEvents) has(id int64) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	until, ok := k.ids[id]
	return ok && time.Now().Before(until)
}

func (k *knownEvents) add(id int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ids == nil || len(k.ids) >= knownMax {
		k.ids = map[int64]time.Time{}
	}
	k.ids[id] = time.Now().Add(knownFor)
}
