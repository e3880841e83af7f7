package analytics

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Who an interaction is from, without keeping who: a signed-in user is their id; an
// anonymous visitor is a hash of the session id the client keeps (or, without one, of the
// address and user agent), salted with a salt of the day. As in Plausible, the salt is
// shared by every replica through PostgreSQL and deleted after the next day, so a hash can
// no longer be tied to an address, and an anonymous visitor is a new visitor each day. No
// address or user agent is stored.

// salts hands out the day's salt, one per UTC day for every replica.
type salts struct {
	db  *pgxpool.Pool
	mu  sync.Mutex
	day time.Time
	key []byte
}

// today returns the salt of now's UTC day, making it if no replica did yet, and deletes
// the salts older than yesterday.
func (s *salts) today(ctx context.Context, now time.Time) ([]byte, error) {
	day := now.UTC().Truncate(24 * time.Hour)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.day.Equal(day) {
		return s.key, nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	var (
		key []byte
		err error
	)
	// A replica making the same day's salt at the same instant commits after this
	// statement's snapshot: then the salt is there on a second look.
	for range 2 {
		if err = s.db.QueryRow(ctx, `
		WITH made AS (
			INSERT INTO analytics_salts (day, salt) VALUES (($1 AT TIME ZONE 'UTC')::date, $2)
			ON CONFLICT (day) DO NOTHING RETURNING salt
		), old AS (
			DELETE FROM analytics_salts WHERE day < ($1 AT TIME ZONE 'UTC')::date - 1
		)
		SELECT salt FROM made UNION ALL SELECT salt FROM analytics_salts WHERE day = ($1 AT TIME ZONE 'UTC')::date`,
			day, fresh).Scan(&key); !errors.Is(err, pgx.ErrNoRows) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("salt of %s: %w", day.Format(time.DateOnly), err)
	}
	s.day, s.key = day, key
	return key, nil
}

// anonymousVisitor is the visitor number of an anonymous session: negative, so it never
// meets a user id. With a session id, the hash is of it alone (a phone changes address);
// without one, of the address and user agent.
func anonymousVisitor(salt []byte, session, ip, userAgent string) int64 {
	h := sha256.New()
	h.Write(salt)
	if session != "" {
		h.Write([]byte{0})
		h.Write([]byte(session))
	} else {
		h.Write([]byte{1})
		h.Write([]byte(ip))
		h.Write([]byte{0})
		h.Write([]byte(userAgent))
	}
	v := binary.BigEndian.Uint64(h.Sum(nil)) >> 1 // 63 bits
	return -int64(v) - 1
}

// itemID is the dedupe id of a client's item: its own id, scoped to who sent it (the same
// id from two people is two items). Without one, the item gets a random id and a re-sent
// copy is a second interaction.
func itemID(who, clientID string) uuid.UUID {
	if clientID == "" {
		return uuid.New()
	}
	return uuid.NewHash(sha256.New(), itemNamespace, []byte(who+"\x00"+clientID), 5)
}

// domainID is the dedupe id of a domain event: the outbox row's id it carries as
// Nats-Msg-Id, or, from a publisher that set none, its stream and sequence.
func domainID(msgID, stream string, seq uint64) uuid.UUID {
	if id, err := uuid.Parse(msgID); err == nil {
		return id
	}
	return uuid.NewHash(sha256.New(), itemNamespace, fmt.Appendf(nil, "%s/%d", stream, seq), 5)
}

// itemNamespace scopes the ids analytics derives (fixed forever: stored ids depend on it).
var itemNamespace = uuid.MustParse("6f4c1b0e-2a59-4d7e-9a43-0d3b5c0f1e72")
