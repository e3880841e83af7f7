package users

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/natsbus"
	"github.com/events-platform/events-platform/internal/postgres"
)

// User is an account as its owner sees it.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role" enum:"attendee,organizer,editor,admin"`
	Bio       string    `json:"bio"`
	AvatarURL string    `json:"avatar_url"`
	City      string    `json:"city"`
	Interests []string  `json:"interests"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Profile is what anyone may see of a user.
type Profile struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Bio       string    `json:"bio"`
	AvatarURL string    `json:"avatar_url"`
	City      string    `json:"city"`
	CreatedAt time.Time `json:"created_at"`
}

func (u User) profile() Profile {
	return Profile{ID: u.ID, Name: u.Name, Role: u.Role, Bio: u.Bio, AvatarURL: u.AvatarURL, City: u.City, CreatedAt: u.CreatedAt}
}

var (
	errNotFound   = errors.New("not found")
	errEmailTaken = errors.New("email taken")
	errTokenReuse = errors.New("refresh token reused")
	errTokenDead  = errors.New("refresh token expired or revoked")
	// errAccountGone is a valid token whose account was deleted since it was signed.
	errAccountGone = errors.New("account no longer exists")
)

const userColumns = `id, email, name, role, bio, avatar_url, city, interests, created_at, updated_at`

func scanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Bio, &u.AvatarURL, &u.City, &u.Interests, &u.CreatedAt, &u.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, errNotFound
	}
	u.AvatarURL = servedAvatar(u.AvatarURL)
	return u, err
}

// servedAvatar hides an avatar URL stored before avatar_url was checked that is not a web
// URL, so that no page renders a javascript: link from a profile.
func servedAvatar(s string) string {
	if s != "" && !isWebURL(s) {
		return ""
	}
	return s
}

type store struct{ db *pgxpool.Pool }

type newUser struct {
	Email, PasswordHash, Name, Role string
}

// createUser inserts a user and its registration event in one transaction.
func (s *store) createUser(ctx context.Context, nu newUser) (User, error) {
	var u User
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `
			INSERT INTO users (email, password_hash, name, role) VALUES ($1, $2, $3, $4)
			RETURNING `+userColumns, nu.Email, nu.PasswordHash, nu.Name, nu.Role))
		if postgres.IsUniqueViolation(err, "users_email_key") {
			return errEmailTaken
		}
		if err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
		return natsbus.Enqueue(ctx, tx, SubjectUserRegistered, UserRegistered{Version: MessageVersion, UserID: u.ID, Role: u.Role})
	})
	return u, err
}

// credentials returns the user with email and their password hash.
func (s *store) credentials(ctx context.Context, email string) (User, string, error) {
	var hash string
	var u User
	err := s.db.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE lower(email) = lower($1)`, email).
		Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Bio, &u.AvatarURL, &u.City, &u.Interests, &u.CreatedAt, &u.UpdatedAt, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, "", errNotFound
	}
	if err != nil {
		return u, "", fmt.Errorf("load credentials: %w", err)
	}
	u.AvatarURL = servedAvatar(u.AvatarURL)
	return u, hash, nil
}

// exists reports whether the user with id exists.
func (s *store) exists(ctx context.Context, id int64) (bool, error) {
	var ok bool
	if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, id).Scan(&ok); err != nil {
		return false, fmt.Errorf("look up user %d: %w", id, err)
	}
	return ok, nil
}

func (s *store) user(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil && !errors.Is(err, errNotFound) {
		return u, fmt.Errorf("load user %d: %w", id, err)
	}
	return u, err
}

type profileUpdate struct {
	Name, Bio, AvatarURL, City *string
	Interests                  *[]string
}

func (s *store) updateProfile(ctx context.Context, id int64, p profileUpdate) (User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `
		UPDATE users SET
			name = coalesce($2, name), bio = coalesce($3, bio), avatar_url = coalesce($4, avatar_url),
			city = coalesce($5, city), interests = coalesce($6, interests), updated_at = now()
		WHERE id = $1 RETURNING `+userColumns, id, p.Name, p.Bio, p.AvatarURL, p.City, p.Interests))
	if err != nil && !errors.Is(err, errNotFound) {
		return u, fmt.Errorf("update user %d: %w", id, err)
	}
	return u, err
}

