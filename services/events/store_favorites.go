package events

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/internal/eventview"
	"github.com/events-platform/events-platform/internal/natsbus"
)

// addFavorite stars an event for the user and reports whether it was new.
func (s *store) addFavorite(ctx context.Context, eventID, userID int64) (bool, error) {
	added := false
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO favorites (user_id, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, userID, eventID)
		if err != nil {
			return fmt.Errorf("add favorite: %w", err)
		}
		if added = tag.RowsAffected() == 1; !added {
			return nil
		}
		return natsbus.Enqueue(ctx, tx, SubjectFavoriteAdded, FavoriteMessage{Version: MessageVersion, EventID: eventID, UserID: userID, OccurredAt: time.Now().UTC()})
	})
	return added, err
}

// removeFavorite unstars an event and reports whether it was starred.
func (s *store) removeFavorite(ctx context.Context, eventID, userID int64) (bool, error) {
	removed := false
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM favorites WHERE user_id = $1 AND event_id = $2`, userID, eventID)
		if err != nil {
			return fmt.Errorf("remove favorite: %w", err)
		}
		if removed = tag.RowsAffected() == 1; !removed {
			return nil
		}
		return natsbus.Enqueue(ctx, tx, SubjectFavoriteRemoved, FavoriteMessage{Version: MessageVersion, EventID: eventID, UserID: userID, OccurredAt: time.Now().UTC()})
	})
	return removed, err
}

// Favorite is a starred event, newest first.
type Favorite struct {
	Event       Event     `json:"event"`
	FavoritedAt time.Time `json:"favorited_at"`
}

type favoriteCursor struct {
	Time    time.Time `json:"t"`
	EventID int64     `json:"id"`
}

// favorites returns a page of the user's starred events, newest first. An event held or
// rejected by moderation since it was starred is left out, unless the user organizes it.
func (s *store) favorites(ctx context.Context, userID int64, after *favoriteCursor, limit int) ([]Favorite, error) {
	t, id := time.Now().Add(time.Hour), int64(0)
	if after != nil {
		t, id = after.Time, after.EventID
	}
	rows, err := s.db.Query(ctx, `
		SELECT `+eventview.Columns("e.")+`, f.created_at FROM favorites f JOIN events e ON e.id = f.event_id
		WHERE f.user_id = $1 AND (f.created_at, f.event_id) < ($2, $3) AND (e.moderation = 'approved' OR e.created_by = $1)
		ORDER BY f.created_at DESC, f.event_id DESC LIMIT $4`, userID, t, id, limit)
	if err != nil {
		return nil, fmt.Errorf("list favorites of user %d: %w", userID, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Favorite, error) {
		var at time.Time
		e, err := scanEvent(r, &at)
		return Favorite{Event: e, FavoritedAt: at}, err
	})
	if err != nil {
		return nil, fmt.Errorf("list favorites of user %d: %w", userID, err)
	}
	if len(list) == 0 {
		return nil, s.requireUser(ctx, userID)
	}
	return list, nil
}
