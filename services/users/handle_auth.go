package users

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/redis"
)

// Session is what register, login and refresh return.
type Session struct {
	User         User   `json:"user"`
	Token        string `json:"token" doc:"Access token (EdDSA JWT), sent as 'Authorization: Bearer'"`
	RefreshToken string `json:"refresh_token" doc:"Single-use token for /auth/refresh"`
	ExpiresIn    int    `json:"expires_in" doc:"Seconds until the access token expires"`
}

type registerInput struct {
	Body struct {
		Email    string `json:"email" format:"email" maxLength:"254" doc:"Login email, unique"`
		Password string `json:"password" minLength:"8" maxLength:"72" doc:"At least 8 characters"`
		Name     string `json:"name" minLength:"1" maxLength:"100"`
		Role     string `json:"role,omitempty" enum:"attendee,organizer" default:"attendee" doc:"Organizers can create events"`
	}
}

func (s *Service) handleRegister(ctx context.Context, in *registerInput) (*httpapi.Output[Session], error) {
	email, err := normalizeEmail(in.Body.Email)
	if err != nil {
		return nil, err
	}
	if len(in.Body.Password) > auth.MaxPasswordBytes {
		return nil, httpapi.BadRequest("password is too long", httpapi.Detail{Field: "password", Message: "at most 72 bytes"})
	}
	name := strings.TrimSpace(in.Body.Name)
	if name == "" {
		return nil, httpapi.BadRequest("name is required", httpapi.Detail{Field: "name", Message: "must not be blank"})
	}
	role := in.Body.Role
	if role == "" {
		role = auth.RoleAttendee
	}
	hash, err := auth.HashPassword(in.Body.Password)
	if err != nil {
		return nil, s.fail(ctx, "register", err)
	}
	u, err := s.store.createUser(ctx, newUser{Email: email, PasswordHash: hash, Name: name, Role: role})
	if err != nil {
		return nil, s.fail(ctx, "register", err)
	}
	sess, err := s.session(ctx, u)
	if err != nil {
		return nil, s.fail(ctx, "register", err)
	}
	return httpapi.Created(sess), nil
}

type loginInput struct {
	Body struct {
		Email    string `json:"email" maxLength:"254"`
		Password string `json:"password" maxLength:"1024"`
	}
}

// errBadCredentials is the one answer for an unknown email and a wrong password alike.
var errBadCredentials = httpapi.Unauthorized("invalid email or password")

func (s *Service) handleLogin(ctx context.Context, in *loginInput) (*httpapi.Output[Session], error) {
	email := strings.ToLower(strings.TrimSpace(in.Body.Email))
	client := clientIP(ctx)
	wait, err := s.limiter.wait(ctx, email, client)
	if err != nil {
		// Fail open: see LoginLimits.
		redis.WarnUnlessDown(ctx, s.log, "login limits unavailable; allowing the attempt", err)
	}
	if wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		return nil, httpapi.NewError(http.StatusTooManyRequests, httpapi.CodeRateLimited,
			"too many failed login attempts; try again later").WithHeader("Retry-After", strconv.Itoa(secs))
	}
	u, hash, err := s.store.credentials(ctx, email)
	switch {
	case errors.Is(err, errNotFound):
		auth.BurnPasswordCheck(in.Body.Password)
	case err != nil:
		return nil, s.fail(ctx, "login", err)
	}
	if err != nil || !auth.CheckPassword(hash, in.Body.Password) {
		if err := s.limiter.failed(ctx, email, client); err != nil {
			redis.WarnUnlessDown(ctx, s.log, "login limits unavailable", err)
		}
		return nil, errBadCredentials
	}
	if err := s.limiter.succeeded(ctx, email, client); err != nil {
		redis.WarnUnlessDown(ctx, s.log, "login limits unavailable", err)
	}
	sess, err := s.session(ctx, u)
	if err != nil {
		return nil, s.fail(ctx, "login", err)
	}
	return httpapi.OK(sess), nil
}

type refreshInput struct {
	Body struct {
		RefreshToken string `json:"refresh_token" minLength:"1" maxLength:"256"`
	}
}

func (s *Service) handleRefresh(ctx context.Context, in *refreshInput) (*httpapi.Output[Session], error) {
	u, token, err := s.store.rotate(ctx, in.Body.RefreshToken, s.refreshTTL)
	if err != nil {
		return nil, s.fail(ctx, "refresh", err)
	}
	access, err := s.signer.Sign(auth.Identity{UserID: u.ID, Role: u.Role})
	if err != nil {
		return nil, s.fail(ctx, "refresh", err)
	}
	return httpapi.OK(Session{User: u, Token: access, RefreshToken: token, ExpiresIn: int(s.signer.TTL().Seconds())}), nil
}

type logoutOutput struct {
	LoggedOut bool `json:"logged_out"`
}

func (s *Service) handleLogout(ctx context.Context, in *refreshInput) (*httpapi.Output[logoutOutput], error) {
	if err := s.store.revokeFamily(ctx, in.Body.RefreshToken); err != nil {
		return nil, s.fail(ctx, "logout", err)
	}
	return httpapi.OK(logoutOutput{LoggedOut: true}), nil
}

func (s *Service) session(ctx context.Context, u User) (Session, error) {
	access, err := s.signer.Sign(auth.Identity{UserID: u.ID, Role: u.Role})
	if err != nil {
		return Session{}, err
	}
	refresh, err := issueRefresh(ctx, s.store.db, u.ID, pgtype.UUID{}, s.refreshTTL)
	if err != nil {
		return Session{}, err
	}
	return Session{User: u, Token: access, RefreshToken: refresh, ExpiresIn: int(s.signer.TTL().Seconds())}, nil
}

func (s *Service) handleJWKS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	httpapi.WriteJSON(w, http.StatusOK, s.verifier.JWKS())
}

// normalizeEmail trims and lower-cases an email and checks it is a bare address.
func normalizeEmail(raw string) (string, error) {
	email := strings.ToLower(strings.TrimSpace(raw))
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
		return "", httpapi.BadRequest("email is not a valid address", httpapi.Detail{Field: "email", Message: "not a valid email address"})
	}
	return email, nil
}

func encodeToken(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