func (s *store) setRole(ctx context.Context, id int64, role string) (User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `UPDATE users SET role = $2, updated_at = now() WHERE id = $1 RETURNING `+userColumns, id, role))
	if err != nil && !errors.Is(err, errNotFound) {
		return u, fmt.Errorf("set role of user %d: %w", id, err)
	}
	return u, err
}

type listFilter struct {
	AfterID int64
	Limit   int
	Role    string
	Query   string
}

func (s *store) list(ctx context.Context, f listFilter) ([]User, error) {
	rows, err := s.db.Query(ctx, `
		SELECT `+userColumns+` FROM users
		WHERE id > $1 AND ($2 = '' OR role = $2)
		  AND ($3 = '' OR lower(email) LIKE lower($3) || '%' OR lower(name) LIKE '%' || lower($3) || '%')
		ORDER BY id LIMIT $4`, f.AfterID, f.Role, f.Query, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (User, error) { return scanUser(row) })
}

// Refresh tokens are 32 random bytes; only their SHA-256 is stored.
func newRefreshToken() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = encodeToken(b)
	sum := sha256.Sum256([]byte(token))
	return token, sum[:]
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// issueRefresh stores a new refresh token, in a new family when family is invalid.
func issueRefresh(ctx context.Context, q execer, userID int64, family pgtype.UUID, ttl time.Duration) (string, error) {
	if !family.Valid {
		_, _ = rand.Read(family.Bytes[:])
		family.Bytes[6] = family.Bytes[6]&0x0f | 0x40 // version 4
		family.Bytes[8] = family.Bytes[8]&0x3f | 0x80
		family.Valid = true
	}
	token, hash := newRefreshToken()
	_, err := q.Exec(ctx, `INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)`,
		userID, family, hash, time.Now().Add(ttl))
	if err != nil {
		return "", fmt.Errorf("store refresh token: %w", err)
	}
	return token, nil
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// rotate exchanges a refresh token for a new one in the same family. A token that was
// already replaced or revoked means it leaked: the whole family is revoked.
func (s *store) rotate(ctx context.Context, token string, ttl time.Duration) (User, string, error) {
	var u User
	var newToken string
	reused := false
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var (
			id        int64
			userID    int64
			family    pgtype.UUID
			expiresAt time.Time
			replaced  pgtype.Timestamptz
			revoked   pgtype.Timestamptz
		)
		err := tx.QueryRow(ctx, `
			SELECT id, user_id, family_id, expires_at, replaced_at, revoked_at
			FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`, hashToken(token)).
			Scan(&id, &userID, &family, &expiresAt, &replaced, &revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			return errTokenDead
		}
		if err != nil {
			return fmt.Errorf("load refresh token: %w", err)
		}
		if replaced.Valid || revoked.Valid {
			if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, family); err != nil {
				return fmt.Errorf("revoke family: %w", err)
			}
			reused = replaced.Valid
			return nil // commit the revocation
		}
		if time.Now().After(expiresAt) {
			return errTokenDead
		}
		if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET replaced_at = now() WHERE id = $1`, id); err != nil {
			return fmt.Errorf("replace refresh token: %w", err)
		}
		if u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, userID)); err != nil {
			return fmt.Errorf("load user %d: %w", userID, err)
		}
		newToken, err = issueRefresh(ctx, tx, userID, family, ttl)
		return err
	})
	switch {
	case err != nil:
		return u, "", err
	case newToken == "" && reused:
		return u, "", errTokenReuse
	case newToken == "":
		return u, "", errTokenDead
	}
	return u, newToken, nil
}

// revokeFamily revokes the family of token; unknown tokens are ignored so logout is idempotent.
func (s *store) revokeFamily(ctx context.Context, token string) error {
	_, err := s.db.Exec(ctx, `
		UPDATE refresh_tokens SET revoked_at = now()
		WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`, hashToken(token))
	if err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return nil
}
