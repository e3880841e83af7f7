package users

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
)

type emptyInput struct{}

func (s *Service) handleGetMe(ctx context.Context, _ *emptyInput) (*httpapi.Output[User], error) {
	id, err := auth.RequireCtx(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.store.user(ctx, id.UserID)
	if errors.Is(err, errNotFound) {
		err = errAccountGone
	}
	if err != nil {
		return nil, s.fail(ctx, "get me", err)
	}
	return httpapi.OK(u), nil
}

type updateMeInput struct {
	Body struct {
		Name      *string   `json:"name,omitempty" minLength:"1" maxLength:"100"`
		Bio       *string   `json:"bio,omitempty" maxLength:"2000"`
		AvatarURL *string   `json:"avatar_url,omitempty" maxLength:"2048"`
		City      *string   `json:"city,omitempty" maxLength:"100"`
		Interests *[]string `json:"interests,omitempty" maxItems:"50"`
	}
}

func (s *Service) handleUpdateMe(ctx context.Context, in *updateMeInput) (*httpapi.Output[User], error) {
	id, err := auth.RequireCtx(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	if b.Name != nil {
		if *b.Name = strings.TrimSpace(*b.Name); *b.Name == "" {
			return nil, httpapi.BadRequest("name must not be blank", httpapi.Detail{Field: "name", Message: "must not be blank"})
		}
	}
	if b.AvatarURL != nil && *b.AvatarURL != "" && !isWebURL(*b.AvatarURL) {
		return nil, httpapi.BadRequest("avatar_url must be an absolute http or https URL",
			httpapi.Detail{Field: "avatar_url", Message: "an absolute http or https URL, such as https://cdn.example.com/me.png"})
	}
	if b.Interests != nil {
		for _, it := range *b.Interests {
			if it == "" || len(it) > 50 {
				return nil, httpapi.BadRequest("each interest must be 1 to 50 characters", httpapi.Detail{Field: "interests", Message: "1 to 50 characters each"})
			}
		}
	}
	u, err := s.store.updateProfile(ctx, id.UserID, profileUpdate{Name: b.Name, Bio: b.Bio, AvatarURL: b.AvatarURL, City: b.City, Interests: b.Interests})
	if errors.Is(err, errNotFound) {
		err = errAccountGone
	}
	if err != nil {
		return nil, s.fail(ctx, "update me", err)
	}
	return httpapi.OK(u), nil
}

type userIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

func (s *Service) handleGetUser(ctx context.Context, in *userIDInput) (*httpapi.Output[Profile], error) {
	u, err := s.store.user(ctx, in.ID)
	if err != nil {
		return nil, s.fail(ctx, "get user", err)
	}
	return httpapi.OK(u.profile()), nil
}

// userCursor is where a page of GET /users continues.
type userCursor struct {
	ID int64 `json:"id"`
}

type listUsersInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Cursor string `query:"cursor" maxLength:"64"`
	Role   string `query:"role" enum:"attendee,organizer,editor,admin"`
	Q      string `query:"q" maxLength:"100" doc:"Email prefix or part of the name"`
}

func (s *Service) handleListUsers(ctx context.Context, in *listUsersInput) (*httpapi.ListOutput[User], error) {
	if _, err := s.requireAdmin(ctx); err != nil {
		return nil, s.fail(ctx, "list users", err)
	}
	var after userCursor
	if in.Cursor != "" {
		c, err := httpapi.DecodeCursor[userCursor](in.Cursor)
		if err != nil || c.ID <= 0 {
			return nil, httpapi.BadCursor()
		}
		after = c
	}
	users, err := s.store.list(ctx, listFilter{AfterID: after.ID, Limit: in.Limit + 1, Role: in.Role, Query: in.Q})
	if err != nil {
		return nil, s.fail(ctx, "list users", err)
	}
	page := httpapi.Page{Limit: in.Limit}
	if len(users) > in.Limit {
		users = users[:in.Limit]
		page.NextCursor = httpapi.EncodeCursor(userCursor{ID: users[len(users)-1].ID})
	}
	return httpapi.List(users, page), nil
}

type setRoleInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Role string `json:"role" enum:"attendee,organizer,editor,admin"`
	}
}

func (s *Service) handleSetRole(ctx context.Context, in *setRoleInput) (*httpapi.Output[User], error) {
	caller, err := s.requireAdmin(ctx)
	if err != nil {
		return nil, s.fail(ctx, "set role", err)
	}
	if caller.UserID == in.ID {
		// Keeps an install from losing its last administrator by accident.
		return nil, httpapi.NewError(422, httpapi.CodeUnprocessable, "administrators cannot change their own role")
	}
	u, err := s.store.setRole(ctx, in.ID, in.Body.Role)
	if err != nil {
		return nil, s.fail(ctx, "set role", err)
	}
	return httpapi.OK(u), nil
}

// requireAdmin returns the caller when their token says admin and their account still
// exists: an administrator's token outlives a deleted account by up to its TTL.
func (s *Service) requireAdmin(ctx context.Context) (auth.Identity, error) {
	id, err := auth.RequireRole(ctx, auth.RoleAdmin)
	if err != nil {
		return id, err
	}
	ok, err := s.store.exists(ctx, id.UserID)
	if err == nil && !ok {
		err = errAccountGone
	}
	return id, err
}

// isWebURL reports whether s is an absolute http or https URL with a host: the only links
// a page may show without running or leaking something (javascript:, data:, relative).
// It is the events service's check of online_url.
func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != ""
}
