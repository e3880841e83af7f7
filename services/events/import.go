package events

// Bulk loading of demo and benchmark data (`platform seed`, test/load): events,
// registrations and favorites copied straight into the service's tables. It bypasses the
// outbox: no domain events are published for what it loads, so no consumer (search's
// cache, analytics...) hears of it. It is not for production data.

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ImportEvent is an event to bulk-load. Its id is reserved by ImportEvents.
type ImportEvent struct {
	Title, Description, Category string
	Tags                         []string
	StartsAt, EndsAt             time.Time
	Timezone                     string
	VenueName, Address           string
	City, Country                string
	Lat, Lng                     float64
	Capacity                     int
	Price                        float64
	Currency                     string
	Status                       string // draft, published, cancelled or completed
	CreatedBy                    int64
	CreatedAt, UpdatedAt         time.Time
	PublishedAt                  time.Time // zero: never published (a draft)
}

// ImportEvents copies n events in, calling next for each in turn with its index and id,
// so that a million events stream through without being held. The ids are reserved from
// the identity sequence first, so the caller knows them without reading the rows back.
// It returns how many events it copied. No domain events are published.
func ImportEvents(ctx context.Context, db *pgxpool.Pool, n int, next func(i int, id int64) (ImportEvent, error)) (int, error) {
	rows, err := db.Query(ctx, `SELECT nextval(pg_get_serial_sequence('events', 'id')) FROM generate_series(1, $1::int)`, n)
	if err != nil {
		return 0, fmt.Errorf("reserve event ids: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("reserve event ids: %w", err)
	}
	row := make([]any, 22)
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(ids) {
			return nil, nil
		}
		e, err := next(i, ids[i])
		if err != nil {
			return nil, err
		}
		var publishedAt any
		if !e.PublishedAt.IsZero() {
			publishedAt = e.PublishedAt
		}
		row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7] = ids[i], e.Title, e.Description, e.Category, e.Tags, e.StartsAt, e.EndsAt, e.Timezone
		row[8], row[9], row[10], row[11], row[12], row[13] = e.VenueName, e.Address, e.City, e.Country, e.Lat, e.Lng
		row[14], row[15], row[16], row[17], row[18] = e.Capacity, e.Price, e.Currency, e.Status, e.CreatedBy
		row[19], row[20], row[21] = e.CreatedAt, e.UpdatedAt, publishedAt
		i++
		return row, nil
	})
	// COPY writes the reserved ids into the identity column as given.
	copied, err := db.CopyFrom(ctx, pgx.Identifier{"events"}, []string{
		"id", "title", "description", "category", "tags", "starts_at", "ends_at", "timezone", "venue_name", "address",
		"city", "country", "lat", "lng", "capacity", "price", "currency", "status", "created_by", "created_at", "updated_at", "published_at",
	}, src)
	if err != nil {
		return 0, fmt.Errorf("copy events: %w", err)
	}
	return int(copied), nil
}

// HasEvents reports whether the user created any event.
func HasEvents(ctx context.Context, db *pgxpool.Pool, userID int64) (bool, error) {
	var has bool
	if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE created_by = $1)`, userID).Scan(&has); err != nil {
		return false, fmt.Errorf("look for events of user %d: %w", userID, err)
	}
	return has, nil
}

// ImportRegistration is a registration to bulk-load.
type ImportRegistration struct {
	EventID, UserID int64
	Status          string // confirmed or waitlisted
	CreatedAt       time.Time
	CheckedInAt     time.Time // zero: not checked in
}

// ImportRegistrations copies the registrations in, in the order given, and sets every
// event's registered_count and waitlist_count from its rows, in one transaction. The
// identity orders each waitlist, so registrations must come in the order they arrived,
// and no more confirmed than the capacity: the statuses are taken as given. It returns
// how many it copied. No domain events are published.
func ImportRegistrations(ctx context.Context, db *pgxpool.Pool, regs []ImportRegistration) (int, error) {
	var copied int64
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		var err error
		copied, err = tx.CopyFrom(ctx, pgx.Identifier{"event_registrations"}, []string{"event_id", "user_id", "status", "created_at", "checked_in_at"},
			pgx.CopyFromSlice(len(regs), func(i int) ([]any, error) {
				r := regs[i]
				var checkedIn any
				if !r.CheckedInAt.IsZero() {
					checkedIn = r.CheckedInAt
				}
				return []any{r.EventID, r.UserID, r.Status, r.CreatedAt, checkedIn}, nil
			}))
		if err != nil {
			return fmt.Errorf("copy registrations: %w", err)
		}
		if _, err := tx.Exec(ctx, `
			UPDATE events e SET registered_count = c.confirmed, waitlist_count = c.waitlisted
			FROM (SELECT event_id, count(*) FILTER (WHERE status = 'confirmed') AS confirmed,
			             count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted
			      FROM event_registrations GROUP BY event_id) c
			WHERE e.id = c.event_id AND (e.registered_count, e.waitlist_count) <> (c.confirmed, c.waitlisted)`); err != nil {
			return fmt.Errorf("count registrations: %w", err)
		}
		return nil
	})
	return int(copied), err
}

// ImportFavorite is a favorite to bulk-load.
type ImportFavorite struct {
	UserID, EventID int64
	CreatedAt       time.Time
}

// ImportFavorites copies the favorites in and returns how many it copied. No domain
// events are published.
func ImportFavorites(ctx context.Context, db *pgxpool.Pool, favs []ImportFavorite) (int, error) {
	copied, err := db.CopyFrom(ctx, pgx.Identifier{"favorites"}, []string{"user_id", "event_id", "created_at"},
		pgx.CopyFromSlice(len(favs), func(i int) ([]any, error) {
			f := favs[i]
			return []any{f.UserID, f.EventID, f.CreatedAt}, nil
		}))
	if err != nil {
		return 0, fmt.Errorf("copy favorites: %w", err)
	}
	return int(copied), nil
}

// AnalyzeImported refreshes the planner statistics of the events and registrations
// after a bulk load, so that the first queries do not plan for empty tables.
func AnalyzeImported(ctx context.Context, db *pgxpool.Pool) error {
	for _, table := range []string{"events", "event_registrations"} {
		if _, err := db.Exec(ctx, `ANALYZE `+table); err != nil {
			return fmt.Errorf("analyze %s: %w", table, err)
		}
	}
	return nil
}
