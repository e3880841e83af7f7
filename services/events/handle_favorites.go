package events

import (
	"context"

	"github.com/events-platform/events-platform/internal/httpapi"
)

type favoriteResult struct {
	EventID   int64 `json:"event_id"`
	Favorited bool  `json:"favorited"`
	Changed   bool  `json:"changed"`
}

func (s *Service) handleAddFavorite(ctx context.Context, in *eventIDInput) (*httpapi.Output[favoriteResult], error) {
	by, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.store.event(ctx, s.store.db, in.ID)
	if err == nil && !visible(ctx, e) {
		err = errNotFound
	}
	if err != nil {
		return nil, s.fail(ctx, "add favorite", err)
	}
	added, err := s.store.addFavorite(ctx, in.ID, by.UserID)
	if err != nil {
		return nil, s.fail(ctx, "add favorite", err)
	}
	res := favoriteResult{EventID: in.ID, Favorited: true, Changed: added}
	if added {
		return httpapi.Created(res), nil
	}
	return httpapi.OK(res), nil
}

func (s *Service) handleRemoveFavorite(ctx context.Context, in *eventIDInput) (*httpapi.Output[favoriteResult], error) {
	by, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	removed, err := s.store.removeFavorite(ctx, in.ID, by.UserID)
	if err != nil {
		return nil, s.fail(ctx, "remove favorite", err)
	}
	return httpapi.OK(favoriteResult{EventID: in.ID, Favorited: false, Changed: removed}), nil
}

func (s *Service) handleMyFavorites(ctx context.Context, in *pageInput) (*httpapi.ListOutput[Favorite], error) {
	by, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var after *favoriteCursor
	if in.Cursor != "" {
		c, err := httpapi.DecodeCursor[favoriteCursor](in.Cursor)
		if err != nil {
			return nil, err
		}
		after = &c
	}
	list, err := s.store.favorites(ctx, by.UserID, after, in.Limit+1)
	if err != nil {
		return nil, s.fail(ctx, "my favorites", err)
	}
	page := httpapi.Page{Limit: in.Limit}
	if len(list) > in.Limit {
		list = list[:in.Limit]
		last := list[len(list)-1]
		page.NextCursor = httpapi.EncodeCursor(favoriteCursor{Time: last.FavoritedAt, EventID: last.Event.ID})
	}
	return httpapi.List(list, page), nil
}
