package recommendations

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
)

// POST /api/v1/recommendations/feedback: what a signed-in user did with a recommendation.
// A dismissed event is never recommended to them again; clicks and registrations weigh
// in their history at once and in the next training. The user's cached pages are
// forgotten.

// Feedback is one user's action on one recommended event.
type Feedback struct {
	EventID int64  `json:"event_id" minimum:"1" doc:"The event recommended"`
	Action  string `json:"action" enum:"clicked,dismissed,registered" doc:"What the user did"`
}

type feedbackInput struct {
	Body Feedback
}

func (s *Service) handleFeedback(ctx context.Context, in *feedbackInput) (*httpapi.Output[Feedback], error) {
	id, err := auth.RequireCtx(ctx)
	if err != nil {
		return nil, err
	}
	_, err = s.db.Exec(ctx, `
		INSERT INTO recommendation_feedback (user_id, event_id, action) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, event_id, action) DO UPDATE SET created_at = now()`, id.UserID, in.Body.EventID, in.Body.Action)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign key: no such event (or user)
		return nil, httpapi.NotFound("event not found")
	} else if err != nil {
		return nil, s.fail(ctx, "record feedback", fmt.Errorf("feedback of user %d: %w", id.UserID, err))
	}
	if err := s.cache.forget(ctx, id.UserID); err != nil {
		s.log.Debug("recommendations: forget cached pages", "user", id.UserID, "err", err)
	}
	return httpapi.OK(in.Body), nil
}
