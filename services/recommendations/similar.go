package recommendations

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/services/recommendations/model"
)

// GET /api/v1/recommendations/events/{id}/similar: upcoming events like one, by its text
// and by the people who interacted with both (the model's item neighbours). An event the
// model has not seen is compared by its text alone.

// Similar is a page of events similar to one.
type Similar struct {
	SimilarEvents []Recommendation `json:"similar_events"`
	ModelVersion  int64            `json:"model_version"`
}

type similarInput struct {
	ID    int64 `path:"id" minimum:"1" doc:"The event's id"`
	Limit int   `query:"limit" minimum:"1" maximum:"50" default:"10" doc:"How many (1 to 50)"`
}

func (s *Service) handleSimilar(ctx context.Context, in *similarInput) (*httpapi.Output[Similar], error) {
	start := time.Now()
	sv := s.view.Load()
	if sv == nil {
		return nil, httpapi.Unavailable()
	}
	field := strconv.Itoa(in.Limit) + "|" + strconv.FormatInt(sv.version.Version, 10)
	// Only the pages of catalogue events are cached: a page cached while its event was
	// public must not outlive the event's being made private or held by moderation, and
	// the catalogue is what tells that without a query.
	_, listed := sv.byID[in.ID]
	if page, ok := s.cache.get(ctx, similarKey(in.ID), field, sv); ok && listed {
		s.metrics.observe("similar", true, start)
		return httpapi.OK(Similar{SimilarEvents: page.Recommendations, ModelVersion: page.ModelVersion}), nil
	}
	out, public, err := s.similar(ctx, sv, in.ID, in.Limit)
	if err != nil {
		return nil, s.fail(ctx, "similar events", err)
	}
	if public && listed { // a page anyone may read: a draft's, private or held event's is not shared
		s.cache.put(ctx, similarKey(in.ID), field, Recommendations{Recommendations: out.SimilarEvents, ModelVersion: out.ModelVersion})
	}
	s.metrics.observe("similar", false, start)
	return httpapi.OK(out), nil
}

// similar ranks the events like eventID; public reports whether anyone may read the page
// (the event is neither a draft, nor private, nor held or rejected by moderation).
func (s *Service) similar(ctx context.Context, sv *served, eventID int64, limit int) (out Similar, public bool, err error) {
	out = Similar{SimilarEvents: []Recommendation{}, ModelVersion: sv.version.Version}
	var doc model.Doc
	var organizer int64
	var visibility, status, moderation string
	err = s.db.QueryRow(ctx, `SELECT title, description, category, tags, created_by, visibility, status, moderation FROM events WHERE id = $1`, eventID).
		Scan(&doc.Title, &doc.Description, &doc.Category, &doc.Tags, &organizer, &visibility, &status, &moderation)
	if errors.Is(err, pgx.ErrNoRows) {
		return out, false, errNotFound
	} else if err != nil {
		return out, false, fmt.Errorf("load event %d: %w", eventID, err)
	}
	// A draft, a private event and one held or rejected by moderation are unknown to all
	// but their organizer and admins.
	public = status != "draft" && visibility != "private" && moderation == "approved"
	if id, _ := auth.FromContext(ctx); !public && id.UserID != organizer && !id.IsAdmin() {
		return out, false, errNotFound
	}
	rk := sv.ranker
	sc := getScratch(rk.Len())
	defer scratches.Put(sc)
	scores := sc.part(model.ContentModel)
	item, known := rk.Index(eventID)
	if known {
		rk.Similar(item, scores)
	} else {
		rk.SimilarText(doc, scores)
	}
	var picks []pick
	for _, it := range model.TopK(scores, nil, limit*4+20) {
		ci := sv.candOf[it]
		if ci < 0 || scores[it] <= 0 || sv.cands[ci].id == eventID {
			continue
		}
		picks = append(picks, pick{cand: ci, score: scores[it]})
		if len(picks) == limit {
			break
		}
	}
	ids := make([]int64, len(picks))
	for i, pk := range picks {
		ids[i] = sv.cands[pk.cand].id
	}
	events, err := s.loadEvents(ctx, ids)
	if err != nil {
		return out, false, err
	}
	now := time.Now()
	for _, pk := range picks {
		ev, ok := events[sv.cands[pk.cand].id]
		if ok && recommendable(ev, now) {
			out.SimilarEvents = append(out.SimilarEvents, Recommendation{Event: ev, Score: round4(pk.score),
				Reason: fmt.Sprintf("similar to “%s”", doc.Title)})
		}
	}
	return out, public, nil
}
