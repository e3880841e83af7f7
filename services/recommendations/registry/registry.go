// Package registry is the model registry: versions of the recommendation model in
// PostgreSQL (recommendation_models), one row per retraining with its parameters, its
// metrics and the serialised snapshot, so every replica and the next retraining find the
// live model without a shared volume. `platform retrain` writes it; the recommendations
// service reads the live version and lists them for admins.
package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/services/recommendations/model"
)

// Version is one row of the registry: a trained model and what is known of it.
type Version struct {
	Version         int64           `json:"version"`
	CreatedAt       time.Time       `json:"created_at"`
	Status          string          `json:"status"` // StatusPromoted or StatusRefused
	Reason          string          `json:"reason,omitempty"`
	Parameters      json.RawMessage `json:"parameters"`
	Metrics         json.RawMessage `json:"metrics"`
	Users           int             `json:"users"`
	Items           int             `json:"items"`
	Interactions    int64           `json:"interactions"`
	TrainingSeconds float64         `json:"training_seconds"`
	SizeBytes       int64           `json:"size_bytes"`
}

// A version is promoted (it passed the quality gate; the newest promoted one is live) or
// refused (kept, with the reason, for inspection).
const (
	StatusPromoted = "promoted"
	StatusRefused  = "refused"
)

// SubjectModelPromoted announces a newly promoted version (payload Promoted): the
// recommendations service's replicas load it and swap it in.
const SubjectModelPromoted = "platform.model.promoted"

// Promoted is the payload of SubjectModelPromoted.
type Promoted struct {
	Version   int64           `json:"version"`
	TrainedAt time.Time       `json:"trained_at"`
	Metrics   json.RawMessage `json:"metrics"`
}

var (
	// ErrNoModel means no version has been promoted yet.
	ErrNoModel = errors.New("no promoted model")
	// ErrNoVersion means the version asked for does not exist.
	ErrNoVersion = errors.New("no such model version")
	// ErrPruned means the version exists but its model's bytes were pruned; Get returns
	// its row with it.
	ErrPruned = errors.New("model version pruned")
	// ErrUndecodable means the version's bytes are not a snapshot this build reads (an
	// older encoding after an upgrade, say); Live and Get return its row with it.
	ErrUndecodable = errors.New("model version unreadable")
)

// Querier is what the registry reads with (*pgxpool.Pool, pgx.Tx).
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// columns are a Version's, in scan's order.
const columns = `version, created_at, status, reason, parameters, metrics, users, items, interactions, training_seconds, size_bytes`

// scan reads columns (and, when model is not nil, the model's bytes after them).
func scan(row pgx.Row, v *Version, model *[]byte) error {
	dest := []any{&v.Version, &v.CreatedAt, &v.Status, &v.Reason, &v.Parameters, &v.Metrics, &v.Users, &v.Items,
		&v.Interactions, &v.TrainingSeconds, &v.SizeBytes}
	if model != nil {
		dest = append(dest, model)
	}
	return row.Scan(dest...)
}

// Live returns the live version, the newest promoted one, with its snapshot decoded;
// ErrNoModel when none has been promoted.
func Live(ctx context.Context, q Querier) (Version, *model.Snapshot, error) {
	var v Version
	var raw []byte
	err := scan(q.QueryRow(ctx, `SELECT `+columns+`, model FROM recommendation_models
		WHERE status = 'promoted' ORDER BY version DESC LIMIT 1`), &v, &raw)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Version{}, nil, ErrNoModel
	case err != nil:
		return Version{}, nil, fmt.Errorf("read live model: %w", err)
	case raw == nil: // Prune never clears the live version: someone did by hand
		return v, nil, fmt.Errorf("live model version %d: %w", v.Version, ErrPruned)
	}
	snap, err := model.DecodeSnapshot(bytes.NewReader(raw))
	if err != nil {
		return v, nil, fmt.Errorf("live model version %d: %w: %w", v.Version, ErrUndecodable, err)
	}
	return v, snap, nil
}

