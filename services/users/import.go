package users

// Bulk loading of demo and benchmark data (`platform seed`, test/load). It writes the users
// table directly and bypasses the outbox: no domain events are published for the accounts
// it creates. It is not for production data.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/auth"
)

// ImportAccount is an account to bulk-load.
type ImportAccount struct {
	Email     string // lower case, as the service stores it
	Name      string
	Role      string
	City      string
	Interests []string  // nil: none
	CreatedAt time.Time // updated_at is the same
}

// Import inserts the accounts whose email is not taken yet, all with password, and
// returns how many it inserted: a second run with the same accounts adds nothing. The
// password is hashed once for every account: hashing thousands would take minutes.
// No domain events are published.
func Import(ctx context.Context, db *pgxpool.Pool, password string, accounts []ImportAccount) (inserted int, err error) {
	hash, err := auth.HashPassword(password)
	if err != nil {
		return 0, err
	}
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		// COPY cannot skip conflicts: it fills a temporary table that one INSERT then reads.
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE seed_users (email text, name text, role text, city text, interests text[], created_at timestamptz) ON COMMIT DROP`); err != nil {
			return fmt.Errorf("import users: %w", err)
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"seed_users"}, []string{"email", "name", "role", "city", "interests", "created_at"},
			pgx.CopyFromSlice(len(accounts), func(i int) ([]any, error) {
				a := accounts[i]
				if a.Interests == nil {
					a.Interests = []string{} // the column is NOT NULL
				}
				return []any{a.Email, a.Name, a.Role, a.City, a.Interests, a.CreatedAt}, nil
			}))
		if err != nil {
			return fmt.Errorf("copy users: %w", err)
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO users (email, password_hash, name, role, city, interests, created_at, updated_at)
			SELECT email, $1, name, role, city, interests, created_at, created_at FROM seed_users ON CONFLICT (lower(email)) DO NOTHING`, hash)
		if err != nil {
			return fmt.Errorf("insert users: %w", err)
		}
		inserted = int(tag.RowsAffected())
		return nil
	})
	return inserted, err
}

// IDs returns the id of the account with each email, in the order given, matching emails
// case-insensitively; 0 where there is no such account.
func IDs(ctx context.Context, db *pgxpool.Pool, emails []string) ([]int64, error) {
	lower := make([]string, len(emails))
	for i, e := range emails {
		lower[i] = strings.ToLower(e)
	}
	rows, err := db.Query(ctx, `SELECT lower(email), id FROM users WHERE lower(email) = ANY($1)`, lower)
	if err != nil {
		return nil, fmt.Errorf("read user ids: %w", err)
	}
	byEmail := make(map[string]int64, len(emails))
	for rows.Next() {
		var e string
		var id int64
		if err := rows.Scan(&e, &id); err != nil {
			return nil, fmt.Errorf("read user ids: %w", err)
		}
		byEmail[e] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read user ids: %w", err)
	}
	ids := make([]int64, len(emails))
	for i, e := range lower {
		ids[i] = byEmail[e]
	}
	return ids, nil
}
