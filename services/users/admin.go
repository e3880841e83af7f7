package users

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/auth"
)

// CreateAdmin makes the account with email an administrator, creating it with password
// when it does not exist. It reports whether it created the account. An existing account
// keeps its password.
func CreateAdmin(ctx context.Context, db *pgxpool.Pool, email, name, password string) (User, bool, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return User{}, false, fmt.Errorf("email %q is not a valid address", email)
	}
	st := &store{db: db}
	if u, _, err := st.credentials(ctx, email); err == nil {
		u, err = st.setRole(ctx, u.ID, auth.RoleAdmin)
		return u, false, err
	} else if !errors.Is(err, errNotFound) {
		return User{}, false, err
	}
	if len(password) < 8 || len(password) > auth.MaxPasswordBytes {
		return User{}, false, errors.New("password must be 8 to 72 bytes")
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return User{}, false, err
	}
	u, err := st.createUser(ctx, newUser{Email: email, PasswordHash: hash, Name: name, Role: auth.RoleAdmin})
	if errors.Is(err, errEmailTaken) { // created concurrently
		return CreateAdmin(ctx, db, email, name, password)
	}
	return u, err == nil, err
}