// LiveVersion is the live version's number, 0 when none has been promoted: a cheap check
// of whether the model served is still the live one.
func LiveVersion(ctx context.Context, q Querier) (int64, error) {
	var v int64
	if err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM recommendation_models WHERE status = 'promoted'`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read live version: %w", err)
	}
	return v, nil
}

// Get returns a version with its snapshot decoded: ErrNoVersion when there is no such
// version, ErrPruned (with the row) when its bytes were pruned.
func Get(ctx context.Context, q Querier, version int64) (Version, *model.Snapshot, error) {
	var v Version
	var raw []byte
	err := scan(q.QueryRow(ctx, `SELECT `+columns+`, model FROM recommendation_models WHERE version = $1`, version), &v, &raw)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Version{}, nil, fmt.Errorf("model version %d: %w", version, ErrNoVersion)
	case err != nil:
		return Version{}, nil, fmt.Errorf("read model version %d: %w", version, err)
	case raw == nil:
		return v, nil, fmt.Errorf("model version %d: %w", version, ErrPruned)
	}
	snap, err := model.DecodeSnapshot(bytes.NewReader(raw))
	if err != nil {
		return v, nil, fmt.Errorf("model version %d: %w: %w", version, ErrUndecodable, err)
	}
	return v, snap, nil
}

// List returns the newest limit versions (every one when limit <= 0), newest first,
// without their models' bytes.
func List(ctx context.Context, q Querier, limit int) ([]Version, error) {
	sql := `SELECT ` + columns + ` FROM recommendation_models ORDER BY version DESC`
	var args []any
	if limit > 0 {
		sql += ` LIMIT $1`
		args = append(args, limit)
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list model versions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Version, error) {
		var v Version
		err := scan(row, &v, nil)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("list model versions: %w", err)
	}
	return out, nil
}

// Insert stores snap as a new version described by v (its Version and SizeBytes are
// set here; CreatedAt is now when zero) and returns the version's number.
func Insert(ctx context.Context, tx pgx.Tx, v Version, snap *model.Snapshot) (int64, error) {
	if v.Status != StatusPromoted && v.Status != StatusRefused {
		return 0, fmt.Errorf("insert model version: status %q, want %s or %s", v.Status, StatusPromoted, StatusRefused)
	}
	raw, err := snap.Bytes()
	if err != nil {
		return 0, fmt.Errorf("insert model version: %w", err)
	}
	orEmpty := func(m json.RawMessage) json.RawMessage {
		if len(m) == 0 {
			return json.RawMessage(`{}`)
		}
		return m
	}
	var created any
	if !v.CreatedAt.IsZero() {
		created = v.CreatedAt
	}
	var version int64
	err = tx.QueryRow(ctx, `INSERT INTO recommendation_models
		(created_at, status, reason, parameters, metrics, users, items, interactions, training_seconds, size_bytes, model)
		VALUES (coalesce($1, now()), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING version`,
		created, v.Status, v.Reason, orEmpty(v.Parameters), orEmpty(v.Metrics), v.Users, v.Items, v.Interactions,
		v.TrainingSeconds, int64(len(raw)), raw).Scan(&version)
	if err != nil {
		return 0, fmt.Errorf("insert model version: %w", err)
	}
	return version, nil
}

// Prune clears the model bytes of every version but the newest keep of each status,
// never the live one's; the rows stay as history.
func Prune(ctx context.Context, tx pgx.Tx, keep int) error {
	_, err := tx.Exec(ctx, `
		UPDATE recommendation_models m SET model = NULL
		FROM (SELECT version, row_number() OVER (PARTITION BY status ORDER BY version DESC) AS rank
		      FROM recommendation_models) r
		WHERE m.version = r.version AND r.rank > $1 AND m.model IS NOT NULL
		  AND m.version IS DISTINCT FROM (SELECT max(version) FROM recommendation_models WHERE status = 'promoted')`,
		max(keep, 0))
	if err != nil {
		return fmt.Errorf("prune model versions: %w", err)
	}
	return nil
}
